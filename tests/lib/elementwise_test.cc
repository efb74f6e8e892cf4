// Every elementwise kernel against a scalar double reference, on every SIMD target this CPU
// runs, at sizes around every vector width, from unaligned starts and on strided views.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "simdgrad/elementwise.h"
#include "tests/support/error_bounds.h"
#include "tests/support/for_each_target.h"
#include "tests/support/random_matrix.h"
#include "tests/support/tolerance.h"

namespace simdgrad::testing {
namespace {

std::vector<size_t> test_sizes() {
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 67; ++n) sizes.push_back(n);
  for (size_t n : {127, 128, 129, 784, 1000}) sizes.push_back(n);
  return sizes;
}

struct Layout {
  size_t rows, cols, offset, pad;
};

// 1 x n from an odd offset (unaligned), and a strided 3 x n block.
std::vector<Layout> test_layouts() {
  std::vector<Layout> layouts;
  for (size_t n : test_sizes()) {
    layouts.push_back({1, n, 1, 0});
    if (n % 7 == 0 || n > 100) layouts.push_back({3, n, 3, 5});
  }
  return layouts;
}

// Compares a unary-or-binary elementwise kernel with `reference(a, b)` elementwise.
// `magnitude(a, b)` bounds the size of the terms; exact ops pass ulps = 0.
template <class T, class Kernel, class Reference, class Magnitude>
void check_binary(const char* name, Kernel kernel, Reference reference, Magnitude magnitude,
                  double ulps) {
  std::mt19937_64 rng(42);
  for_each_target([&](const SimdTarget&) {
    for (const Layout& l : test_layouts()) {
      INFO(name << " on " << l.rows << "x" << l.cols << " offset " << l.offset << " pad " << l.pad);
      PlacedMatrix<T> a(l.rows, l.cols, l.offset, l.pad),
          b(l.rows, l.cols, l.offset + 1, l.pad + 2);
      PlacedMatrix<T> y(l.rows, l.cols, l.offset + 2, l.pad, T(7));
      fill_uniform(a.view(), rng, -2.0, 2.0);
      fill_uniform(b.view(), rng, -2.0, 2.0);
      kernel(a.cview(), b.cview(), y.view());
      size_t bad = 0;
      for (size_t r = 0; r < l.rows; ++r) {
        for (size_t c = 0; c < l.cols; ++c) {
          const double x = a.view()(r, c), z = b.view()(r, c);
          if (!close_to<T>(y.view()(r, c), reference(x, z), magnitude(x, z), ulps)) ++bad;
        }
      }
      REQUIRE(bad == 0);
      // Nothing outside the output view was touched (guard value 7 everywhere else).
      size_t inside = 0, sevens = 0;
      for (T v : y.storage()) sevens += v == T(7);
      for (size_t r = 0; r < l.rows; ++r)
        for (size_t c = 0; c < l.cols; ++c) inside += y.view()(r, c) == T(7);
      REQUIRE(sevens - inside == y.storage().size() - l.rows * l.cols);
    }
  });
}

auto exact = [](double, double) { return 0.0; };

template <class T>
void check_all_elementwise() {
  check_binary<T>(
      "add", [](auto a, auto b, auto y) { add(a, b, y); }, [](double a, double b) { return a + b; },
      exact, 0.0);
  check_binary<T>(
      "sub", [](auto a, auto b, auto y) { sub(a, b, y); }, [](double a, double b) { return a - b; },
      exact, 0.0);
  check_binary<T>(
      "mul", [](auto a, auto b, auto y) { mul(a, b, y); }, [](double a, double b) { return a * b; },
      exact, 0.0);
  check_binary<T>(
      "scale", [](auto a, auto, auto y) { scale(T(0.75), a, y); },
      [](double a, double) { return 0.75 * a; }, exact, 0.0);
  check_binary<T>(
      "relu", [](auto a, auto, auto y) { relu(a, y); },
      [](double a, double) { return a > 0 ? a : 0.0; }, exact, 0.0);
  check_binary<T>(
      "relu_backward", [](auto a, auto b, auto y) { relu_backward(a, b, y); },
      [](double a, double b) { return a > 0 ? b : 0.0; }, exact, 0.0);
  check_binary<T>(
      "copy", [](auto a, auto, auto y) { copy(a, y); }, [](double a, double) { return a; }, exact,
      0.0);
  check_binary<T>(
      "fill", [](auto, auto, auto y) { fill(y, T(-3.5)); }, [](double, double) { return -3.5; },
      exact, 0.0);
  check_binary<T>(
      "div", [](auto a, auto b, auto y) { div(a, b, y); }, [](double a, double b) { return a / b; },
      exact, 0.0);
  check_binary<T>(
      "abs", [](auto a, auto, auto y) { abs(a, y); }, [](double a, double) { return std::abs(a); },
      exact, 0.0);
  check_binary<T>(
      "sign", [](auto a, auto, auto y) { sign(a, y); },
      [](double a, double) { return double((a > 0) - (a < 0)); }, exact, 0.0);
  check_binary<T>(
      "clamp_min", [](auto a, auto, auto y) { clamp_min(T(-0.5), a, y); },
      [](double a, double) { return std::max(a, -0.5); }, exact, 0.0);
  auto relative = [](double want) { return std::abs(want); };
  check_binary<T>(
      "exp", [](auto a, auto, auto y) { exp(a, y); }, [](double a, double) { return std::exp(a); },
      [&](double a, double) { return relative(std::exp(a)); }, 4.0);
  check_binary<T>(
      "tanh", [](auto a, auto, auto y) { tanh(a, y); },
      [](double a, double) { return std::tanh(a); },
      [&](double a, double) { return relative(std::tanh(a)); }, 4.0);
  check_binary<T>(
      "sigmoid", [](auto a, auto, auto y) { sigmoid(a, y); },
      [](double a, double) { return 1.0 / (1.0 + std::exp(-a)); },
      [&](double a, double) { return relative(1.0 / (1.0 + std::exp(-a))); }, 6.0);
  check_binary<T>(
      "tanh_backward", [](auto a, auto b, auto y) { tanh_backward(a, b, y); },
      [](double y, double g) { return g * (1.0 - y * y); },
      [](double y, double g) { return std::abs(g) * (1.0 + y * y); }, 4.0);
  check_binary<T>(
      "sigmoid_backward", [](auto a, auto b, auto y) { sigmoid_backward(a, b, y); },
      [](double y, double g) { return g * y * (1.0 - y); },
      [](double y, double g) { return std::abs(g * y) * (1.0 + std::abs(y)); }, 4.0);
  // axpy: y = b first, then y += 1.5 a (one fused or two rounded operations).
  check_binary<T>(
      "axpy",
      [](auto a, auto b, auto y) {
        copy(b, y);
        axpy(T(1.5), a, y);
      },
      [](double a, double b) { return 1.5 * a + b; },
      [](double a, double b) { return std::abs(1.5 * a) + std::abs(b); }, 2.0);
}

}  // namespace

