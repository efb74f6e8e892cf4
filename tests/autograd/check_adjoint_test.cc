// The tape-free gradient checks, check_vjp and check_gradient: for each of five functions (a
// smooth vector map, one with kinks, one with |x| over 8 decades, a float function, a 10⁵-input
// function in directional mode) the correct adjoint passes and one wrong by a relative 1e-6
// fails, in double; kinks are reported, not failed; the report names the failing entries with
// their steps; PyTorch's tolerance rule, as an option, lets the 1e-6 error pass; sizes that do
// not match, an empty x and a non-finite f are refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "simdgrad/autograd/gradcheck.h"

namespace simdgrad::testing {
namespace {

using autograd::check_gradient;
using autograd::check_vjp;
using autograd::GradcheckOptions;
using autograd::GradcheckReport;
using Span = std::span<const double>;

// An adjoint's result scaled by (1 + error): a relative error of `error` in every entry.
std::vector<double> off_by(std::vector<double> values, double error) {
  for (double& v : values) v *= 1 + error;
  return values;
}

// R⁴ → R³: f = (sin(x0)·x1, exp(0.3·x2) + x3², x0·x1·x3).
std::vector<double> smooth_map(Span x) {
  return {std::sin(x[0]) * x[1], std::exp(0.3 * x[2]) + x[3] * x[3], x[0] * x[1] * x[3]};
}
std::vector<double> smooth_map_vjp(Span x, Span v, double error) {
  return off_by({v[0] * std::cos(x[0]) * x[1] + v[2] * x[1] * x[3],
                 v[0] * std::sin(x[0]) + v[2] * x[0] * x[3], v[1] * 0.3 * std::exp(0.3 * x[2]),
                 v[1] * 2 * x[3] + v[2] * x[0] * x[1]},
                error);
}

}  // namespace

TEST_CASE("check_vjp passes a smooth map's adjoint and fails one wrong by 1e-6", "[gradcheck]") {
  const std::vector<double> x = {0.7, -1.3, 0.4, 2.1};
  const GradcheckReport right = check_vjp<double>(
      smooth_map, [](Span at, Span v) { return smooth_map_vjp(at, v, 0); }, x);
  INFO(right.to_string());
  REQUIRE(right.passed);
  REQUIRE(right.inputs.at(0).checked == 4);
  REQUIRE(right.inputs.at(0).agreement_digits > 9);
  const GradcheckReport wrong = check_vjp<double>(
      smooth_map, [](Span at, Span v) { return smooth_map_vjp(at, v, 1e-6); }, x);
  INFO(wrong.to_string());
  REQUIRE_FALSE(wrong.passed);
  REQUIRE(wrong.inputs.at(0).failures == 4);
  // The report names each failing entry, by how much, and the step it used.
  REQUIRE(wrong.inputs.at(0).failed_entries.size() == 4);
  REQUIRE(wrong.inputs.at(0).failed_entries[3].index == 3);
  REQUIRE(wrong.inputs.at(0).failed_entries[3].step == Approx(1e-4 * 2.1));
  REQUIRE(wrong.to_string().find("x[3] failed: analytic ") != std::string::npos);
  // PyTorch's tolerance rule, as an option: the same wrong adjoint passes it.
  const GradcheckReport tolerant = check_vjp<double>(
      smooth_map, [](Span at, Span v) { return smooth_map_vjp(at, v, 1e-6); }, x,
      GradcheckOptions::pytorch_tolerances<double>());
  INFO(tolerant.to_string());
  REQUIRE(tolerant.passed);
  REQUIRE(tolerant.inputs.at(0).resolution == 0);  // the tolerance rule estimates nothing
}

TEST_CASE("check_gradient reports kinks, not failures, and still fails a wrong slope elsewhere",
          "[gradcheck]") {
  // f = Σ |xᵢ| + 0.5·xᵢ², two elements closer to the kink at 0 than the step.
  const auto f = [](Span x) {
    double s = 0;
    for (double v : x) s += std::abs(v) + 0.5 * v * v;
    return s;
  };
  const auto gradient = [](Span x, double error) {
    std::vector<double> g;
    for (double v : x) g.push_back((v >= 0 ? 1.0 : -1.0) + v);
    return off_by(g, error);
  };
  const std::vector<double> x = {0.5, -1e-6, 2.0, 0.0, -0.3};
  const GradcheckReport right = check_gradient<double>(
      f, [&](Span at) { return gradient(at, 0); }, x);
  INFO(right.to_string());
  REQUIRE(right.passed);
  REQUIRE(right.inputs.at(0).kink_entries == std::vector<size_t>{1, 3});
  REQUIRE(right.inputs.at(0).checked == 3);
  REQUIRE(right.to_string().find("kinks (skipped, not failed) at 1 3") != std::string::npos);
  const GradcheckReport wrong = check_gradient<double>(
      f, [&](Span at) { return gradient(at, 1e-6); }, x);
  INFO(wrong.to_string());
  REQUIRE_FALSE(wrong.passed);
  REQUIRE(wrong.inputs.at(0).failures == 3);
  REQUIRE(wrong.inputs.at(0).skipped_kinks == 2);
}

TEST_CASE("steps relative to |x| check a function over 8 decades of |x|", "[gradcheck]") {
  // f = Σ xᵢ·log(xᵢ) + xᵢ³/3 at xᵢ = 10^(i-3), i = 0..8: 1e-3 to 1e5.
  std::vector<double> x;
  for (int i = 0; i <= 8; ++i) x.push_back(std::pow(10.0, i - 3));
  const auto f = [](Span at) {
    double s = 0;
    for (double v : at) s += v * std::log(v) + v * v * v / 3;
    return s;
  };
  const auto gradient = [](Span at, double error) {
    std::vector<double> g;
    for (double v : at) g.push_back(std::log(v) + 1 + v * v);
    return off_by(g, error);
  };
  const GradcheckReport right = check_gradient<double>(
      f, [&](Span at) { return gradient(at, 0); }, x);
  INFO(right.to_string());
  REQUIRE(right.passed);
  const GradcheckReport wrong = check_gradient<double>(
      f, [&](Span at) { return gradient(at, 1e-6); }, x);
  INFO(wrong.to_string());
  REQUIRE_FALSE(wrong.passed);
  // One scalar sums terms up to 3e14: an entry whose change of f is below that sum's rounding
  // cannot show an error of 1e-6, and its allowed error (the report's "resolves") says so; the
  // large ones do. Each listed entry used the step eps·max(1, |x|).
  REQUIRE(wrong.inputs.at(0).failures >= 2);
  for (const auto& entry : wrong.inputs.at(0).failed_entries)
    REQUIRE(entry.step == Approx(1e-4 * std::max(1.0, x[entry.index])));
  REQUIRE(wrong.inputs.at(0).failed_entries.back().index == 8);
}

TEST_CASE("a float adjoint is checked in double when f comes in both precisions", "[gradcheck]") {
  // f = (xᵢ·tanh(xᵢ₊₁)) for i = 0..n-2, in float and in double.
  const auto map = [](auto x) {
    using T = std::remove_cv_t<typename decltype(x)::element_type>;
    std::vector<T> y;
    for (size_t i = 0; i + 1 < x.size(); ++i) y.push_back(x[i] * std::tanh(x[i + 1]));
    return y;
  };
  const auto vjp = [](std::span<const float> x, std::span<const float> v, float error) {
    std::vector<float> g(x.size(), 0.0f);
    for (size_t i = 0; i + 1 < x.size(); ++i) {
      const float t = std::tanh(x[i + 1]);
      g[i] += v[i] * t;
      g[i + 1] += v[i] * x[i] * (1 - t * t);
    }
    for (float& e : g) e *= 1 + error;
    return g;
  };
  const std::vector<float> x = {0.3f, -0.8f, 1.1f, 0.05f, -1.7f, 0.6f};
  const autograd::VectorMap<double> in_double = [&](Span at) { return map(at); };
  const GradcheckReport right = check_vjp(
      in_double, [&](std::span<const float> at, std::span<const float> v) { return vjp(at, v, 0); },
      x);
  INFO(right.to_string());
  REQUIRE(right.passed);
  const GradcheckReport wrong = check_vjp(
      in_double,
      [&](std::span<const float> at, std::span<const float> v) { return vjp(at, v, 1e-6f); }, x);
  INFO(wrong.to_string());
  REQUIRE_FALSE(wrong.passed);
  // In float alone, with float's step: the right adjoint passes, to fewer digits.
  const GradcheckReport float_only = check_vjp<float>(
      [&](std::span<const float> at) { return map(at); },
      [&](std::span<const float> at, std::span<const float> v) { return vjp(at, v, 0); }, x);
  INFO(float_only.to_string());
  REQUIRE(float_only.passed);
}

TEST_CASE("directional mode checks a 10^5-input adjoint with a few evaluations", "[gradcheck]") {
  // f = (Σ xᵢ², Σ sin(xᵢ)) over 100,000 inputs.
  std::vector<double> x(100000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * double(i)) * 1.5;
  const auto f = [](Span at) {
    double squares = 0, sines = 0;
    for (double v : at) {
      squares += v * v;
      sines += std::sin(v);
    }
    return std::vector<double>{squares, sines};
  };
  const auto vjp = [](Span at, Span v, double error) {
    std::vector<double> g(at.size());
    for (size_t i = 0; i < at.size(); ++i) g[i] = v[0] * 2 * at[i] + v[1] * std::cos(at[i]);
    return off_by(g, error);
  };
  GradcheckOptions options;
  options.directional = true;
  const GradcheckReport right = check_vjp<double>(
      f, [&](Span at, Span v) { return vjp(at, v, 0); }, x, options);
  INFO(right.to_string());
  REQUIRE(right.passed);
  REQUIRE(right.inputs.at(0).checked == size_t(options.directions));
  const GradcheckReport wrong = check_vjp<double>(
      f, [&](Span at, Span v) { return vjp(at, v, 1e-6); }, x, options);
  INFO(wrong.to_string());
  REQUIRE_FALSE(wrong.passed);
}

TEST_CASE(
    "check_vjp refuses an adjoint of the wrong size, f changing its outputs or returning "
    "NaN, and an empty x",
    "[gradcheck]") {
  const std::vector<double> x = {1.0, 2.0};
  REQUIRE_THROWS_WITH(
      check_vjp<double>([](Span at) { return std::vector<double>(at.begin(), at.end()); },
                        [](Span, Span) { return std::vector<double>(3); }, x),
      Catch::Contains("returned 3 values for 2 inputs"));
  int calls = 0;
  REQUIRE_THROWS_WITH(
      check_vjp<double>([&](Span) { return std::vector<double>(++calls == 1 ? 1 : 2, 0.0); },
                        [](Span, Span) { return std::vector<double>(2); }, x),
      Catch::Contains("f returned 2 values, earlier 1"));
  // log(x) stepped across 0 from x = 1e-5: NaN at x − h.
  const std::vector<double> near_zero = {1e-5};
  REQUIRE_THROWS_WITH(
      check_vjp<double>([](Span at) { return std::vector<double>{std::log(at[0])}; },
                        [](Span at, Span v) { return std::vector<double>{v[0] / at[0]}; },
                        near_zero),
      Catch::Contains("f returned a non-finite output 0"));
  REQUIRE_THROWS_WITH(
      check_gradient<double>([](Span at) { return std::sqrt(at[0]); },
                             [](Span at) { return std::vector<double>{0.5 / std::sqrt(at[0])}; },
                             near_zero),
      Catch::Contains("check_gradient: f returned a non-finite value"));
  const std::vector<double> empty;
  REQUIRE_THROWS_WITH(check_gradient<double>([](Span) { return 0.0; },
                                             [](Span) { return std::vector<double>(); }, empty),
                      Catch::Contains("x is empty"));
}

}  // namespace simdgrad::testing
