// Finite-difference gradient checking, as a public tool.
//
//   Parameter<double> w("w", 3, 4), x("x", 5, 4);   // fill their values
//   auto report = gradcheck<double>(
//       [](Tape<double>& tape, const std::vector<Var<double>>& in) {
//         return sum(relu(matmul(in[1], in[0], Transpose::kNo, Transpose::kYes)));
//       },
//       {&w, &x});
//   std::cout << report.to_string();   // report.passed
//
// f records a function of the inputs on the tape it is given. A non-scalar output y is
// reduced to sum(v ⊙ y) with a fixed random v, so the check covers the vector-Jacobian
// product vᵀJ. Every input element's analytic gradient is compared with a central difference.
//
// Two rules decide whether an element passes:
// - kErrorEstimate (the default): the central difference is taken at two steps, h and h/2.
//   Their disagreement estimates the finite-difference error of that element (the truncation
//   error falls by 4 from h to h/2), and their Richardson extrapolation (4·D(h/2) − D(h))/3 is
//   the numeric gradient. To that estimate is added the rounding floor of the evaluations,
//   3·u·F/h, with u the unit roundoff and F the sum of the absolute terms of the final
//   reduction. An element passes when |analytic − numeric| ≤ safety · estimate. In double, a
//   backward wrong by a relative 1e-6 fails: the estimates are about 1e-10 of the gradient.
// - kTolerance: PyTorch's rule, one central difference at eps, passing when
//   |analytic − numeric| ≤ atol + rtol·|numeric| (GradcheckOptions::pytorch_tolerances<T>()).
//   These tolerances let an error of a few parts in 10⁴ pass.
// Either way the report gives, per input, the digits of agreement and, for the estimate rule,
// the largest relative error the check could have missed (`resolution`). Both are relative
// to the input's largest gradient, so a reader sees how strong the check was.
//
// Directional mode compares, for random unit directions u, the analytic gradient · u with
// the central difference along u: one set of evaluations per direction instead of per
// element, for inputs too large to check one element at a time.
//
// Kinks: a difference across a ReLU (or |x|) kink is not a derivative. The tape records which
// side of each kink every element is on; an element whose evaluations change that pattern is
// reported as skipped, not failed. A check whose analytic and numeric gradients are all zero,
// or that compared nothing, fails: it could not have caught anything.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/parameter.h"

namespace simdgrad::autograd {

enum class GradcheckRule {
  kErrorEstimate,  // per-element tolerance from the finite differences' own error (default)
  kTolerance,      // PyTorch's fixed atol + rtol·|numeric|
};

struct GradcheckOptions {
  GradcheckRule rule = GradcheckRule::kErrorEstimate;
  double eps = 1e-4;   // the step h (the estimate rule also steps h/2)
  double safety = 10;  // kErrorEstimate: allowed error = safety · estimated error
  double atol = 1e-5;  // kTolerance
  double rtol = 1e-3;  // kTolerance
  bool directional = false;
  int directions = 4;  // random directions per input in directional mode
  uint64_t seed = 1;

  // The error-estimate rule with a step for the precision. In double h = 1e-4 balances the
  // extrapolated truncation error (h⁴) against rounding (u/h); float needs h = 1e-2.
  template <class T>
  static GradcheckOptions defaults_for() {
    GradcheckOptions o;
    if constexpr (sizeof(T) == 4) o.eps = 1e-2;
    return o;
  }

