// docs/api.md names every public name: each type, function, constant and macro that an
// installed header declares (tests/docs/public_names.h says exactly which), so the reference
// cannot fall behind the headers.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/docs/public_names.h"

namespace simdgrad::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& file) {
  std::stringstream s;
  s << std::ifstream(file).rdbuf();
  return s.str();
}

// The public headers: include/simdgrad/ of lib, autograd and distributed, and the generated
// version.h.
std::vector<fs::path> public_headers() {
  std::vector<fs::path> out;
  for (const fs::path& root : {fs::path(SIMDGRAD_SOURCE_DIR "/lib/include"),
                               fs::path(SIMDGRAD_SOURCE_DIR "/autograd/include"),
                               fs::path(SIMDGRAD_SOURCE_DIR "/distributed/include"),
                               fs::path(SIMDGRAD_BINARY_DIR "/include")}) {
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.path().extension() == ".h") out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the public-name scanner finds declarations and skips internals", "[docs]") {
  const std::string header = R"(
#pragma once
#define SAMPLE_MACRO 1
namespace simdgrad {
template <class T, class = std::enable_if_t<(sizeof(T) > 2)>>
class Widget {
 public:
  Widget() = default;
  explicit Widget(int n) : n_(n) {}
  ~Widget();
  int size() const { return helper(n_); }
  Widget& operator=(const Widget&) = delete;
  T& operator()(size_t r) const;
  using Alias = int;
  template <class U> friend class Gadget;
  static Widget make_default();
 private:
  int hidden_method();
  int n_ = 0;
};
struct Options {
  double eps = 1e-6;  // a field, not a function
  std::string to_text() const;
};
enum class Mode { kFast, kSlow };
using Count = size_t;
inline constexpr size_t kLimit = 16;
template <class T> void transform(MatrixView<T> y, T value, const Options& o = {}, int k = {});
template <class T> struct Node { T scalar = T(0); uint32_t ids[2] = {0, 0}; };
template <class T> Var<T> operator+(Var<T> a, Var<T> b) { return add(a, b); }
template <class T> int Widget<T>::size_twice() const { return 2; }
namespace detail {
void internal_helper();
}
}  // namespace simdgrad
)";
  const std::set<std::string> expected = {"SAMPLE_MACRO", "Widget",    "size", "make_default",
                                          "Options",      "to_text",   "Mode", "Count",
                                          "kLimit",       "transform", "Node"};
  REQUIRE(public_names(header) == expected);
}

TEST_CASE("docs/api.md mentions every name the public headers declare", "[docs]") {
  const std::string reference = slurp(SIMDGRAD_SOURCE_DIR "/docs/api.md");
  REQUIRE(reference.size() > 1000);
  const std::vector<fs::path> headers = public_headers();
  REQUIRE(headers.size() >= 20);
  size_t checked = 0;
  std::string missing;
  for (const fs::path& header : headers) {
    // Each header is named in the reference too (as <simdgrad/…>).
    if (reference.find(header.filename().string()) == std::string::npos) {
      missing += "\n  header " + header.string();
    }
    for (const std::string& name : public_names(slurp(header))) {
      ++checked;
      if (!std::regex_search(reference, std::regex("\\b" + name + "\\b"))) {
        missing += "\n  " + name + " (" + header.filename().string() + ")";
      }
    }
  }
  INFO("names declared in public headers but absent from docs/api.md:" << missing);
  CHECK(missing.empty());
  REQUIRE(checked > 100);
}

}  // namespace simdgrad::testing
