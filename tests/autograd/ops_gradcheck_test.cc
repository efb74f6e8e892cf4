// Every op's backward against central differences, in double, element by element, at shapes
// that are not multiples of any vector width (1x1, odd sizes). Each check runs twice: as it
// is, where it must pass, and with the op's backward made wrong by a relative 1e-6, where
// every input's check must fail: the checks are tight enough to catch an error that small.
#include <catch2/catch.hpp>

#include "simdgrad/autograd/gradcheck.h"
#include "simdgrad/autograd/ops.h"
#include "tests/support/gradcheck_strength.h"
#include "tests/support/random_parameter.h"

namespace simdgrad::testing {
namespace {

using autograd::gradcheck;
using autograd::GradcheckReport;
using autograd::Parameter;
using autograd::Tape;
using autograd::Var;
using Inputs = std::vector<Var<double>>;
struct Shape {
  size_t rows, cols;
};
const Shape kShapes[] = {{1, 1}, {3, 5}, {7, 9}, {17, 3}};

// Checks a one-input op at every test shape; values are drawn in [low, high).
template <class F>
void check_unary(F op, double low = -1.0, double high = 1.0) {
  uint64_t seed = 1;
  for (Shape s : kShapes) {
    auto x = random_parameter<double>("x", s.rows, s.cols, seed++, low, high);
    INFO(s.rows << "x" << s.cols);
    const GradcheckReport report = check_and_require_sensitivity(
        [&](Tape<double>&, const Inputs& in) { return op(in[0]); }, {&x});
    REQUIRE(report.inputs[0].checked + report.inputs[0].skipped_kinks == s.rows * s.cols);
  }
}

// Checks a two-input elementwise op at every test shape.
template <class F>
void check_binary(F op) {
  uint64_t seed = 100;
  for (Shape s : kShapes) {
    auto a = random_parameter<double>("a", s.rows, s.cols, seed++);
    auto b = random_parameter<double>("b", s.rows, s.cols, seed++, 0.5, 2.0);
    INFO(s.rows << "x" << s.cols);
    check_and_require_sensitivity([&](Tape<double>&, const Inputs& in) { return op(in[0], in[1]); },
                                  {&a, &b});
  }
}

}  // namespace

TEST_CASE("matmul gradients are right for all four transpose pairs", "[gradcheck]") {
  for (auto ta : {Transpose::kNo, Transpose::kYes}) {
    for (auto tb : {Transpose::kNo, Transpose::kYes}) {
      for (auto [m, n, k] : {std::tuple{1, 1, 1}, {3, 5, 7}, {9, 2, 17}}) {
        auto a = ta == Transpose::kNo ? random_parameter<double>("a", m, k, 1)
                                      : random_parameter<double>("a", k, m, 1);
        auto b = tb == Transpose::kNo ? random_parameter<double>("b", k, n, 2)
                                      : random_parameter<double>("b", n, k, 2);
        check_and_require_sensitivity(
            [&](Tape<double>&, const Inputs& in) { return autograd::matmul(in[0], in[1], ta, tb); },
            {&a, &b});
      }
    }
  }
}

TEST_CASE("matmul of a value with itself accumulates both gradient paths", "[gradcheck]") {
  auto a = random_parameter<double>("a", 5, 3, 4);
  check_and_require_sensitivity(
      [](Tape<double>&, const Inputs& in) {
        return autograd::matmul(in[0], in[0], Transpose::kNo, Transpose::kYes);
      },
      {&a});
}

TEST_CASE("linear gradients are right with and without the fused ReLU", "[gradcheck]") {
  for (Activation act : {Activation::kNone, Activation::kRelu}) {
    for (auto [batch, in, out] : {std::tuple{1, 1, 1}, {5, 7, 3}, {9, 17, 11}}) {
      auto x = random_parameter<double>("x", batch, in, 10);
      auto w = random_parameter<double>("w", out, in, 11);
      auto b = random_parameter<double>("b", 1, out, 12, 1.0, 2.0);  // some units active
      check_and_require_sensitivity(
          [&](Tape<double>&, const Inputs& v) { return autograd::linear(v[0], v[1], v[2], act); },
          {&x, &w, &b});
    }
  }
}

TEST_CASE("add, sub and mul gradients are right", "[gradcheck]") {
  check_binary([](auto a, auto b) { return autograd::add(a, b); });
  check_binary([](auto a, auto b) { return autograd::sub(a, b); });
  check_binary([](auto a, auto b) { return autograd::mul(a, b); });
}

TEST_CASE("scale and square gradients are right", "[gradcheck]") {
  check_unary([](auto x) { return autograd::scale(x, -2.5); });
  check_unary([](auto x) { return autograd::square(x); });
}

TEST_CASE("add_bias gradients reach both the input and the bias row", "[gradcheck]") {
  for (Shape s : kShapes) {
    auto x = random_parameter<double>("x", s.rows, s.cols, 20);
    auto b = random_parameter<double>("bias", 1, s.cols, 21);
    check_and_require_sensitivity(
        [](Tape<double>&, const Inputs& in) { return autograd::add_bias(in[0], in[1]); }, {&x, &b});
  }
}

TEST_CASE("relu gradients are right away from the kink", "[gradcheck]") {
  check_unary([](auto x) { return autograd::relu(x); });
}

TEST_CASE("tanh and sigmoid gradients are right", "[gradcheck]") {
  check_unary([](auto x) { return autograd::tanh(x); }, -3.0, 3.0);
  check_unary([](auto x) { return autograd::sigmoid(x); }, -6.0, 6.0);
}

TEST_CASE("sum and mean gradients are right", "[gradcheck]") {
  check_unary([](auto x) { return autograd::sum(x); });
  check_unary([](auto x) { return autograd::mean(x); });
}

TEST_CASE("mse_loss gradients reach prediction and target", "[gradcheck]") {
  check_binary([](auto p, auto t) { return autograd::mse_loss(p, t); });
}

TEST_CASE("mse_loss_with_mape has mse_loss's gradients", "[gradcheck]") {
  check_binary(
      [](Var<double> a, Var<double> b) { return autograd::mse_loss_with_mape(a, b).loss; });
}

TEST_CASE("mse_loss_with_mape is mse_loss and mape bitwise, with their difference", "[gradcheck]") {
  auto p = random_parameter<float>("p", 37, 29, 3, -255, 255);
  auto t = random_parameter<float>("t", 37, 29, 4, 0, 255);
  t.value(2, 3) = 0.0f;  // a target at 0: the epsilon in mape's denominator
  Tape<float> tape;
  const Var<float> pv = tape.parameter(p), tv = tape.constant(t.value);
  const autograd::LossWithMape<float> fused = autograd::mse_loss_with_mape(pv, tv);
  const Var<float> mse = autograd::mse_loss(pv, tv), mape = autograd::mape(pv, tv);
  REQUIRE(fused.loss.value()(0, 0) == mse.value()(0, 0));
  REQUIRE(fused.mape == double(mape.value()(0, 0)));
  REQUIRE(fused.diff(36, 28) == p.value(36, 28) - t.value(36, 28));
  REQUIRE(fused.loss.requires_grad());
}

TEST_CASE("mape gradient with respect to the prediction is right", "[gradcheck]") {
  for (Shape s : kShapes) {
    auto prediction = random_parameter<double>("prediction", s.rows, s.cols, 30);
    // Targets include exact zeros, where Keras' max(|y|, 1e-7) takes over.
    Matrix<double> target(s.rows, s.cols);
    autograd::Random rng(31);
    for (size_t i = 0; i < target.size(); ++i)
      target.data()[i] = i % 3 == 0 ? 0.0 : rng.uniform(-2, 2);
    check_and_require_sensitivity(
        [&](Tape<double>& tape, const Inputs& in) {
          return autograd::mape(in[0], tape.constant(target.view()));
        },
        // Zero targets weigh 1e7 in the loss, so it is ~1e8 and its rounding (~1e-8) hides the
        // O(1) slopes of the other elements; the 1e7 slopes still resolve a 1e-6 error.
        {&prediction});
  }
}

TEST_CASE("softmax cross-entropy gradients reach logits and targets", "[gradcheck]") {
  for (Shape s : kShapes) {
    if (s.cols == 1) continue;  // a softmax over one class is constant: nothing to check
    auto logits = random_parameter<double>("logits", s.rows, s.cols, 40, -3, 3);
    auto target = random_parameter<double>("target", s.rows, s.cols, 41, 0, 1);
    check_and_require_sensitivity(
        [](Tape<double>&, const Inputs& in) {
          return autograd::softmax_cross_entropy(in[0], in[1]);
        },
        {&logits, &target});
  }
}

}  // namespace simdgrad::testing