TEST_CASE("elementwise float kernels match a double reference on every SIMD target", "[kernels]") {
  check_all_elementwise<float>();
}

TEST_CASE("elementwise double kernels match a double reference on every SIMD target", "[kernels]") {
  check_all_elementwise<double>();
}

TEMPLATE_TEST_CASE("softmax_rows and log_softmax_rows match a double reference on every target",
                   "[kernels]", float, double) {
  using T = TestType;
  std::mt19937_64 rng(21);
  for_each_target([&](const SimdTarget&) {
    for (size_t cols : {1, 2, 7, 10, 16, 33, 784}) {
      INFO("3x" << cols);
      PlacedMatrix<T> x(3, cols, 1, 2), y(3, cols, 2, 1), log_y(3, cols, 0, 3);
      fill_uniform(x.view(), rng, -30.0, 30.0);  // wide logits: only a shifted exp survives
      softmax_rows(x.cview(), y.view());
      log_softmax_rows(x.cview(), log_y.view());
      size_t bad = 0;
      for (size_t r = 0; r < 3; ++r) {
        double max = -1e300, total = 0;
        for (size_t c = 0; c < cols; ++c) max = std::max(max, double(x.view()(r, c)));
        for (size_t c = 0; c < cols; ++c) total += std::exp(double(x.view()(r, c)) - max);
        for (size_t c = 0; c < cols; ++c) {
          const double xc = x.view()(r, c);
          const double want_log = xc - max - std::log(total);
          // Rounding x - max costs eps*(|x| + |max|) absolutely, which exp turns into a relative
          // error of the same size; the normalizer adds one rounding per summed term.
          const double shift_error = std::abs(xc) + std::abs(max);
          if (!close_to<T>(y.view()(r, c), std::exp(want_log), std::exp(want_log),
                           8.0 + cols + shift_error))
            ++bad;
          if (!close_to<T>(log_y.view()(r, c), want_log, shift_error + std::log(total) + 1, 8.0))
            ++bad;
        }
      }
      REQUIRE(bad == 0);
    }
  });
}

