// Showing that a gradient check is strong enough: an identity op with a deliberately wrong
// backward, placed on a function's output, makes every gradient upstream wrong by the same
// relative amount, which the check must then catch.
#pragma once

#include <catch2/catch.hpp>

#include <vector>

#include "simdgrad/autograd/gradcheck.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/elementwise.h"

namespace simdgrad::testing {

// y = x, whose backward passes (1 + relative_error)·dy instead of dy. With 0 it is exact.
template <class T>
autograd::Var<T> with_backward_error(autograd::Var<T> x, double relative_error) {
  if (relative_error == 0) return x;
  autograd::Tape<T>& tape = x.tape();
  MatrixView<T> out = tape.allocate(x.rows(), x.cols());
  copy<T>(x.value(), out);
  autograd::Node<T>* node;
  autograd::Var<T> y = tape.record(out, {x}, &node);
  if (node) {
    node->scalar = T(1 + relative_error);
    node->backward = [](autograd::Tape<T>& t, const autograd::Node<T>& n) {
      t.accumulate(n.inputs[0],
                   [&](MatrixView<T> dst) { scale<T>(n.scalar, t.grad(n.output), dst); });
    };
  }
  return y;
}

// The smallest backward error every double gradient test must catch.
constexpr double kDetectableError = 1e-6;

// Checks f's gradients with the default (error-estimate) rule, then requires the same check to
// fail on every input when the backward is off by kDetectableError. Returns the passing report.
inline autograd::GradcheckReport check_and_require_sensitivity(
    const autograd::GradcheckFunction<double>& f,
    const std::vector<autograd::Parameter<double>*>& inputs) {
  const autograd::GradcheckReport report = autograd::gradcheck<double>(f, inputs);
  INFO(report.to_string());
  REQUIRE(report.passed);
  const autograd::GradcheckReport wrong = autograd::gradcheck<double>(
      [&](autograd::Tape<double>& tape, const std::vector<autograd::Var<double>>& in) {
        return with_backward_error(f(tape, in), kDetectableError);
      },
      inputs);
  INFO("with the backward off by a relative 1e-6:\n" << wrong.to_string());
  REQUIRE_FALSE(wrong.passed);
  for (const auto& r : wrong.inputs) REQUIRE(r.failures > 0);
  return report;
}

}  // namespace simdgrad::testing
