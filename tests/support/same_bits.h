// The machine-independence promise: every SIMD target with fused multiply-add gives the same
// bits. require_same_bits_on_targets runs a computation once per runnable target, pinned, and
// requires the targets of each kind (with FMA, without) to return the same bytes: the targets
// without FMA round their multiply-adds twice and agree among themselves instead.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "simdgrad/matrix.h"
#include "simdgrad/targets.h"

namespace simdgrad::testing {

// The raw bytes of a computation's results, in the order they were added.
class Bits {
 public:
  template <class T>
  Bits& add(MatrixView<T> x) {
    for (size_t r = 0; r < x.rows(); ++r) append(x.row(r), x.cols() * sizeof(T));
    return *this;
  }
  template <class T>
  Bits& add(const Matrix<T>& x) {
    return add(MatrixView<const T>(x));
  }
  template <class T>
  Bits& add_value(T x) {
    append(&x, sizeof x);
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void append(const void* data, size_t n) { bytes_.append(static_cast<const char*>(data), n); }
  std::string bytes_;
};

// Every state tensor of an optimizer (its state(), in order), as bytes.
template <class Optimizer>
std::string state_bytes(Optimizer& optimizer) {
  Bits bits;
  for (const auto& tensor : optimizer.state()) bits.add(tensor.view);
  return bits.bytes();
}

// Where two results first differ ("byte 1234 of 40000"), or "" when they are the same.
inline std::string first_difference(const std::string& a, const std::string& b) {
  if (a.size() != b.size())
    return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return "byte " + std::to_string(i) + " of " + std::to_string(a.size());
  }
  return "";
}

// compute() -> Bits, once per runnable target; returns how many targets had FMA.
template <class Compute>
size_t require_same_bits_on_targets(const std::string& what, Compute&& compute) {
  std::string first_name[2], first_bits[2];
  size_t fma_targets = 0;
  for (const SimdTarget& target : runnable_targets()) {
    ScopedTargetPin pin(target.bit);
    REQUIRE(active_target().bit == target.bit);
    const std::string bits = compute().bytes();
    const int kind = target.fused_multiply_add ? 1 : 0;
    fma_targets += kind;
    if (first_name[kind].empty()) {
      first_name[kind] = target.name;
      first_bits[kind] = bits;
      continue;
    }
    INFO(what << ": " << target.name << " against " << first_name[kind] << ", first difference at "
              << first_difference(bits, first_bits[kind]));
    REQUIRE(bits == first_bits[kind]);
  }
  return fma_targets;
}

}  // namespace simdgrad::testing
