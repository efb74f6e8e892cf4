#include "simdgrad/autograd/gradcheck.h"

#include "autograd/finite_difference_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "simdgrad/autograd/random.h"
#include "simdgrad/elementwise.h"

namespace simdgrad::autograd {
namespace {

using detail::Comparison;
using detail::Numeric;

// Evaluates f and reduces its output to a scalar with the weights v (generated once, on the
// first evaluation, from the options' seed).
template <class T>
class ScalarObjective {
 public:
  ScalarObjective(const GradcheckFunction<T>& f, const std::vector<Parameter<T>*>& inputs,
                  uint64_t seed)
      : f_(f), inputs_(inputs), rng_(seed) {}

  // Records f on a fresh step of the tape and returns the scalar.
  Var<T> record(Tape<T>& tape) {
    const Var<T> out = record_output(tape);
    return is_scalar(out) ? out : record_reduction(tape, out);
  }

  // The scalar at the inputs' current values, without gradients, and the sum of the absolute
  // terms of its final reduction (what its rounding error scales with); also the kink pattern.
  struct Value {
    double value, magnitude;
  };
  Value evaluate(Tape<T>& tape, std::vector<uint8_t>* kinks) {
    NoGrad<T> no_grad(tape);
    const Var<T> out = record_output(tape);
    Value v;
    if (is_scalar(out)) {
      v.value = double(out.value()(0, 0));
      v.magnitude = std::abs(v.value);
    } else {
      v.value = double(record_reduction(tape, out).value()(0, 0));
      v.magnitude = 0;
      for (size_t r = 0; r < out.rows(); ++r) {
        for (size_t c = 0; c < out.cols(); ++c) {
          v.magnitude += std::abs(double(out.value()(r, c)) * double(weights_(r, c)));
        }
      }
    }
    *kinks = tape.kink_pattern();
    return v;
  }

 private:
  static bool is_scalar(const Var<T>& out) { return out.rows() == 1 && out.cols() == 1; }

  Var<T> record_output(Tape<T>& tape) {
    tape.reset();
    std::vector<Var<T>> vars;
    for (Parameter<T>* p : inputs_) vars.push_back(tape.parameter(*p));
    return f_(tape, vars);
  }

  // sum(v ⊙ out), with v drawn on first use.
  Var<T> record_reduction(Tape<T>& tape, Var<T> out) {
    if (weights_.size() == 0) {
      weights_ = Matrix<T>(out.rows(), out.cols());
      for (size_t i = 0; i < weights_.size(); ++i) weights_.data()[i] = T(rng_.uniform(-1, 1));
    }
    return sum(mul(out, tape.constant(weights_.view())));
  }

  const GradcheckFunction<T>& f_;
  const std::vector<Parameter<T>*>& inputs_;
  Random rng_;
  Matrix<T> weights_;
};

// One check: the analytic gradients from one backward pass, then each input's numeric
// derivatives, element by element or along random directions.
template <class T>
class GradientChecker {
 public:
  GradientChecker(const GradcheckFunction<T>& f, const std::vector<Parameter<T>*>& inputs,
                  const GradcheckOptions& options)
      : inputs_(inputs), options_(options), objective_(f, inputs, options.seed) {
    tape_.set_kink_tracking(true);
  }

  GradcheckReport run() {
    record_analytic_gradients();
    GradcheckReport report;
    Random directions(options_.seed + 1);
    double max_analytic = 0, max_numeric = 0;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      GradcheckInputReport& r = report.inputs.emplace_back();
      r.name = inputs_[i]->name;
      Comparison compare{r};
      if (options_.directional) {
        compare_directions(i, directions, compare);
      } else {
        compare_elements(i, compare);
      }
      compare.finish(options_);
      max_analytic = std::max(max_analytic, compare.max_analytic);
      max_numeric = std::max(max_numeric, compare.max_numeric);
    }
    detail::conclude(report, options_, max_analytic, max_numeric);
    return report;
  }

