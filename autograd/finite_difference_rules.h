// The rules gradcheck (on the tape) and check_vjp / check_gradient (any code) share: the
// numeric derivative and the error each rule allows it, and the tally of one input's
// comparisons that becomes its report. Internal to autograd/.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "simdgrad/autograd/gradcheck.h"
#include "simdgrad/autograd/random.h"

namespace simdgrad::autograd::detail {

// One element's (or direction's) numeric derivative and the error its rule allows.
struct Numeric {
  double value;
  double allowed;
  bool crossed_kink;
};

// The error-estimate rule on central differences at h and at h/2 of a function whose
// evaluations round with unit_roundoff and add terms of total size `magnitude`.
inline Numeric estimate_rule(double at_h, double at_half, double magnitude, double h,
                             double unit_roundoff, double safety) {
  // Central differences err by c·h² + rounding: halving h quarters the first, so their
  // disagreement bounds what is left after extrapolating it away; rounding adds at most
  // about 3·u·F/h to the extrapolated value.
  const double extrapolated = at_half + (at_half - at_h) / 3;
  const double error = std::abs(at_half - at_h) + 3 * unit_roundoff * magnitude / h;
  return Numeric{extrapolated, safety * error, false};
}

// PyTorch's rule on one central difference.
inline Numeric tolerance_rule(double at_h, const GradcheckOptions& options) {
  return Numeric{at_h, options.atol + options.rtol * std::abs(at_h), false};
}

// An analytic derivative outside what the rule allows (a NaN is outside too).
inline bool fails(double analytic, const Numeric& numeric) {
  return !(std::abs(analytic - numeric.value) <= numeric.allowed);
}

// Draws a unit direction u (normal, normalized; u's size sets n) and returns the analytic
// derivative along it, gradient · u.
template <class G>
double random_direction(Random& directions, const G* gradient, std::vector<double>& u) {
  double norm = 0;
  for (double& ue : u) {
    ue = directions.normal();
    norm += ue * ue;
  }
  norm = std::sqrt(norm);
  double along = 0;
  for (size_t e = 0; e < u.size(); ++e) {
    u[e] /= norm;
    along += double(gradient[e]) * u[e];
  }
  return along;
}

// Tracks the comparisons of one input: failures (the first few listed), the worst element,
// and the scales behind its digits of agreement and resolution.
struct Comparison {
  GradcheckInputReport& report;
  double worst_ratio = -1;
  double max_analytic = 0, max_numeric = 0, max_error = 0, max_allowed = 0;

  // `step`: the step h the element was checked with.
  void add(size_t index, double analytic, const Numeric& numeric, double step) {
    const double abs_error = std::abs(analytic - numeric.value);
    ++report.checked;
    if (fails(analytic, numeric)) {
      ++report.failures;
      if (report.failed_entries.size() < GradcheckInputReport::kListedEntries)
        report.failed_entries.push_back({index, analytic, numeric.value, numeric.allowed, step});
    }
    max_analytic = std::max(max_analytic, std::abs(analytic));
    max_numeric = std::max(max_numeric, std::abs(numeric.value));
    max_error = std::max(max_error, abs_error);
    max_allowed = std::max(max_allowed, numeric.allowed);
    const double ratio = abs_error / numeric.allowed;
    if (ratio > worst_ratio || std::isnan(ratio)) {
      worst_ratio = std::isnan(ratio) ? std::numeric_limits<double>::infinity() : ratio;
      report.worst_index = index;
      report.analytic = analytic;
      report.numeric = numeric.value;
      report.abs_error = abs_error;
      report.rel_error = abs_error / std::max(std::abs(numeric.value), 1e-300);
      report.allowed = numeric.allowed;
      report.step = step;
    }
  }

  void add_kink(size_t index) {
    ++report.skipped_kinks;
    if (report.kink_entries.size() < GradcheckInputReport::kListedEntries)
      report.kink_entries.push_back(index);
  }

  void finish(const GradcheckOptions& options) {
    const double scale = max_numeric > 0 ? max_numeric : max_analytic;
    constexpr double kExact = 17;  // digits reported when the gradients agree to the last bit
    report.agreement_digits = scale == 0       ? 0
                              : max_error == 0 ? kExact
                                               : std::min(kExact, -std::log10(max_error / scale));
    report.resolution =
        options.rule == GradcheckRule::kErrorEstimate && scale > 0 ? max_allowed / scale : 0;
    report.passed = report.checked > 0 && report.failures == 0;
  }
};

// The verdict over every input, and why it failed when it did: a check that compared nothing,
// or whose gradients were all zero (up to the tolerance rule's atol), could not have failed.
void conclude(GradcheckReport& report, const GradcheckOptions& options, double max_analytic,
              double max_numeric);

}  // namespace simdgrad::autograd::detail
