// The IDX reader on valid, gzipped and corrupted files: a bad file is reported with its name,
// what is wrong and the byte offset.
#include <catch2/catch.hpp>

#include "apps/identity/mnist.h"
#include "tests/apps/identity/idx_files.h"

namespace simdgrad::testing {

using identity::read_idx;

namespace {
std::vector<uint8_t> bytes_0_to(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7);
  return v;
}

// Writes a 3-image 2x2 MNIST-like folder, compressed or not.
std::filesystem::path tiny_mnist(const std::string& name, bool gzip) {
  const auto folder = fresh_folder(name);
  auto write = [&](const std::string& file, const std::string& bytes) {
    gzip ? write_gzip(folder / (file + ".gz"), bytes) : write_raw(folder / file, bytes);
  };
  write("train-images-idx3-ubyte", idx_bytes({3, 2, 2}, bytes_0_to(12)));
  write("train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
  write("t10k-images-idx3-ubyte", idx_bytes({2, 2, 2}, bytes_0_to(8)));
  write("t10k-labels-idx1-ubyte", idx_bytes({2}, {4, 5}));
  return folder;
}
}  // namespace

TEST_CASE("read_idx reads raw and gzipped files to the same array", "[app]") {
  const auto folder = fresh_folder("idx-valid");
  const std::string bytes = idx_bytes({4, 3, 2}, bytes_0_to(24));
  write_raw(folder / "raw", bytes);
  write_gzip(folder / "packed.gz", bytes);
  for (const char* name : {"raw", "packed.gz"}) {
    const auto a = read_idx(folder / name);
    REQUIRE(a.dims == std::vector<uint32_t>{4, 3, 2});
    REQUIRE(a.data == bytes_0_to(24));
  }
}

TEST_CASE("read_idx names the file, the fault and the offset of a corrupted file", "[app]") {
  const auto folder = fresh_folder("idx-bad");
  const auto file = folder / "bad";
  auto error_of = [&](const std::string& bytes, bool gzip = false) {
    gzip ? write_gzip(file, bytes) : write_raw(file, bytes);
    try {
      read_idx(file);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string f = file.string() + ": ";
  REQUIRE(error_of("\x01\x00\x08\x01" + std::string(5, '\0')) ==
          f + "not an IDX file: the magic number must start with two zero bytes (at byte offset 0)");
  REQUIRE(error_of(idx_bytes({2}, {1, 2}, 0x0d)) ==
          f + "unsupported IDX element type 0x0d (expected 0x08, unsigned byte) (at byte offset 2)");
  std::string truncated = idx_bytes({10, 2}, bytes_0_to(20));
  truncated.resize(truncated.size() - 3);
  REQUIRE(error_of(truncated) ==
          f + "the header declares 10x2 = 20 bytes of data but the file holds 17 (at byte offset 12)");
  REQUIRE(error_of(truncated, true) ==
          f + "the header declares 10x2 = 20 bytes of data but the file holds 17 (at byte offset 12)");
  REQUIRE(error_of(idx_bytes({0, 5}, {})) == f + "dimension 0 is 0 (at byte offset 4)");
  REQUIRE(error_of(std::string("\0\0\x08\x03\0\0", 6)) ==
          f + "file ends inside the IDX header (at byte offset 6)");
  REQUIRE(error_of("ab") == f + "too short for an IDX header (at byte offset 0)");
}

TEST_CASE("load_mnist takes a folder of raw or gzipped files, scaled raw or to unit", "[app]") {
  for (bool gzip : {false, true}) {
    const auto folder = tiny_mnist(gzip ? "mnist-gz" : "mnist-raw", gzip);
    const auto raw = identity::load_mnist(folder, identity::PixelScale::kRaw);
    REQUIRE(raw.train.images.rows() == 3);
    REQUIRE(raw.train.images.cols() == 4);
    REQUIRE(raw.train.images(2, 3) == float(uint8_t(11 * 7)));
    REQUIRE(raw.test.labels == std::vector<uint8_t>{4, 5});
    const auto unit = identity::load_mnist(folder, identity::PixelScale::kUnit);
    REQUIRE(unit.train.images(2, 3) == float(uint8_t(11 * 7)) / 255.0f);
  }
}

TEST_CASE("load_mnist reports a missing file and mismatched label counts", "[app]") {
  const auto folder = tiny_mnist("mnist-mismatch", false);
  write_raw(folder / "train-labels-idx1-ubyte", idx_bytes({2}, {1, 2}));
  REQUIRE_THROWS_WITH(identity::load_mnist(folder, identity::PixelScale::kRaw),
                      (folder / "train-labels-idx1-ubyte").string() +
                          ": 2 labels for 3 images in train-images-idx3-ubyte");
  std::filesystem::remove(folder / "t10k-images-idx3-ubyte");
  write_raw(folder / "train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
  REQUIRE_THROWS_WITH(identity::load_mnist(folder, identity::PixelScale::kRaw),
                      folder.string() + ": neither t10k-images-idx3-ubyte nor "
                                        "t10k-images-idx3-ubyte.gz is there (a folder of "
                                        "MNIST-format IDX files is expected)");
}

TEST_CASE("Debian's Fashion-MNIST package loads like MNIST", "[app]") {
  const std::filesystem::path folder = "/usr/share/datasets/fashion-mnist";
  // test.sh installs dataset-fashion-mnist; without it this test fails rather than passes.
  REQUIRE(std::filesystem::exists(folder / "train-images-idx3-ubyte.gz"));
  const auto m = identity::load_mnist(folder, identity::PixelScale::kRaw);
  REQUIRE(m.train.images.rows() == 60000);
  REQUIRE(m.train.images.cols() == 784);
  REQUIRE(m.test.images.rows() == 10000);
  REQUIRE(m.train.labels.size() == 60000);
}

}  // namespace simdgrad::testing
