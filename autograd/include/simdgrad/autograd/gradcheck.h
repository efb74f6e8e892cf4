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

}  // namespace simdgrad::autograd
