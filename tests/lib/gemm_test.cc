// GEMM against a long double reference, element by element within the rounding-error bound of
// its algorithm: all transpose pairs, hundreds of random and boundary shapes, alpha/beta
// variants, strided views and the fused epilogue, on every target.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "lib/gemm/blocking.h"
#include "lib/gemm/gemm_kernels.h"
#include "simdgrad/gemm.h"
#include "simdgrad/index_range.h"
#include "tests/support/error_bounds.h"
#include "tests/support/for_each_target.h"
#include "tests/support/random_matrix.h"
#include "tests/support/tolerance.h"

namespace simdgrad::testing {
namespace {

struct GemmCase {
  size_t m, n, k;
  Transpose ta, tb;
  double alpha, beta;
  bool bias, relu;
  size_t pad;  // extra row stride of every operand
};

// Random shapes (many tiny, many around tile and block edges) and a few that cross the
// NC, MC and KC blocks of the driver.
std::vector<GemmCase> gemm_cases() {
  std::mt19937_64 rng(2024);
  auto pick = [&](size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng);
  };
  const size_t edges[] = {0, 1, 2, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65};
  const double alphas[] = {1.0, -0.5, 2.0};
  const double betas[] = {0.0, 1.0, 0.5};
  std::vector<GemmCase> cases;
  auto dimension = [&](int kind) {
    if (kind == 0) return edges[pick(0, std::size(edges) - 1)];
    if (kind == 1) return pick(1, 24);
    return pick(25, 140);
  };
  for (size_t i = 0; i < 240; ++i) {
    GemmCase c;
    c.m = dimension(int(pick(0, 2)));
    c.n = dimension(int(pick(0, 2)));
    c.k = dimension(int(pick(0, 2)));
    c.ta = (i & 1) ? Transpose::kYes : Transpose::kNo;
    c.tb = (i & 2) ? Transpose::kYes : Transpose::kNo;
    c.alpha = alphas[pick(0, 2)];
    c.beta = betas[pick(0, 2)];
    c.bias = pick(0, 3) == 0;
    c.relu = pick(0, 3) == 0;
    c.pad = pick(0, 1) ? pick(1, 9) : 0;
    cases.push_back(c);
  }
  // Across the blocking: KC (256 / 192), MC (192), NC (3072).
  for (size_t t = 0; t < 4; ++t) {
    const Transpose ta = (t & 1) ? Transpose::kYes : Transpose::kNo;
    const Transpose tb = (t & 2) ? Transpose::kYes : Transpose::kNo;
    cases.push_back({193, 37, 257, ta, tb, 1.0, 0.5, true, true, 1});
    cases.push_back({9, 3075, 5, ta, tb, 1.0, 0.0, true, false, 0});
    cases.push_back({385, 33, 385, ta, tb, -1.0, 1.0, false, false, 3});
  }
  return cases;
}

template <class T>
void check_gemm_case(const GemmCase& g, std::mt19937_64& rng) {
  const bool ta = g.ta == Transpose::kYes, tb = g.tb == Transpose::kYes;
  PlacedMatrix<T> a(ta ? g.k : g.m, ta ? g.m : g.k, 1, g.pad);
  PlacedMatrix<T> b(tb ? g.n : g.k, tb ? g.k : g.n, 2, g.pad);
  PlacedMatrix<T> c(g.m, g.n, 3, g.pad, std::numeric_limits<T>::quiet_NaN());
  PlacedMatrix<T> bias(1, g.n, 1, 0);
  fill_uniform(a.view(), rng);
  fill_uniform(b.view(), rng);
  fill_uniform(bias.view(), rng);
  if (g.beta != 0.0) fill_uniform(c.view(), rng);  // beta == 0: C holds NaN, never read
  const PlacedMatrix<T> c0 = c;

  GemmEpilogue<T> epilogue;
  if (g.bias) epilogue.bias = bias.cview();
  if (g.relu) epilogue.activation = Activation::kRelu;
  gemm<T>(g.ta, g.tb, T(g.alpha), a.cview(), b.cview(), T(g.beta), c.view(), epilogue);

  // The bound. Each product a·b reaches C through at most K roundings in the micro-kernel's
  // accumulator (FMA: one per depth), then per KC block one for α and one for adding the
  // block to C, then one each for βC, the bias and the transposing copy of the Cᵀ path:
  // |Ĉ − C| ≤ γ_{K'} (|α|·|A||B| + |β||C₀| + |bias|), K' = K + 2·blocks + 3 (Higham §3.5).
  // ReLU is 1-Lipschitz, so the bound holds after it. The reference is long double, and its
  // own error is added.
  const auto& kernels = detail::gemm_kernels<T>();
  const size_t kc = detail::choose_blocking(g.m, g.n, g.k, kernels.mr, kernels.nr, sizeof(T)).kc;
  const size_t depth_blocks = div_ceil(g.k, kc);
  const double gamma = gamma_n<T>(g.k + 2 * depth_blocks + 3) + gamma_n<Reference>(g.k + 3);
  size_t bad = 0;
  double worst = 0;  // the largest error as a fraction of its bound
  for (size_t i = 0; i < g.m; ++i) {
    for (size_t j = 0; j < g.n; ++j) {
      Reference dot = 0, magnitude = 0;
      for (size_t p = 0; p < g.k; ++p) {
        const Reference x = ta ? a.cview()(p, i) : a.cview()(i, p);
        const Reference y = tb ? b.cview()(j, p) : b.cview()(p, j);
        dot += x * y;
        magnitude += std::abs(x * y);
      }
      Reference want = Reference(g.alpha) * dot;
      magnitude *= std::abs(g.alpha);
      if (g.beta != 0.0) {
        want += Reference(g.beta) * c0.cview()(i, j);
        magnitude += std::abs(Reference(g.beta) * c0.cview()(i, j));
      }
      if (g.bias) {
        want += bias.cview()(0, j);
        magnitude += std::abs(Reference(bias.cview()(0, j)));
      }
      if (g.relu) want = std::max(want, Reference(0));
      const T got = c.cview()(i, j);
      const double error = double(std::abs(Reference(got) - want));
      const double bound = gamma * double(magnitude);
      if (std::isnan(double(got)) || !(error <= bound)) ++bad;
      if (bound > 0) worst = std::max(worst, error / bound);
    }
  }
  INFO("M=" << g.m << " N=" << g.n << " K=" << g.k << " A" << (ta ? "ᵀ" : "") << " B"
            << (tb ? "ᵀ" : "") << " alpha=" << g.alpha << " beta=" << g.beta << " bias=" << g.bias
            << " relu=" << g.relu << " pad=" << g.pad << " worst error/bound=" << worst);
  REQUIRE(bad == 0);
}

template <class T>
void check_gemm_on_every_target() {
  const auto cases = gemm_cases();
  for_each_target([&](const SimdTarget& target) {
    REQUIRE(detail::gemm_kernels<T>().target == target.bit);
    std::mt19937_64 rng(99);
    for (const GemmCase& g : cases) check_gemm_case<T>(g, rng);
  });
}

}  // namespace

