// The machine-independence promise for the kernels: every SIMD target with fused multiply-add
// computes the same bits, and so does the GEMM under any cache sizes (docs/reproducibility.md).
// Inputs cover several depth blocks, ragged tiles, tails of every length modulo the 64 partial
// sums, and strided views.
#include <catch2/catch.hpp>

#include <random>

#include "lib/gemm/blocking.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/gemm.h"
#include "simdgrad/optimizer_updates.h"
#include "simdgrad/reductions.h"
#include "tests/support/random_matrix.h"
#include "tests/support/same_bits.h"

namespace simdgrad::testing {
namespace {

template <class T>
Matrix<T> random_matrix(size_t rows, size_t cols, uint64_t seed, double lo = -1, double hi = 1) {
  Matrix<T> x(rows, cols);
  std::mt19937_64 rng(seed);
  fill_uniform(x.view(), rng, lo, hi);
  return x;
}

struct GemmCase {
  size_t m, n, k;
  Transpose ta, tb;
  double alpha, beta;
  bool bias_and_relu, relu_mask;
};

// C for one case, from fixed inputs; C starts non-zero so that beta is seen.
template <class T>
Bits gemm_bits(const GemmCase& g) {
  const bool ta = g.ta == Transpose::kYes, tb = g.tb == Transpose::kYes;
  const Matrix<T> a = random_matrix<T>(ta ? g.k : g.m, ta ? g.m : g.k, 1);
  const Matrix<T> b = random_matrix<T>(tb ? g.n : g.k, tb ? g.k : g.n, 2);
  const Matrix<T> bias = random_matrix<T>(1, g.n, 3);
  const Matrix<T> mask = random_matrix<T>(a.rows(), a.cols(), 4);
  Matrix<T> c = random_matrix<T>(g.m, g.n, 5);
  GemmEpilogue<T> epilogue;
  if (g.bias_and_relu) epilogue = {bias.view(), Activation::kRelu};
  GemmPrologue<T> prologue;
  if (g.relu_mask) prologue.a_relu_mask = mask.view();
  gemm<T>(g.ta, g.tb, T(g.alpha), a, b, T(g.beta), c, epilogue, prologue);
  return Bits().add(c);
}

std::vector<GemmCase> gemm_cases() {
  constexpr auto N = Transpose::kNo, Y = Transpose::kYes;
  std::vector<GemmCase> cases = {
      {128, 784, 784, N, Y, 1, 0, true, false},   // the identity forward (Cᵀ way on AVX-512)
      {128, 784, 784, N, N, 1, 0, false, true},   // the backward to the input, ReLU mask on A
      {784, 784, 128, Y, N, 1, 0, false, false},  // the weight gradient
      {64, 300, 600, N, Y, 1, 0.5, true, false},  // few rows, beta != 0
  };
  for (Transpose ta : {N, Y}) {
    for (Transpose tb : {N, Y}) {
      cases.push_back({37, 61, 700, ta, tb, 0.5, 0.75, true, false});
      cases.push_back({131, 29, 257, ta, tb, -1, 0, false, false});
    }
  }
  return cases;
}

template <class T>
void require_gemm_same_on_targets() {
  for (const GemmCase& g : gemm_cases()) {
    INFO(g.m << "x" << g.n << "x" << g.k << (g.ta == Transpose::kYes ? " Aᵀ" : "")
             << (g.tb == Transpose::kYes ? " Bᵀ" : "") << " alpha " << g.alpha << " beta "
             << g.beta);
    require_same_bits_on_targets("gemm", [&] { return gemm_bits<T>(g); });
  }
}

}  // namespace

TEST_CASE("GEMM gives the same bits on every FMA target: transposes, alpha, beta, bias, ReLU",
          "[kernels][gemm][targets]") {
  require_gemm_same_on_targets<float>();
  require_gemm_same_on_targets<double>();
}

TEST_CASE("GEMM gives the same bits whatever cache sizes it blocks for", "[kernels][gemm]") {
  const auto level = [](size_t bytes) { return CacheLevel{bytes, "test"}; };
  const CacheSizes sizes[] = {
      {level(16 << 10), level(128 << 10), level(1 << 20)},  // small, old
      {level(32 << 10), level(512 << 10), level(8 << 20)},  // the defaults
      {level(48 << 10), level(2 << 20), level(32 << 20)},   // Zen 5, Sapphire Rapids
      {level(64 << 10), level(8 << 20), level(512 << 20)},  // large
  };
  for (const GemmCase& g : {gemm_cases()[0], gemm_cases()[2], gemm_cases()[4]}) {
    const Bits detected = gemm_bits<float>(g);
    for (const CacheSizes& caches : sizes) {
      detail::override_blocking_cache_sizes(&caches);
      const Bits injected = gemm_bits<float>(g);
      detail::override_blocking_cache_sizes(nullptr);
      INFO(g.m << "x" << g.n << "x" << g.k << " under " << to_string(caches));
      REQUIRE(injected.bytes() == detected.bytes());
    }
  }
}

TEMPLATE_TEST_CASE("reductions give the same bits on every FMA target", "[kernels][targets]", float,
                   double) {
  using T = TestType;
  for (size_t n : {1, 15, 63, 64, 65, 100, 1000, 16384 + 17, 300000}) {
    const Matrix<T> x = random_matrix<T>(1, n, n);
    const Matrix<T> target = random_matrix<T>(1, n, n + 1);
    INFO(n << " elements");
    require_same_bits_on_targets("reductions", [&] {
      Matrix<T> diff(1, n);
      const ErrorSums<T> errors = squared_and_relative_errors<T>(x, target, T(1e-7), diff);
      return Bits()
          .add_value(sum<T>(x))
          .add_value(sum_squares<T>(x))
          .add_value(max_abs<T>(x))
          .add_value(errors.squared)
          .add_value(errors.relative);
    });
  }
  const Matrix<T> big = random_matrix<T>(301, 517, 9);
  const MatrixView<const T> strided = MatrixView<const T>(big).block(1, 3, 299, 511);
  require_same_bits_on_targets("strided reductions", [&] {
    return Bits().add_value(sum(strided)).add_value(sum_squares(strided));
  });
}

TEMPLATE_TEST_CASE("elementwise math gives the same bits on every FMA target", "[kernels][targets]",
                   float, double) {
  using T = TestType;
  const Matrix<T> x = random_matrix<T>(37, 201, 11, -30, 30);
  const Matrix<T> y = random_matrix<T>(37, 201, 12, -1, 1);
  require_same_bits_on_targets("elementwise", [&] {
    Matrix<T> out(x.rows(), x.cols());
    Bits bits;
    const auto run = [&](auto kernel) {
      kernel(out.view());
      bits.add(out);
    };
    run([&](MatrixView<T> o) { exp<T>(x, o); });
    run([&](MatrixView<T> o) { tanh<T>(x, o); });
    run([&](MatrixView<T> o) { sigmoid<T>(x, o); });
    run([&](MatrixView<T> o) { div<T>(y, x, o); });
    run([&](MatrixView<T> o) { softmax_rows<T>(x, o); });
    run([&](MatrixView<T> o) { log_softmax_rows<T>(x, o); });
    run([&](MatrixView<T> o) { tanh_backward<T>(y, x, o); });
    run([&](MatrixView<T> o) { sigmoid_backward<T>(y, x, o); });
    run([&](MatrixView<T> o) {
      copy<T>(y, o);
      axpy<T>(T(0.3), x, o);
    });
    Matrix<T> sums(1, x.cols());
    column_sums<T>(x, sums);
    return bits.add(sums);
  });
}

TEMPLATE_TEST_CASE("optimizer updates give the same bits on every FMA target", "[kernels][targets]",
                   float, double) {
  using T = TestType;
  const Matrix<T> g = random_matrix<T>(97, 113, 21);
  require_same_bits_on_targets("optimizer updates", [&] {
    Matrix<T> p = random_matrix<T>(97, 113, 22), s1 = random_matrix<T>(97, 113, 23, 0, 1);
    Matrix<T> s2 = random_matrix<T>(97, 113, 24, 0, 1);
    Bits bits;
    for (int step = 1; step <= 3; ++step) {
      bits.add_value(sgd_momentum_update_and_square_sum<T>(p, g, s1, T(0.01), T(0.9), true));
      bits.add_value(rmsprop_update_and_square_sum<T>(p, g, s2, T(0.001), T(0.9), T(1e-7)));
      bits.add_value(
          adam_update_and_square_sum<T>(p, g, s1, s2, T(0.001), T(0.9), T(0.999), T(1e-7), step));
    }
    return bits.add(p).add(s1).add(s2);
  });
}

TEST_CASE("every runnable target says whether its multiply-add is fused, truthfully",
          "[kernels][targets]") {
  // (1 + 2^-12)² - (1 + 2^-11) is 2^-24 exactly; rounded twice, the square loses its last bit
  // to a tie and the difference is 0.
  const float a = 1.0f + 0x1p-12f;
  Matrix<float> x(1, 1), y(1, 1);
  for (const SimdTarget& target : runnable_targets()) {
    ScopedTargetPin pin(target.bit);
    x(0, 0) = a;
    y(0, 0) = -(1.0f + 0x1p-11f);
    axpy<float>(a, x, y);
    INFO(target.name);
    REQUIRE(y(0, 0) == (target.fused_multiply_add ? 0x1p-24f : 0.0f));
  }
}

}  // namespace simdgrad::testing
