// check_vjp and check_gradient: gradcheck's rules for code that does not run on the tape.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/finite_difference_rules.h"
#include "simdgrad/autograd/gradcheck.h"
#include "simdgrad/autograd/random.h"

namespace simdgrad::autograd {
namespace {

using detail::Comparison;
using detail::Numeric;

// The checked scalar at a point, and the sum of the absolute terms that made it (what its
// rounding error scales with).
struct Sample {
  double value, magnitude;
};

// One central difference: the derivative, and the gap between the one-sided differences
// forward and backward, (f(x+h) − 2f(x) + f(x−h))/h, which halves with h where f is smooth.
struct Difference {
  double derivative, gap, magnitude;
};

// Compares analytic derivatives with the differences of a function evaluated in precision E,
// element by element or along random directions.
template <class E>
class AdjointChecker {
 public:
  using Evaluate = std::function<Sample(std::span<const E>)>;

  // analytic_unit_roundoff: that of the analytic gradient's precision where it is coarser
  // than E's (a float adjoint checked in double), else 0.
  AdjointChecker(Evaluate evaluate, std::vector<E> x, std::vector<double> analytic,
                 const GradcheckOptions& options, double analytic_unit_roundoff)
      : evaluate_(std::move(evaluate)),
        origin_(x),
        x_(std::move(x)),
        analytic_(std::move(analytic)),
        options_(options),
        analytic_unit_roundoff_(analytic_unit_roundoff) {
    base_ = evaluate_(x_);
  }

  GradcheckReport run() {
    GradcheckReport report;
    GradcheckInputReport& r = report.inputs.emplace_back();
    r.name = "x";
    Comparison compare{r};
    options_.directional ? compare_directions(compare) : compare_elements(compare);
    compare.finish(options_);
    detail::conclude(report, options_, compare.max_analytic, compare.max_numeric);
    return report;
  }

 private:
  static constexpr double kUnitRoundoff = std::numeric_limits<E>::epsilon() / 2;

  // move_to(h) puts x at offset h along the element or direction and returns the offset
  // actually taken (rounding to E can change it); move_to(0) restores x.
  template <class MoveTo>
  Difference central(const MoveTo& move_to, double h) {
    const double up = move_to(+h);
    const Sample plus = evaluate_(x_);
    const double down = move_to(-h);
    const Sample minus = evaluate_(x_);
    move_to(0.0);
    const double forward = (plus.value - base_.value) / up;
    const double backward = (base_.value - minus.value) / -down;
    return {(plus.value - minus.value) / (up - down), forward - backward,
            std::max({base_.magnitude, plus.magnitude, minus.magnitude})};
  }

  template <class MoveTo>
  Numeric numeric_derivative(const MoveTo& move_to, double h, double analytic) {
    const Difference at_h = central(move_to, h);
    Difference at_half{};
    bool halved = false;
    Numeric out = detail::tolerance_rule(at_h.derivative, options_);
    if (options_.rule == GradcheckRule::kErrorEstimate) {
      at_half = central(move_to, h / 2);
      halved = true;
      out = detail::estimate_rule(at_h.derivative, at_half.derivative,
                                  std::max(at_h.magnitude, at_half.magnitude), h, kUnitRoundoff,
                                  options_.safety);
    }
    out.allowed += 4 * analytic_unit_roundoff_ * (std::abs(out.value) + std::abs(analytic));
    if (!detail::fails(analytic, out)) return out;
    if (!halved) at_half = central(move_to, h / 2);
    // Smooth: gap(h) = 2·gap(h/2) up to O(h³) and rounding (about 20·u·F/h).
    const double departure = std::abs(at_h.gap - 2 * at_half.gap);
    const double noise = 20 * kUnitRoundoff * std::max(at_h.magnitude, at_half.magnitude) / h;
    out.crossed_kink =
        departure > 0.1 * std::abs(analytic - out.value) && departure > options_.safety * noise;
    return out;
  }

  void compare_elements(Comparison& compare) {
    for (size_t e = 0; e < x_.size(); ++e) {
      const double h = options_.eps * std::max(1.0, std::abs(double(origin_[e])));
      const Numeric numeric = numeric_derivative(
          [&](double offset) {
            x_[e] = offset == 0.0 ? origin_[e] : E(double(origin_[e]) + offset);
            return double(x_[e]) - double(origin_[e]);
          },
          h, analytic_[e]);
      numeric.crossed_kink ? compare.add_kink(e) : compare.add(e, analytic_[e], numeric, h);
    }
  }

  void compare_directions(Comparison& compare) {
    double squares = 0;
    for (E v : origin_) squares += double(v) * double(v);
    const double n = double(std::max<size_t>(origin_.size(), 1));
    // Along a unit direction each element moves by about h/√n: scaled by √n, each moves about
    // as far as it would alone, and the change of f stays far above its rounding.
    const double h = options_.eps * std::sqrt(n) * std::max(1.0, std::sqrt(squares / n));
    Random directions(options_.seed + 1);
    std::vector<double> u(x_.size());
    for (int d = 0; d < options_.directions; ++d) {
      const double along = detail::random_direction(directions, analytic_.data(), u);
      const Numeric numeric = numeric_derivative(
          [&](double offset) {
            for (size_t e = 0; e < x_.size(); ++e)
              x_[e] = offset == 0.0 ? origin_[e] : E(double(origin_[e]) + offset * u[e]);
            return offset;
          },
          h, along);
      numeric.crossed_kink ? compare.add_kink(size_t(d))
                           : compare.add(size_t(d), along, numeric, h);
    }
  }

