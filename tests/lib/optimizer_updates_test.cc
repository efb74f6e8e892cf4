// The fused optimizer updates against their scalar definitions (Keras 2), on every target.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "simdgrad/optimizer_updates.h"
#include "simdgrad/reductions.h"
#include "tests/support/for_each_target.h"
#include "tests/support/random_matrix.h"
#include "tests/support/tolerance.h"

namespace simdgrad::testing {
namespace {

constexpr size_t kShapes[][2] = {{1, 1}, {1, 7}, {1, 33}, {3, 67}, {2, 129}, {4, 784}};

template <class T>
void check_updates() {
  std::mt19937_64 rng(11);
  for_each_target([&](const SimdTarget&) {
    for (const auto& [rows, cols] : kShapes) {
      INFO(rows << "x" << cols);
      PlacedMatrix<T> p(rows, cols, 1, 2), g(rows, cols, 2, 1), s1(rows, cols, 3, 0),
          s2(rows, cols, 1, 4);
      fill_uniform(p.view(), rng);
      fill_uniform(g.view(), rng);
      fill_uniform(s1.view(), rng, 0.0, 1.0);
      fill_uniform(s2.view(), rng, 0.0, 1.0);
      auto p0 = p, s10 = s1, s20 = s2;
      size_t bad = 0;
      auto expect = [&](T got, double want) {
        if (!close_to<T>(got, want, std::abs(want) + 1.0, 16.0)) ++bad;
      };

      rmsprop_update<T>(p.view(), g.cview(), s1.view(), T(0.01), T(0.9), T(1e-7));
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) {
          const double gr = g.view()(r, c);
          const double a = 0.9 * s10.view()(r, c) + 0.1 * gr * gr;
          expect(s1.view()(r, c), a);
          expect(p.view()(r, c), p0.view()(r, c) - 0.01 * gr / (std::sqrt(a) + 1e-7));
        }
      REQUIRE(bad == 0);

      p = p0, s1 = s10;
      for (bool nesterov : {false, true}) {
        p = p0, s1 = s10;
        sgd_momentum_update<T>(p.view(), g.cview(), s1.view(), T(0.1), T(0.9), nesterov);
        for (size_t r = 0; r < rows; ++r)
          for (size_t c = 0; c < cols; ++c) {
            const double v = 0.9 * s10.view()(r, c) - 0.1 * g.view()(r, c);
            const double step = nesterov ? 0.9 * v - 0.1 * g.view()(r, c) : v;
            expect(s1.view()(r, c), v);
            expect(p.view()(r, c), p0.view()(r, c) + step);
          }
        REQUIRE(bad == 0);
      }

      p = p0, s1 = s10;
      const long step = 3;
      adam_update<T>(p.view(), g.cview(), s1.view(), s2.view(), T(0.001), T(0.9), T(0.999), T(1e-7),
                     step);
      const double lr_t = 0.001 * std::sqrt(1 - std::pow(0.999, 3)) / (1 - std::pow(0.9, 3));
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) {
          const double gr = g.view()(r, c);
          const double m = 0.9 * s10.view()(r, c) + 0.1 * gr;
          const double v = 0.999 * s20.view()(r, c) + 0.001 * gr * gr;
          expect(s1.view()(r, c), m);
          expect(s2.view()(r, c), v);
          expect(p.view()(r, c), p0.view()(r, c) - lr_t * m / (std::sqrt(v) + 1e-7));
        }
      REQUIRE(bad == 0);
    }
  });
}

}  // namespace

TEST_CASE("float optimizer updates match their Keras definitions on every SIMD target",
          "[kernels]") {
  check_updates<float>();
}

TEST_CASE("double optimizer updates match their Keras definitions on every SIMD target",
          "[kernels]") {
  check_updates<double>();
}

