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
// product vᵀJ. Every input element's analytic gradient is compared with the central difference
// (f(x + eps) - f(x - eps)) / 2eps, passing when |analytic - numeric| <= atol + rtol·|numeric|
// (PyTorch's rule). Directional mode compares, for random unit directions u, the analytic
// gradient · u with the central difference along u: one pair of evaluations per direction
// instead of per element, for inputs too large to check one element at a time.
//
// Kinks: a difference across a ReLU (or |x|) kink is not a derivative. The tape records which
// side of each kink every element is on; an element whose ±eps evaluations change that
// pattern is reported as skipped, not failed. A check whose analytic and numeric gradients are
// all zero, or that compared nothing, fails: it could not have caught anything.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/parameter.h"

namespace simdgrad::autograd {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  bool directional = false;
  int directions = 4;  // random directions per input in directional mode
  uint64_t seed = 1;

  // Defaults for the precision: double as PyTorch; float needs a larger step and tolerance.
  template <class T>
  static GradcheckOptions defaults_for() {
    GradcheckOptions o;
    if constexpr (sizeof(T) == 4) {
      o.eps = 1e-3;
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
  // The worst compared element: largest error relative to its tolerance.
  size_t worst_index = 0;  // row-major element index, or direction number
  double analytic = 0, numeric = 0, abs_error = 0, rel_error = 0;
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