  // PyTorch's gradcheck rule and values: eps 1e-6, atol 1e-5, rtol 1e-3 in double; float
  // needs eps 1e-3, atol 1e-3, rtol 1e-2.
  template <class T>
  static GradcheckOptions pytorch_tolerances() {
    GradcheckOptions o;
    o.rule = GradcheckRule::kTolerance;
    o.eps = sizeof(T) == 4 ? 1e-3 : 1e-6;
    if constexpr (sizeof(T) == 4) {
      o.atol = 1e-3;
      o.rtol = 1e-2;
    }
    return o;
  }
};

struct GradcheckInputReport {
  std::string name;
  size_t checked = 0;        // elements (or directions) compared
  size_t skipped_kinks = 0;  // elements whose difference crossed a kink
  size_t failures = 0;
  // The worst compared element: largest error relative to what its rule allows.
  size_t worst_index = 0;  // row-major element index, or direction number
  double analytic = 0, numeric = 0, abs_error = 0, rel_error = 0;
  double allowed = 0;  // the error the rule allowed the worst element
  // Relative to the largest |numeric| gradient of this input: -log10 of the largest
  // |analytic − numeric| (capped at 17 when they agree exactly), and, for the estimate rule,
  // the largest allowed error (a backward wrong by more than this everywhere fails).
  double agreement_digits = 0;
  double resolution = 0;
  bool passed = false;
  double step = 0;  // the step h the worst element was checked with
  // The first kListedEntries failing elements (or directions), in order, each with the step
  // it was checked with, and the first elements reported as kinks.
  static constexpr size_t kListedEntries = 8;
  struct Entry {
    size_t index = 0;
    double analytic = 0, numeric = 0, allowed = 0, step = 0;
  };
  std::vector<Entry> failed_entries;
  std::vector<size_t> kink_entries;
  // Those entries, a line each ("  x[3] failed: analytic …, numeric …, error … > allowed …
  // (step …)"), and the kinks on one line; empty when there are none.
  std::string entries_to_string() const;
};

struct GradcheckReport {
  std::vector<GradcheckInputReport> inputs;
  bool passed = false;
  std::string failure;  // why it failed, when it did
  std::string to_string() const;
};

template <class T>
using GradcheckFunction = std::function<Var<T>(Tape<T>&, const std::vector<Var<T>>&)>;

// Checks f's gradient with respect to every input. The inputs' values are perturbed and
// restored; their gradients are left as they were.
template <class T>
GradcheckReport gradcheck(const GradcheckFunction<T>& f, const std::vector<Parameter<T>*>& inputs,
                          const GradcheckOptions& options = GradcheckOptions::defaults_for<T>());

// Gradient checks for code that does not run on the tape: a hand-written adjoint, a C function
// and its derivative, a layer of another framework. The same rules, options and report as
// gradcheck, the point being the one input, named "x".
//
//   auto f = [](std::span<const double> x) { return std::vector<double>{...}; };   // Rⁿ → Rᵐ
//   auto vjp = [](std::span<const double> x, std::span<const double> v) {          // vᵀJ(x)
//     return std::vector<double>(...);                                            // size n
//   };
//   GradcheckReport report = check_vjp<double>(f, vjp, x);
//
// f's output is reduced to v·f(x) with a fixed random v, as gradcheck does, and vjp(x, v) is
// checked against that scalar's central differences, accumulated in double.
// - Steps are relative: element i moves by eps·max(1, |xᵢ|), and a unit direction by
//   eps·√n·max(1, rms of x), so that each element moves about as far as it would alone; the
//   report gives the step of the worst and of each listed failing entry.
// - Kinks: with no tape to record them, an entry that fails is reported as a kink instead when
//   its one-sided differences disagree in a way no smooth function allows: for a smooth
//   function their gap, (f(x+h) − 2f(x) + f(x−h))/h, halves with h; across a kink it keeps
//   its size (the jump of the derivative). A kink is counted when that gap, at h and at h/2,
//   departs from halving by more than a tenth of the entry's error and by more than `safety`
//   times its rounding noise.
// - Float: an adjoint in float with f in double as well (the overloads taking f_in_double) is
//   checked in double: the differences are those of f_in_double, and the rule allows 4 float
//   ulps of the entry on top. With f in float only, the differences are float's too, with the
//   float step of defaults_for<float>().
// std::invalid_argument if x is empty, vjp or gradient returns other than n values, or f
// changes its number of outputs; std::domain_error if f returns a NaN or an infinity at the
// point or at a step from it.
template <class T>
using VectorMap = std::function<std::vector<T>(std::span<const T>)>;
template <class T>
using VectorJacobianProduct = std::function<std::vector<T>(std::span<const T>, std::span<const T>)>;
template <class T>
using ScalarMap = std::function<T(std::span<const T>)>;

template <class T>
GradcheckReport check_vjp(const VectorMap<T>& f, const VectorJacobianProduct<T>& vjp,
                          std::span<const T> x,
                          const GradcheckOptions& options = GradcheckOptions::defaults_for<T>());
GradcheckReport check_vjp(
    const VectorMap<double>& f_in_double, const VectorJacobianProduct<float>& vjp,
    std::span<const float> x,
    const GradcheckOptions& options = GradcheckOptions::defaults_for<double>());
// A scalar f and its gradient (size n).
template <class T>
GradcheckReport check_gradient(
    const ScalarMap<T>& f, const VectorMap<T>& gradient, std::span<const T> x,
    const GradcheckOptions& options = GradcheckOptions::defaults_for<T>());
GradcheckReport check_gradient(
    const ScalarMap<double>& f_in_double, const VectorMap<float>& gradient,
    std::span<const float> x,
    const GradcheckOptions& options = GradcheckOptions::defaults_for<double>());

}  // namespace simdgrad::autograd