  Evaluate evaluate_;
  const std::vector<E> origin_;
  std::vector<E> x_;
  std::vector<double> analytic_;
  GradcheckOptions options_;
  double analytic_unit_roundoff_;
  Sample base_{};
};

// f gave a NaN or an infinity: no difference of it means anything, so the check stops.
[[noreturn]] void throw_not_finite(const char* check, const std::string& what) {
  throw std::domain_error(std::string(check) + ": f returned a non-finite " + what +
                          " at the point or at a step from it (within eps·max(1, |x|) of x)");
}

void require_point(size_t n, const char* check) {
  if (n == 0) throw std::invalid_argument(std::string(check) + ": x is empty");
}

template <class T>
std::vector<double> widened(const std::vector<T>& values, size_t n, const char* what) {
  if (values.size() != n) {
    throw std::invalid_argument(std::string(what) + " returned " + std::to_string(values.size()) +
                                " values for " + std::to_string(n) + " inputs");
  }
  return std::vector<double>(values.begin(), values.end());
}

// v·f(x), v drawn once in the adjoint's precision A (so that both precisions see the same v),
// checking that f keeps its number of outputs.
template <class E, class A>
class Reduction {
 public:
  Reduction(const VectorMap<E>& f, std::span<const E> x, uint64_t seed) : f_(f) {
    Random rng(seed);
    const size_t m = f_(x).size();
    for (size_t j = 0; j < m; ++j) weights_.push_back(A(rng.uniform(-1, 1)));
  }
  Sample operator()(std::span<const E> x) const {
    const std::vector<E> y = f_(x);
    if (y.size() != weights_.size()) {
      throw std::invalid_argument("check_vjp: f returned " + std::to_string(y.size()) +
                                  " values, earlier " + std::to_string(weights_.size()));
    }
    Sample s{0, 0};
    for (size_t j = 0; j < y.size(); ++j) {
      if (!std::isfinite(double(y[j])))
        throw_not_finite("check_vjp", "output " + std::to_string(j));
      const double term = double(weights_[j]) * double(y[j]);
      s.value += term;
      s.magnitude += std::abs(term);
    }
    return s;
  }
  const std::vector<A>& weights() const { return weights_; }

 private:
  const VectorMap<E>& f_;
  std::vector<A> weights_;
};

template <class E, class A>
GradcheckReport vjp_check(const VectorMap<E>& f, const VectorJacobianProduct<A>& vjp,
                          std::span<const A> x, const GradcheckOptions& options) {
  require_point(x.size(), "check_vjp");
  const std::vector<E> point(x.begin(), x.end());
  const Reduction<E, A> reduction(f, point, options.seed);
  std::vector<double> analytic = widened(vjp(x, reduction.weights()), x.size(), "check_vjp: vjp");
  const double coarser = sizeof(A) < sizeof(E) ? std::numeric_limits<A>::epsilon() / 2 : 0;
  return AdjointChecker<E>([&](std::span<const E> at) { return reduction(at); }, point,
                           std::move(analytic), options, coarser)
      .run();
}

template <class E, class A>
GradcheckReport gradient_check(const ScalarMap<E>& f, const VectorMap<A>& gradient,
                               std::span<const A> x, const GradcheckOptions& options) {
  require_point(x.size(), "check_gradient");
  std::vector<double> analytic = widened(gradient(x), x.size(), "check_gradient: gradient");
  const double coarser = sizeof(A) < sizeof(E) ? std::numeric_limits<A>::epsilon() / 2 : 0;
  return AdjointChecker<E>(
             [&](std::span<const E> at) {
               const double value = double(f(at));
               if (!std::isfinite(value)) throw_not_finite("check_gradient", "value");
               return Sample{value, std::abs(value)};
             },
             std::vector<E>(x.begin(), x.end()), std::move(analytic), options, coarser)
      .run();
}

}  // namespace

template <class T>
GradcheckReport check_vjp(const VectorMap<T>& f, const VectorJacobianProduct<T>& vjp,
                          std::span<const T> x, const GradcheckOptions& options) {
  return vjp_check<T, T>(f, vjp, x, options);
}

GradcheckReport check_vjp(const VectorMap<double>& f_in_double,
                          const VectorJacobianProduct<float>& vjp, std::span<const float> x,
                          const GradcheckOptions& options) {
  return vjp_check<double, float>(f_in_double, vjp, x, options);
}

template <class T>
GradcheckReport check_gradient(const ScalarMap<T>& f, const VectorMap<T>& gradient,
                               std::span<const T> x, const GradcheckOptions& options) {
  return gradient_check<T, T>(f, gradient, x, options);
}

GradcheckReport check_gradient(const ScalarMap<double>& f_in_double,
                               const VectorMap<float>& gradient, std::span<const float> x,
                               const GradcheckOptions& options) {
  return gradient_check<double, float>(f_in_double, gradient, x, options);
}

template GradcheckReport check_vjp<float>(const VectorMap<float>&,
                                          const VectorJacobianProduct<float>&,
                                          std::span<const float>, const GradcheckOptions&);
template GradcheckReport check_vjp<double>(const VectorMap<double>&,
                                           const VectorJacobianProduct<double>&,
                                           std::span<const double>, const GradcheckOptions&);
template GradcheckReport check_gradient<float>(const ScalarMap<float>&, const VectorMap<float>&,
                                               std::span<const float>, const GradcheckOptions&);
template GradcheckReport check_gradient<double>(const ScalarMap<double>&, const VectorMap<double>&,
                                                std::span<const double>, const GradcheckOptions&);

}  // namespace simdgrad::autograd