TEST_CASE("float GEMM stays within its error bound for every transpose pair on every target",
          "[kernels][gemm]") {
  check_gemm_on_every_target<float>();
}

TEST_CASE("double GEMM stays within its error bound for every transpose pair on every target",
          "[kernels][gemm]") {
  check_gemm_on_every_target<double>();
}

TEST_CASE("GEMM with K = 0 or alpha = 0 scales C by beta and still applies the epilogue",
          "[kernels][gemm]") {
  Matrix<float> a(3, 0), b(0, 4), c(3, 4), bias(1, 4);
  for (size_t j = 0; j < 4; ++j) bias(0, j) = float(j) - 1.5f;
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 4; ++j) c(i, j) = 2.0f;
  gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, a, b, 0.5f, c,
              {bias.view(), Activation::kRelu});
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = 0; j < 4; ++j) REQUIRE(c(i, j) == std::max(1.0f + bias(0, j), 0.0f));
  }
  Matrix<float> a2(3, 5), b2(5, 4);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 4; ++j) c(i, j) = std::numeric_limits<float>::quiet_NaN();
  gemm<float>(Transpose::kNo, Transpose::kNo, 0.0f, a2, b2, 0.0f, c);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 4; ++j) REQUIRE(c(i, j) == 0.0f);
}

