#include "simdgrad/autograd/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "simdgrad/autograd/random.h"
#include "simdgrad/elementwise.h"

namespace simdgrad::autograd {
namespace {

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
    tape.reset();
    std::vector<Var<T>> vars;
    for (Parameter<T>* p : inputs_) vars.push_back(tape.parameter(*p));
    Var<T> out = f_(tape, vars);
    if (out.rows() == 1 && out.cols() == 1) return out;
    if (weights_.size() == 0) {
      weights_ = Matrix<T>(out.rows(), out.cols());
      for (size_t i = 0; i < weights_.size(); ++i) weights_.data()[i] = T(rng_.uniform(-1, 1));
    }
    return sum(mul(out, tape.constant(weights_.view())));
  }

  // The scalar at the inputs' current values, without gradients; also the kink pattern.
  double evaluate(Tape<T>& tape, std::vector<uint8_t>* kinks) {
    NoGrad<T> no_grad(tape);
    const double value = double(record(tape).value()(0, 0));
    *kinks = tape.kink_pattern();
    return value;
  }

 private:
  const GradcheckFunction<T>& f_;
  const std::vector<Parameter<T>*>& inputs_;
  Random rng_;
  Matrix<T> weights_;
};

// Tracks the worst comparison of one input.
struct Comparison {
  const GradcheckOptions& options;
  GradcheckInputReport& report;
  double worst_ratio = -1;
  double max_analytic = 0, max_numeric = 0;

  void add(size_t index, double analytic, double numeric) {
    const double abs_error = std::abs(analytic - numeric);
    const double tolerance = options.atol + options.rtol * std::abs(numeric);
    ++report.checked;
    if (abs_error > tolerance) ++report.failures;
    max_analytic = std::max(max_analytic, std::abs(analytic));
    max_numeric = std::max(max_numeric, std::abs(numeric));
    const double ratio = abs_error / tolerance;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      report.worst_index = index;
      report.analytic = analytic;
      report.numeric = numeric;
      report.abs_error = abs_error;
      report.rel_error = abs_error / std::max(std::abs(numeric), 1e-300);
    }
  }
};

}  // namespace

template <class T>
GradcheckReport gradcheck(const GradcheckFunction<T>& f, const std::vector<Parameter<T>*>& inputs,
                          const GradcheckOptions& options) {
  Tape<T> tape;
  tape.set_kink_tracking(true);
  ScalarObjective<T> objective(f, inputs, options.seed);

  // Analytic gradients, with the inputs' own gradients saved and restored around them.
  // A gradient flagged zero (Parameter::grad_is_zero) keeps its flag too.
  std::vector<Matrix<T>> saved_grads, analytic;
  std::vector<bool> saved_zero_flags;
  for (Parameter<T>* p : inputs) {
    saved_grads.push_back(p->grad);
    saved_zero_flags.push_back(p->grad_is_zero);
    fill(p->grad.view(), T(0));
    p->grad_is_zero = false;
  }
  Var<T> loss = objective.record(tape);
  const std::vector<uint8_t> base_kinks = tape.kink_pattern();
  tape.backward(loss);
  for (size_t i = 0; i < inputs.size(); ++i) {
    analytic.push_back(inputs[i]->grad);
    inputs[i]->grad = saved_grads[i];
    inputs[i]->grad_is_zero = saved_zero_flags[i];
  }

  GradcheckReport report;
  Random directions(options.seed + 1);
  std::vector<uint8_t> kinks_plus, kinks_minus;
  double max_analytic = 0, max_numeric = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Parameter<T>& p = *inputs[i];
    GradcheckInputReport& r = report.inputs.emplace_back();
    r.name = p.name;
    Comparison compare{options, r};
    T* x = p.value.data();
    const size_t n = p.value.size();
    // Central difference: move_to(h) puts the input at offset h along the direction and
    // returns the offset actually taken (rounding to T can change it); move_to(0) restores.
    auto central = [&](auto&& move_to, bool* crossed_kink) {
      const double h_plus = move_to(+options.eps);
      const double plus = objective.evaluate(tape, &kinks_plus);
      const double h_minus = move_to(-options.eps);
      const double minus = objective.evaluate(tape, &kinks_minus);
      move_to(0.0);
      *crossed_kink = kinks_plus != base_kinks || kinks_minus != base_kinks;
      return (plus - minus) / (h_plus - h_minus);
    };
    if (!options.directional) {
      for (size_t e = 0; e < n; ++e) {
        const T original = x[e];
        bool crossed;
        const double numeric = central(
            [&](double h) {
              x[e] = h == 0.0 ? original : T(double(original) + h);
              return double(x[e]) - double(original);
            },
            &crossed);
        if (crossed) {
          ++r.skipped_kinks;
          continue;
        }
        compare.add(e, double(analytic[i].data()[e]), numeric);
      }
    } else {
      std::vector<double> u(n);
      const std::vector<T> original(x, x + n);
      for (int d = 0; d < options.directions; ++d) {
        double norm = 0;
        for (double& ue : u) {
          ue = directions.normal();
          norm += ue * ue;
        }
        norm = std::sqrt(norm);
        double along = 0;
        for (size_t e = 0; e < n; ++e) {
          u[e] /= norm;
          along += double(analytic[i].data()[e]) * u[e];
        }
        bool crossed;
        const double numeric = central(
            [&](double h) {
              for (size_t e = 0; e < n; ++e) x[e] = h == 0.0 ? original[e] : T(double(original[e]) + h * u[e]);
              return h;
            },
            &crossed);
        if (crossed) {
          ++r.skipped_kinks;
          continue;
        }
        compare.add(size_t(d), along, numeric);
      }
    }
    r.passed = r.checked > 0 && r.failures == 0;
    max_analytic = std::max(max_analytic, compare.max_analytic);
    max_numeric = std::max(max_numeric, compare.max_numeric);
  }

  report.passed = std::all_of(report.inputs.begin(), report.inputs.end(),
                              [](const GradcheckInputReport& r) { return r.passed; });
  for (const auto& r : report.inputs) {
    if (r.checked == 0) {
      report.passed = false;
      report.failure = "input '" + r.name + "': nothing was compared (every element skipped)";
    }
  }
  if (report.failure.empty() && max_analytic == 0 && max_numeric <= options.atol) {
    report.passed = false;
    report.failure =
        "every analytic and numeric gradient is zero: this check could not have failed";
  }
  if (report.failure.empty() && !report.passed) report.failure = "gradients disagree";
  return report;
}

std::string GradcheckReport::to_string() const {
  std::string out =
      "input                     checked  skipped  failed  worst  analytic      numeric       "
      "abs err   rel err\n";
  char line[256];
  for (const auto& r : inputs) {
    std::snprintf(line, sizeof line, "%-24s %8zu %8zu %7zu %6zu  %-13.6g %-13.6g %-9.2e %-9.2e %s\n",
                  r.name.c_str(), r.checked, r.skipped_kinks, r.failures, r.worst_index,
                  r.analytic, r.numeric, r.abs_error, r.rel_error, r.passed ? "ok" : "FAIL");
    out += line;
  }
  out += passed ? "PASS\n" : "FAIL: " + failure + "\n";
  return out;
}

template GradcheckReport gradcheck<float>(const GradcheckFunction<float>&,
                                          const std::vector<Parameter<float>*>&,
                                          const GradcheckOptions&);
template GradcheckReport gradcheck<double>(const GradcheckFunction<double>&,
                                           const std::vector<Parameter<double>*>&,
                                           const GradcheckOptions&);

}  // namespace simdgrad::autograd
