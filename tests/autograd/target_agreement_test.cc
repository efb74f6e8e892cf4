// The machine-independence promise for the tape: every op's forward and backward, and whole
// training steps of the identity network, give the same bits on every SIMD target with fused
// multiply-add (and, among themselves, on the targets without). docs/reproducibility.md.
#include <catch2/catch.hpp>

#include <functional>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/optimizers.h"
#include "tests/support/random_parameter.h"
#include "tests/support/same_bits.h"

namespace simdgrad::testing {
namespace {

using autograd::Parameter;
using autograd::Tape;
using autograd::Var;
using Op = std::function<Var<float>(Var<float>, Var<float>)>;

// The op's output and both inputs' gradients under a loss that weights every output element
// differently (sum(out * weights)), at a ragged shape with several depth blocks for matmul.
Bits op_bits(const Op& op, size_t rows, size_t cols, size_t b_rows, size_t b_cols) {
  Parameter<float> a = random_parameter<float>("a", rows, cols, 1, -3, 3);
  Parameter<float> b = random_parameter<float>("b", b_rows, b_cols, 2, 0.5, 2);
  Tape<float> tape;
  const Var<float> out = op(tape.parameter(a), tape.parameter(b));
  Parameter<float> weights = random_parameter<float>("w", out.rows(), out.cols(), 3);
  tape.backward(autograd::sum(out * tape.constant(weights.value.view())));
  return Bits().add(out.value()).add(a.grad).add(b.grad);
}

}  // namespace

TEST_CASE("every op's forward and backward give the same bits on every FMA target",
          "[autograd][targets]") {
  const size_t r = 37, c = 301;
  Parameter<float> bias = random_parameter<float>("bias", 1, 53, 5);
  const struct {
    const char* name;
    Op op;
    size_t b_rows, b_cols;
  } ops[] = {
      {"matmul",
       [](auto a, auto b) { return autograd::matmul(a, b, Transpose::kNo, Transpose::kYes); }, 53,
       c},
      {"linear",
       [&](auto a, auto b) {
         return autograd::linear(a, b, a.tape().parameter(bias), Activation::kRelu);
       },
       53, c},
      {"add", [](auto a, auto b) { return a + b; }, r, c},
      {"sub", [](auto a, auto b) { return a - b; }, r, c},
      {"mul", [](auto a, auto b) { return a * b; }, r, c},
      {"scale", [](auto a, auto) { return autograd::scale(a, 0.3f); }, 1, 1},
      {"add_bias", [](auto a, auto b) { return autograd::add_bias(a, b); }, 1, c},
      {"relu", [](auto a, auto) { return autograd::relu(a); }, 1, 1},
      {"tanh", [](auto a, auto) { return autograd::tanh(a); }, 1, 1},
      {"sigmoid", [](auto a, auto) { return autograd::sigmoid(a); }, 1, 1},
      {"square", [](auto a, auto) { return autograd::square(a); }, 1, 1},
      {"sum", [](auto a, auto) { return autograd::sum(a); }, 1, 1},
      {"mean", [](auto a, auto) { return autograd::mean(a); }, 1, 1},
      {"mse_loss", [](auto a, auto b) { return autograd::mse_loss(a, b); }, r, c},
      {"mape", [](auto a, auto b) { return autograd::mape(a, b); }, r, c},
      {"mse_loss_with_mape", [](auto a, auto b) { return autograd::mse_loss_with_mape(a, b).loss; },
       r, c},
      {"softmax_cross_entropy",
       [](auto a, auto b) { return autograd::softmax_cross_entropy(a, b); }, r, c},
  };
  for (const auto& op : ops) {
    INFO(op.name);
    require_same_bits_on_targets(op.name,
                                 [&] { return op_bits(op.op, r, c, op.b_rows, op.b_cols); });
  }
}

TEST_CASE("identity-network training steps give the same bits on every FMA target",
          "[autograd][targets]") {
  const auto train = [] {
    autograd::Sequential<float> model;
    for (int i = 0; i < 4; ++i) model.add_dense(784, 784, Activation::kRelu);
    autograd::Random rng(3);
    model.initialize(autograd::Initializer::kGlorotUniform, rng);
    autograd::Rmsprop<float> optimizer(model.parameters());
    const Parameter<float> data = random_parameter<float>("data", 128, 784, 4, 0, 255);
    Tape<float> tape;
    Bits bits;
    for (int step = 0; step < 2; ++step) {
      tape.reset();
      const Var<float> x = tape.constant(data.value.view());
      const Var<float> loss = autograd::mse_loss(model.forward(tape, x), x);
      tape.backward(loss);
      bits.add(loss.value());
      optimizer.step();
      optimizer.zero_grad();
    }
    for (auto* p : model.parameters()) bits.add(p->value);
    return bits;
  };
  require_same_bits_on_targets("training steps", train);
}

}  // namespace simdgrad::testing