 private:
  bool estimates() const { return options_.rule == GradcheckRule::kErrorEstimate; }

  // The analytic gradients, with the inputs' own gradients saved and restored around them. A
  // gradient flagged zero (Parameter::grad_is_zero) keeps its flag too.
  void record_analytic_gradients() {
    std::vector<Matrix<T>> saved_grads;
    std::vector<bool> saved_zero_flags;
    for (Parameter<T>* p : inputs_) {
      saved_grads.push_back(p->grad);
      saved_zero_flags.push_back(p->grad_is_zero);
      fill(p->grad.view(), T(0));
      p->grad_is_zero = false;
    }
    Var<T> loss = objective_.record(tape_);
    base_kinks_ = tape_.kink_pattern();
    tape_.backward(loss);
    for (size_t i = 0; i < inputs_.size(); ++i) {
      analytic_.push_back(inputs_[i]->grad);
      inputs_[i]->grad = saved_grads[i];
      inputs_[i]->grad_is_zero = saved_zero_flags[i];
    }
  }

  // The central difference at offset h: move_to(h) puts the input at offset h and returns the
  // offset actually taken (rounding to T can change it); move_to(0) restores it.
  template <class MoveTo>
  double central_difference(const MoveTo& move_to, double h, bool* crossed, double* magnitude) {
    const double h_plus = move_to(+h);
    const auto plus = objective_.evaluate(tape_, &kinks_);
    *crossed |= kinks_ != base_kinks_;
    const double h_minus = move_to(-h);
    const auto minus = objective_.evaluate(tape_, &kinks_);
    *crossed |= kinks_ != base_kinks_;
    move_to(0.0);
    *magnitude = std::max({*magnitude, plus.magnitude, minus.magnitude});
    return (plus.value - minus.value) / (h_plus - h_minus);
  }

  // The numeric derivative along one element or direction, and the error its rule allows.
  template <class MoveTo>
  Numeric numeric_derivative(const MoveTo& move_to) {
    bool crossed = false;
    double magnitude = 0;
    const double at_h = central_difference(move_to, options_.eps, &crossed, &magnitude);
    Numeric out = detail::tolerance_rule(at_h, options_);
    if (estimates()) {
      const double at_half = central_difference(move_to, options_.eps / 2, &crossed, &magnitude);
      out = detail::estimate_rule(at_h, at_half, magnitude, options_.eps,
                                  std::numeric_limits<T>::epsilon() / 2, options_.safety);
    }
    out.crossed_kink = crossed;
    return out;
  }

  void compare_elements(size_t i, Comparison& compare) {
    T* x = inputs_[i]->value.data();
    for (size_t e = 0; e < inputs_[i]->value.size(); ++e) {
      const T original = x[e];
      const Numeric numeric = numeric_derivative([&](double h) {
        x[e] = h == 0.0 ? original : T(double(original) + h);
        return double(x[e]) - double(original);
      });
      if (numeric.crossed_kink) {
        compare.add_kink(e);
        continue;
      }
      compare.add(e, double(analytic_[i].data()[e]), numeric, options_.eps);
    }
  }

  void compare_directions(size_t i, Random& directions, Comparison& compare) {
    T* x = inputs_[i]->value.data();
    const size_t n = inputs_[i]->value.size();
    std::vector<double> u(n);
    const std::vector<T> original(x, x + n);
    for (int d = 0; d < options_.directions; ++d) {
      const double along = detail::random_direction(directions, analytic_[i].data(), u);
      const Numeric numeric = numeric_derivative([&](double h) {
        for (size_t e = 0; e < n; ++e) {
          x[e] = h == 0.0 ? original[e] : T(double(original[e]) + h * u[e]);
        }
        return h;
      });
      if (numeric.crossed_kink) {
        compare.add_kink(size_t(d));
        continue;
      }
      compare.add(size_t(d), along, numeric, options_.eps);
    }
  }