// The update that also sums g² must be the plain update, bitwise, and return what
// sum_squares(g) returns, without touching g: shapes cover tails, several segments (threaded)
// and strided views.
TEST_CASE("updates with the gradient's square sum equal the plain update plus sum_squares bitwise",
          "[kernels]") {
  std::mt19937_64 rng(5);
  // 101 and 250 leave several whole vectors after the last block of four on every target.
  const size_t shapes[][2] = {{1, 1}, {1, 17}, {3, 67}, {2, 129}, {1, 101}, {3, 250}, {784, 784}};
  for_each_target([&](const SimdTarget&) {
    for (const auto& [rows, cols] : shapes) {
      for (size_t pad : {0, 3}) {
        INFO(rows << "x" << cols << " pad " << pad);
        PlacedMatrix<float> p(rows, cols, 1, pad), g(rows, cols, 2, pad), s1(rows, cols, 0, pad),
            s2(rows, cols, 3, pad);
        fill_uniform(p.view(), rng);
        fill_uniform(g.view(), rng);
        fill_uniform(s1.view(), rng, 0.0, 1.0);
        fill_uniform(s2.view(), rng, 0.0, 1.0);
        const float squares = sum_squares<float>(g.cview());
        auto check = [&](auto plain, auto fused) {
          auto p1 = p, s11 = s1, s21 = s2;
          plain(p1, s11, s21);
          auto p2 = p, s12 = s1, s22 = s2;
          const auto g_before = g.storage();
          const float reported = fused(p2, s12, s22);
          REQUIRE(reported == squares);
          REQUIRE(p1.storage() == p2.storage());  // the views and everything around them
          REQUIRE(s11.storage() == s12.storage());
          REQUIRE(s21.storage() == s22.storage());
          REQUIRE(g.storage() == g_before);
        };
        using M = PlacedMatrix<float>;
        const auto gv = g.cview();
        check([&](M& p, M& a,
                  M&) { rmsprop_update<float>(p.view(), gv, a.view(), 1e-3f, 0.9f, 1e-7f); },
              [&](M& p, M& a, M&) {
                return rmsprop_update_and_square_sum<float>(p.view(), gv, a.view(), 1e-3f, 0.9f,
                                                            1e-7f);
              });
        for (bool nesterov : {false, true}) {
          check(
              [&](M& p, M& v, M&) {
                sgd_momentum_update<float>(p.view(), gv, v.view(), 0.1f, 0.9f, nesterov);
              },
              [&](M& p, M& v, M&) {
                return sgd_momentum_update_and_square_sum<float>(p.view(), gv, v.view(), 0.1f, 0.9f,
                                                                 nesterov);
              });
        }
        check(
            [&](M& p, M& m, M& v) {
              adam_update<float>(p.view(), gv, m.view(), v.view(), 1e-3f, 0.9f, 0.999f, 1e-7f, 4);
            },
            [&](M& p, M& m, M& v) {
              return adam_update_and_square_sum<float>(p.view(), gv, m.view(), v.view(), 1e-3f,
                                                       0.9f, 0.999f, 1e-7f, 4);
            });
      }
    }
  });
}

TEST_CASE("the first RMSprop step from a zero accumulator moves by about 3.16 lr", "[kernels]") {
  Matrix<float> p(1, 2), g(1, 2), a(1, 2);
  g(0, 0) = 0.5f;
  g(0, 1) = -4.0f;
  rmsprop_update<float>(p, g, a, 1e-3f, 0.9f, 1e-7f);
  // lr * g / (sqrt(0.1 g^2) + eps) = lr * sign(g) / sqrt(0.1)
  REQUIRE(p(0, 0) == Approx(-1e-3 / std::sqrt(0.1)).epsilon(1e-5));
  REQUIRE(p(0, 1) == Approx(1e-3 / std::sqrt(0.1)).epsilon(1e-5));
}