TEST_CASE("GEMM rejects shapes that do not chain, naming all three", "[kernels][gemm]") {
  Matrix<float> a(2, 3), b(4, 5), c(2, 5), bias(1, 4);
  REQUIRE_THROWS_WITH(gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, a, b, 0.0f, c),
                      "gemm: shapes do not chain, A 2x3 times B 4x5 into C 2x5");
  REQUIRE_THROWS_WITH(gemm<float>(Transpose::kYes, Transpose::kNo, 1.0f, a, b, 0.0f, c),
                      "gemm: shapes do not chain, A 2x3 transposed times B 4x5 into C 2x5");
  Matrix<float> b3(3, 5);
  REQUIRE_THROWS_WITH(gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, a, b3, 0.0f, c,
                                  {bias.view(), Activation::kNone}),
                      "gemm: bias must be 1x5, got 1x4");
}

}  // namespace simdgrad::testing

namespace simdgrad::testing {

TEST_CASE("GEMM flushes denormals to zero and restores the caller's floating-point mode",
          "[kernels][gemm]") {
  const float tiny = std::numeric_limits<float>::denorm_min() * 1000;  // a denormal
  REQUIRE(std::fpclassify(tiny) == FP_SUBNORMAL);
  Matrix<float> a(16, 16), b(16, 16), c(16, 16);
  for (size_t i = 0; i < 16; ++i) {
    a(i, i) = tiny;  // read as 0 under DAZ
    b(i, i) = 1.0f;
  }
  a(0, 1) = 1e-20f;  // 1e-20 * 1e-20 underflows to a denormal: written as 0 under FTZ
  b(1, 0) = 1e-20f;
  gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, a, b, 0.0f, c);
  for (size_t i = 0; i < 16; ++i) REQUIRE(c(i, i) == 0.0f);
  // Outside the GEMM, denormals are back: the caller's mode was restored.
  volatile float half = 0.5f;
  REQUIRE(std::fpclassify(tiny * half) == FP_SUBNORMAL);
}

}  // namespace simdgrad::testing

namespace simdgrad::testing {

TEST_CASE("GEMM is right on shapes straddling every tile and block boundary, on every target",
          "[kernels][gemm]") {
  // The boundaries come from the running target's tile and the driver's blocking, so the
  // shapes follow them wherever they are: MR +- 1, NR +- 1, KC +- 1, MC +- 1, N around the
  // panel width B is read in place at, last panels on either side of one vector (the
  // one-vector micro-kernel), and N on both sides of the 4 panels up to which A is read in
  // place.
  auto check = [](auto zero) {
    using T = decltype(zero);
    for_each_target([&](const SimdTarget&) {
      const auto& kernels = detail::gemm_kernels<T>();
      const size_t mr = kernels.mr, nr = kernels.nr, lanes = kernels.lanes;
      const auto block = detail::choose_blocking(4096, 4096, 4096, mr, nr, sizeof(T));
      std::mt19937_64 rng(77);
      std::vector<GemmCase> cases;
      for (size_t m : {mr - 1, mr, mr + 1, block.mc - 1, block.mc + 1}) {
        for (size_t n : {lanes + 1, nr - 1, nr + 1, nr + lanes, 2 * nr + 1, 4 * nr + 1}) {
          for (size_t k : {size_t{3}, block.kc - 1, block.kc + 1}) {
            const bool odd = (m + n + k) % 2;
            cases.push_back({m, n, k, odd ? Transpose::kYes : Transpose::kNo,
                             (m + k) % 2 ? Transpose::kYes : Transpose::kNo, 1.0, odd ? 0.5 : 0.0,
                             odd, !odd, size_t(odd)});
          }
        }
      }
      for (const GemmCase& g : cases) check_gemm_case<T>(g, rng);
    });
  };
  check(0.0f);
  check(0.0);
}

}  // namespace simdgrad::testing
