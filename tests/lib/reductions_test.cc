// Reductions against a long double reference on every SIMD target, at sizes around every vector
// width, unaligned and strided, each within the rounding-error bound of its summation order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "lib/gemm/gemm_kernels.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/index_range.h"
#include "simdgrad/reductions.h"
#include "simdgrad/threading.h"
#include "tests/support/error_bounds.h"
#include "tests/support/for_each_target.h"
#include "tests/support/random_matrix.h"
#include "tests/support/tolerance.h"

namespace simdgrad::testing {
namespace {

// The relative error bound (times Σ|terms|) of sum and sum_squares over a rows x cols view.
// The order of their additions: the view is cut into segments of at most kChunkElements (the
// whole view when contiguous, else each row); in a segment of L values, four accumulators of
// `lanes` lanes take ⌈L / 4·lanes⌉ sequential additions each, the tail up to 4 more, then 2
// merges and ⌈log2 lanes⌉ lane folds (a product x·x inside an FMA is exact). The segments'
// results are added in double, in order, and the total is rounded to T once (Higham §4.2: a
// sum whose additions are at most d deep errs by at most γ_d Σ|terms|).
template <class T>
double summation_bound(size_t rows, size_t cols, bool contiguous, size_t lanes) {
  const size_t run = contiguous ? rows * cols : cols;  // values a segment is cut from
  const size_t length = std::min(run, kChunkElements);
  const size_t segments = (contiguous ? 1 : rows) * div_ceil(run, kChunkElements);
  const size_t depth = div_ceil(length, 4 * lanes) + 4 + 2 + ceil_log2(lanes);
  return gamma_n<T>(depth + 1) + 2 * gamma_n<double>(segments + 1) +
         gamma_n<Reference>(rows * cols);
}

template <class T>
void check_reductions() {
  std::mt19937_64 rng(3);
  std::vector<std::pair<size_t, size_t>> shapes;
  for (size_t n = 0; n <= 67; ++n) shapes.push_back({1, n});
  for (size_t n : {127, 128, 129, 784, 1000, 40000}) shapes.push_back({1, n});
  for (size_t n : {1, 17, 784, 20000}) shapes.push_back({5, n});
  for_each_target([&](const SimdTarget&) {
    const size_t lanes = detail::gemm_kernels<T>().lanes;  // the running target's vector width
    for (auto [rows, cols] : shapes) {
      for (size_t pad : {0, 3}) {
        INFO(rows << "x" << cols << " pad " << pad);
        PlacedMatrix<T> x(rows, cols, 1, pad, T(1000));  // the guard would show in any result
        fill_uniform(x.view(), rng, -3.0, 2.0);
        Reference want_sum = 0, want_squares = 0, magnitude = 0;
        double want_max = 0;
        for (size_t r = 0; r < rows; ++r) {
          for (size_t c = 0; c < cols; ++c) {
            const Reference v = x.view()(r, c);
            want_sum += v;
            want_squares += v * v;
            want_max = std::max(want_max, std::abs(double(v)));
            magnitude += std::abs(v);
          }
        }
        const double bound = summation_bound<T>(rows, cols, x.cview().contiguous(), lanes);
        REQUIRE(double(std::abs(Reference(sum(x.cview())) - want_sum)) <=
                bound * double(magnitude));
        REQUIRE(double(std::abs(Reference(sum_squares(x.cview())) - want_squares)) <=
                bound * double(want_squares));
        REQUIRE(max_abs(x.cview()) == T(want_max));
      }
    }
  });
}

}  // namespace

TEST_CASE("float reductions stay within their error bounds on every SIMD target", "[kernels]") {
  check_reductions<float>();
}

TEST_CASE("double reductions stay within their error bounds on every SIMD target", "[kernels]") {
  check_reductions<double>();
}

TEST_CASE("reductions of an empty matrix are zero", "[kernels]") {
  Matrix<float> empty(0, 5);
  REQUIRE(sum<float>(empty) == 0.0f);
  REQUIRE(sum_squares<float>(empty) == 0.0f);
  REQUIRE(max_abs<float>(empty) == 0.0f);
}

// The loss-and-metric pass must give, bitwise, what sub + sum_squares and abs / clamp_min /
// div + sum give apart: a training step's MSE and MAPE do not move when fused.
TEST_CASE("squared_and_relative_errors equals the separate passes bitwise on every SIMD target",
          "[kernels]") {
  std::mt19937_64 rng(9);
  const size_t shapes[][2] = {{1, 1}, {1, 33}, {3, 101}, {128, 784}, {300, 784}};
  for_each_target([&](const SimdTarget&) {
    for (const auto& [rows, cols] : shapes) {
      for (size_t pad : {0, 5}) {
        INFO(rows << "x" << cols << " pad " << pad);
        PlacedMatrix<float> p(rows, cols, 1, pad), t(rows, cols, 2, pad), diff(rows, cols, 3, pad);
        fill_uniform(p.view(), rng, -255, 255);
        fill_uniform(t.view(), rng, 0, 255);
        for (size_t c = 0; c < cols; c += 3) t.view()(0, c) = 0.0f;  // targets at 0: eps matters
        PlacedMatrix<float> d(rows, cols, 3, pad), denominator(rows, cols, 0, pad),
            ratio(rows, cols, 1, pad);
        sub<float>(p.cview(), t.cview(), d.view());
        abs<float>(t.cview(), denominator.view());
        clamp_min<float>(1e-7f, denominator.cview(), denominator.view());
        abs<float>(d.cview(), ratio.view());
        div<float>(ratio.cview(), denominator.cview(), ratio.view());
        const ErrorSums<float> fused =
            squared_and_relative_errors<float>(p.cview(), t.cview(), 1e-7f, diff.view());
        REQUIRE(fused.squared == sum_squares<float>(d.cview()));
        REQUIRE(fused.relative == sum<float>(ratio.cview()));
        REQUIRE(diff.storage() == d.storage());
      }
    }
  });
}

}  // namespace simdgrad::testing