  const std::vector<Parameter<T>*>& inputs_;
  const GradcheckOptions& options_;
  Tape<T> tape_;
  ScalarObjective<T> objective_;
  std::vector<Matrix<T>> analytic_;
  std::vector<uint8_t> base_kinks_, kinks_;
};

}  // namespace

namespace detail {
void conclude(GradcheckReport& report, const GradcheckOptions& options, double max_analytic,
              double max_numeric) {
  report.passed = std::all_of(report.inputs.begin(), report.inputs.end(),
                              [](const GradcheckInputReport& r) { return r.passed; });
  for (const auto& r : report.inputs) {
    if (r.checked == 0) {
      report.passed = false;
      report.failure = "input '" + r.name + "': nothing was compared (every element skipped)";
    }
  }
  // All zero up to the evaluations' own noise: nothing could have disagreed.
  const double zero_level = options.rule == GradcheckRule::kErrorEstimate ? 0 : options.atol;
  if (report.failure.empty() && max_analytic == 0 && max_numeric <= zero_level) {
    report.passed = false;
    report.failure =
        "every analytic and numeric gradient is zero: this check could not have failed";
  }
  if (report.failure.empty() && !report.passed) report.failure = "gradients disagree";
}
}  // namespace detail

template <class T>
GradcheckReport gradcheck(const GradcheckFunction<T>& f, const std::vector<Parameter<T>*>& inputs,
                          const GradcheckOptions& options) {
  return GradientChecker<T>(f, inputs, options).run();
}

std::string GradcheckReport::to_string() const {
  std::string out =
      "input                     checked  skipped  failed  worst  analytic      numeric       "
      "abs err   allowed   digits  resolves\n";
  char line[256];
  for (const auto& r : inputs) {
    char resolution[16] = "-";
    if (r.resolution > 0) std::snprintf(resolution, sizeof resolution, "%.1e", r.resolution);
    std::snprintf(line, sizeof line,
                  "%-24s %8zu %8zu %7zu %6zu  %-13.6g %-13.6g %-9.2e %-9.2e %6.1f  %-8s  %s\n",
                  r.name.c_str(), r.checked, r.skipped_kinks, r.failures, r.worst_index, r.analytic,
                  r.numeric, r.abs_error, r.allowed, r.agreement_digits, resolution,
                  r.passed ? "ok" : "FAIL");
    out += line;
  }
  for (const auto& r : inputs) out += r.entries_to_string();
  out += passed ? "PASS\n" : "FAIL: " + failure + "\n";
  return out;
}

std::string GradcheckInputReport::entries_to_string() const {
  std::string out;
  char line[256];
  for (const Entry& e : failed_entries) {
    std::snprintf(line, sizeof line,
                  "  %s[%zu] failed: analytic %.10g, numeric %.10g, error %.2e > allowed %.2e "
                  "(step %.2e)\n",
                  name.c_str(), e.index, e.analytic, e.numeric, std::abs(e.analytic - e.numeric),
                  e.allowed, e.step);
    out += line;
  }
  if (failures > failed_entries.size())
    out += "  " + name + ": " + std::to_string(failures - failed_entries.size()) + " more failed\n";
  if (!kink_entries.empty()) {
    out += "  " + name + ": kinks (skipped, not failed) at";
    for (size_t index : kink_entries) out += " " + std::to_string(index);
    if (skipped_kinks > kink_entries.size()) out += " …";
    out += "\n";
  }
  return out;
}

template GradcheckReport gradcheck<float>(const GradcheckFunction<float>&,
                                          const std::vector<Parameter<float>*>&,
                                          const GradcheckOptions&);
template GradcheckReport gradcheck<double>(const GradcheckFunction<double>&,
                                           const std::vector<Parameter<double>*>&,
                                           const GradcheckOptions&);

}  // namespace simdgrad::autograd
