// The ReLU mask applied to A while it is packed (GemmPrologue): it must give bitwise the same C
// as materializing dZ = relu_backward(Y, dY) and multiplying that, for every transpose pair,
// shape class and target, including masks with their own row stride and masked-out NaNs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>

#include "lib/gemm/blocking.h"
#include "lib/gemm/gemm_kernels.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/gemm.h"
#include "tests/support/for_each_target.h"
#include "tests/support/random_matrix.h"

namespace simdgrad::testing {
namespace {

template <class T>
bool same_bits(T x, T y) {
  return std::memcmp(&x, &y, sizeof(T)) == 0;
}

template <class T>
void check_masked_gemm(size_t m, size_t n, size_t k, Transpose ta, Transpose tb, T beta,
                       std::mt19937_64& rng) {
  const bool a_t = ta == Transpose::kYes, b_t = tb == Transpose::kYes;
  const size_t a_rows = a_t ? k : m, a_cols = a_t ? m : k;
  PlacedMatrix<T> dy(a_rows, a_cols, 1, 2), y(a_rows, a_cols, 3, 5);  // different strides
  PlacedMatrix<T> b(b_t ? n : k, b_t ? k : n, 2, 1);
  fill_uniform(dy.view(), rng);
  fill_uniform(y.view(), rng);
  fill_uniform(b.view(), rng);
  // Exact zeros, negative zeros and NaNs in the mask, NaN and infinity in dY where masked out:
  // all must read as 0, as in relu_backward.
  std::uniform_int_distribution<int> pick(0, 9);
  for (size_t r = 0; r < a_rows; ++r) {
    for (size_t c = 0; c < a_cols; ++c) {
      switch (pick(rng)) {
        case 0:
          y.view()(r, c) = T(0);
          break;
        case 1:
          y.view()(r, c) = -T(0);
          break;
        case 2:
          y.view()(r, c) = std::numeric_limits<T>::quiet_NaN();
          break;
        default:
          break;
      }
      if (!(y.cview()(r, c) > T(0)) && pick(rng) < 3) {
        dy.view()(r, c) = pick(rng) < 5 ? std::numeric_limits<T>::quiet_NaN()
                                        : std::numeric_limits<T>::infinity();
      }
    }
  }
  PlacedMatrix<T> dz(a_rows, a_cols, 0, 0);
  relu_backward<T>(y.cview(), dy.cview(), dz.view());

  PlacedMatrix<T> want(m, n, 1, 3), got(m, n, 1, 3);
  fill_uniform(want.view(), rng);
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < n; ++c) got.view()(r, c) = want.cview()(r, c);
  }
  gemm<T>(ta, tb, T(1), dz.cview(), b.cview(), beta, want.view());
  gemm<T>(ta, tb, T(1), dy.cview(), b.cview(), beta, got.view(), {}, {y.cview()});

  size_t differing = 0;
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < n; ++c) differing += !same_bits(got.cview()(r, c), want.cview()(r, c));
  }
  INFO("M=" << m << " N=" << n << " K=" << k << (a_t ? " Aᵀ" : " A") << (b_t ? " Bᵀ" : " B")
            << " beta=" << beta);
  REQUIRE(differing == 0);
}

template <class T>
void check_masked_gemm_on_every_target() {
  for_each_target([](const SimdTarget&) {
    const auto& kernels = detail::gemm_kernels<T>();
    const size_t mr = kernels.mr;
    const auto block = detail::choose_blocking(4096, 4096, 4096, mr, kernels.nr, sizeof(T));
    std::mt19937_64 rng(5);
    for (const Transpose ta : {Transpose::kNo, Transpose::kYes}) {
      for (const Transpose tb : {Transpose::kNo, Transpose::kYes}) {
        check_masked_gemm<T>(1, 1, 1, ta, tb, T(0), rng);
        check_masked_gemm<T>(mr + 1, 19, 13, ta, tb, T(1), rng);
        check_masked_gemm<T>(3 * mr - 1, 40, block.kc + 3, ta, tb, T(0), rng);
        check_masked_gemm<T>(block.mc + 1, 33, 70, ta, tb, T(0.5), rng);
      }
    }
  });
}

TEST_CASE("GEMM with a ReLU mask on A equals relu_backward then GEMM, bitwise, on every target",
          "[kernels][gemm]") {
  check_masked_gemm_on_every_target<float>();
  check_masked_gemm_on_every_target<double>();
}

TEST_CASE("GEMM rejects a ReLU mask whose shape is not A's", "[kernels][gemm]") {
  Matrix<float> a(4, 3), b(3, 2), c(4, 2), wrong(3, 4);
  try {
    gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, a, b, 0.0f, c, {}, {wrong});
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    REQUIRE(message.find("ReLU mask") != std::string::npos);
    REQUIRE(message.find("4x3") != std::string::npos);
    REQUIRE(message.find("3x4") != std::string::npos);
  }
}

}  // namespace
}  // namespace simdgrad::testing