// Accumulators of units whose gradient stays zero decay into the subnormals; the kernels avoid
// the square root of a subnormal, which must not change a bit: the weights move by exactly
// fl(fl(lr g) / fl(fl(sqrt(a)) + eps)) for the accumulator a the kernel wrote, on every target.
template <class T>
std::vector<T> tiny_accumulators(std::mt19937_64& rng, size_t n) {
  const T min = std::numeric_limits<T>::min(), sub = std::numeric_limits<T>::denorm_min();
  std::vector<T> a = {T(0),
                      -T(0),
                      sub,
                      2 * sub,
                      3 * sub,
                      min / 2,
                      min,
                      T(1e-30),
                      T(2.2e-30),
                      T(1e-20),
                      T(1),
                      -sub,
                      std::numeric_limits<T>::quiet_NaN()};
  std::uniform_real_distribution<double> exponent(std::log2(double(sub)), -50.0);
  while (a.size() < n) a.push_back(T(std::exp2(exponent(rng))));
  return a;
}

template <class T>
bool same_bits_or_both_nan(T x, T y) {
  return std::isnan(x) ? std::isnan(y) : std::memcmp(&x, &y, sizeof(T)) == 0;
}

template <class T>
void check_denominators_of_tiny_accumulators() {
  std::mt19937_64 rng(17);
  const size_t n = 1031;  // tails on every target
  const std::vector<T> accumulators = tiny_accumulators<T>(rng, n);
  for_each_target([&](const SimdTarget&) {
    for (const T eps : {T(1e-7), T(0), T(1), T(1e-30)}) {
      INFO("eps " << eps);
      Matrix<T> p(1, n), g(1, n), a(1, n), m(1, n), v(1, n);
      for (size_t i = 0; i < n; ++i) {
        p(0, i) = T(1) + T(i % 7);
        g(0, i) = i % 5 == 0 ? T(1e-20) * T(i) : T(0);
        a(0, i) = v(0, i) = accumulators[i];
        m(0, i) = T(0.5);
      }
      const Matrix<T> p0 = p;
      rmsprop_update<T>(p, g, a, T(1e-3), T(0.9), eps);
      size_t bad = 0;
      for (size_t i = 0; i < n; ++i) {
        const T want = p0(0, i) - T(1e-3) * g(0, i) / (std::sqrt(a(0, i)) + eps);
        if (!same_bits_or_both_nan(want, p(0, i))) ++bad;
      }
      CHECK(bad == 0);
      p = p0;
      adam_update<T>(p, g, m, v, T(1e-3), T(0.9), T(0.999), eps, 1);
      // As adam_update at step 1, from the float arguments.
      const T lr_t =
          T(double(T(1e-3)) * std::sqrt(1.0 - double(T(0.999))) / (1.0 - double(T(0.9))));
      bad = 0;
      for (size_t i = 0; i < n; ++i) {
        const T want = p0(0, i) - lr_t * m(0, i) / (std::sqrt(v(0, i)) + eps);
        if (!same_bits_or_both_nan(want, p(0, i))) ++bad;
      }
      CHECK(bad == 0);
    }
  });
}

TEST_CASE("RMSprop and Adam step bitwise by lr g / (sqrt(a) + eps) for subnormal accumulators",
          "[kernels]") {
  check_denominators_of_tiny_accumulators<float>();
  check_denominators_of_tiny_accumulators<double>();
}

TEST_CASE("optimizer updates reject mismatched state shapes", "[kernels]") {
  Matrix<float> p(2, 3), g(2, 3), a(3, 2);
  REQUIRE_THROWS_WITH(rmsprop_update<float>(p, g, a, 1e-3f, 0.9f, 1e-7f),
                      "rmsprop_update: shape mismatch, 2x3 vs 3x2");
  REQUIRE_THROWS_WITH(adam_update<float>(p, g, p, p, 1e-3f, 0.9f, 0.999f, 1e-7f, 0),
                      "adam_update: step must be >= 1, got 0");
}

}  // namespace simdgrad::testing