TEMPLATE_TEST_CASE("relu and relu_backward treat zero and negative zero as inactive", "[kernels]",
                   float, double) {
  Matrix<TestType> x(1, 4), g(1, 4), y(1, 4);
  x(0, 0) = TestType(0);
  x(0, 1) = -TestType(0);
  x(0, 2) = TestType(1e-30);
  x(0, 3) = TestType(-1e-30);
  fill(g.view(), TestType(2));
  relu_backward<TestType>(x, g, y);
  CHECK(y(0, 0) == 0);
  CHECK(y(0, 1) == 0);
  CHECK(y(0, 2) == 2);
  CHECK(y(0, 3) == 0);
  relu<TestType>(x, y);
  CHECK(y(0, 2) == TestType(1e-30));
  CHECK(y(0, 3) == 0);
}

TEMPLATE_TEST_CASE("add_row_vector adds the bias to every row and column_sums inverts its shape",
                   "[kernels]", float, double) {
  std::mt19937_64 rng(7);
  for_each_target([&](const SimdTarget&) {
    for (size_t cols : {1, 5, 16, 17, 67, 784}) {
      for (size_t rows : {1, 3, 128}) {
        PlacedMatrix<TestType> y(rows, cols, 1, 3), bias(1, cols, 2, 0), sums(1, cols, 1, 0);
        fill_uniform(y.view(), rng);
        fill_uniform(bias.view(), rng);
        Matrix<TestType> before(rows, cols);
        copy(y.cview(), before.view());
        add_row_vector(bias.cview(), y.view());
        column_sums(y.cview(), sums.view());
        size_t bad = 0;
        for (size_t c = 0; c < cols; ++c) {
          Reference want_sum = 0, magnitude = 0;
          for (size_t r = 0; r < rows; ++r) {
            const double want = double(before(r, c)) + double(bias.view()(0, c));
            if (!close_to<TestType>(y.view()(r, c), want, 0.0, 0.0)) ++bad;
            want_sum += y.view()(r, c);
            magnitude += std::abs(Reference(y.view()(r, c)));
          }
          // Row by row into a zeroed sum: rows additions deep (Higham §4.2).
          const double bound =
              (gamma_n<TestType>(rows) + gamma_n<Reference>(rows)) * double(magnitude);
          if (!(double(std::abs(Reference(sums.view()(0, c)) - want_sum)) <= bound)) ++bad;
        }
        INFO(rows << "x" << cols);
        REQUIRE(bad == 0);
      }
    }
  });
}

TEMPLATE_TEST_CASE("relu_backward_column_sums is bitwise column_sums of relu_backward", "[kernels]",
                   float, double) {
  std::mt19937_64 rng(8);
  for_each_target([&](const SimdTarget&) {
    for (size_t cols : {1, 5, 16, 17, 67, 784}) {
      for (size_t rows : {1, 3, 128}) {
        PlacedMatrix<TestType> x(rows, cols, 1, 3), g(rows, cols, 2, 1);
        fill_uniform(x.view(), rng);
        fill_uniform(g.view(), rng);
        x.view()(0, 0) = TestType(0);  // no gradient at the kink
        x.view()(rows - 1, cols - 1) = std::numeric_limits<TestType>::quiet_NaN();
        g.view()(rows - 1, cols - 1) = std::numeric_limits<TestType>::infinity();  // masked
        Matrix<TestType> dz(rows, cols), want(1, cols), got(1, cols);
        relu_backward(x.cview(), g.cview(), dz.view());
        column_sums(MatrixView<const TestType>(dz), want.view());
        relu_backward_column_sums(x.cview(), g.cview(), got.view());
        size_t differing = 0;
        for (size_t c = 0; c < cols; ++c) {
          differing += std::memcmp(&got(0, c), &want(0, c), sizeof(TestType)) != 0;
        }
        INFO(rows << "x" << cols);
        REQUIRE(std::isfinite(double(got(0, cols - 1))));
        REQUIRE(differing == 0);
      }
    }
  });
}

TEST_CASE("elementwise kernels reject mismatched shapes naming both", "[kernels]") {
  Matrix<float> a(2, 3), b(3, 2), y(2, 3), bias(1, 4);
  REQUIRE_THROWS_WITH(add<float>(a, b, y), "add: shape mismatch, 2x3 vs 3x2");
  REQUIRE_THROWS_WITH(relu<float>(a, b), "relu: shape mismatch, 2x3 vs 3x2");
  REQUIRE_THROWS_WITH(add_row_vector<float>(bias, y),
                      "add_row_vector: expected a 1x3 row vector, got 1x4");
  REQUIRE_THROWS_WITH(relu_backward_column_sums<float>(a, b, bias),
                      "relu_backward_column_sums: shape mismatch, 2x3 vs 3x2");
}

}  // namespace simdgrad::testing
