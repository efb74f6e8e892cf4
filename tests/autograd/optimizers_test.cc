// Optimizer steps against values computed by hand (Keras 2 formulas), three steps each.
#include <catch2/catch.hpp>

#include <cmath>

#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/elementwise.h"

namespace simdgrad::testing {

using autograd::Parameter;

namespace {
// One parameter [1.0, -2.0] whose gradient is set before each step.
Parameter<double> two_element_parameter() {
  Parameter<double> p("p", 1, 2);
  p.value(0, 0) = 1.0;
  p.value(0, 1) = -2.0;
  return p;
}
const double kGrads[3][2] = {{0.5, -4.0}, {0.25, 1.0}, {-1.0, 2.0}};
}  // namespace

TEST_CASE("RMSprop follows Keras 2 for three steps", "[autograd]") {
  auto p = two_element_parameter();
  autograd::Rmsprop<double> opt({&p});  // lr 1e-3, rho 0.9, eps 1e-7
  double value[2] = {1.0, -2.0}, acc[2] = {0, 0};
  for (const auto& g : kGrads) {
    p.grad(0, 0) = g[0];
    p.grad(0, 1) = g[1];
    opt.step();
    for (int j = 0; j < 2; ++j) {
      acc[j] = 0.9 * acc[j] + 0.1 * g[j] * g[j];
      value[j] -= 1e-3 * g[j] / (std::sqrt(acc[j]) + 1e-7);
      REQUIRE(p.value(0, j) == Approx(value[j]).epsilon(1e-14));
    }
  }
  // The first step moved by ~ lr / sqrt(0.1) = 3.16e-3 against the gradient's sign.
  REQUIRE(opt.iterations() == 3);
  REQUIRE(opt.state().size() == 1);
  REQUIRE(opt.state()[0].name == "p.rms");
  REQUIRE(opt.state()[0].view(0, 1) == Approx(acc[1]).epsilon(1e-14));
}

TEST_CASE("Adam follows Keras 2 for three steps", "[autograd]") {
  auto p = two_element_parameter();
  autograd::Adam<double> opt({&p});  // lr 1e-3, betas 0.9/0.999, eps 1e-7
  double value[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0};
  int t = 0;
  for (const auto& g : kGrads) {
    p.grad(0, 0) = g[0];
    p.grad(0, 1) = g[1];
    opt.step();
    ++t;
    const double lr_t = 1e-3 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (int j = 0; j < 2; ++j) {
      m[j] = 0.9 * m[j] + 0.1 * g[j];
      v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
      value[j] -= lr_t * m[j] / (std::sqrt(v[j]) + 1e-7);
      REQUIRE(p.value(0, j) == Approx(value[j]).epsilon(1e-14));
    }
  }
  REQUIRE(opt.state().size() == 2);
  REQUIRE(opt.state()[1].name == "p.v");
}

TEST_CASE("SGD with momentum and Nesterov follows Keras 2 for three steps", "[autograd]") {
  for (bool nesterov : {false, true}) {
    auto p = two_element_parameter();
    autograd::Sgd<double> opt({&p}, 0.1, 0.9, nesterov);
    double value[2] = {1.0, -2.0}, velocity[2] = {0, 0};
    for (const auto& g : kGrads) {
      p.grad(0, 0) = g[0];
      p.grad(0, 1) = g[1];
      opt.step();
      for (int j = 0; j < 2; ++j) {
        velocity[j] = 0.9 * velocity[j] - 0.1 * g[j];
        value[j] += nesterov ? 0.9 * velocity[j] - 0.1 * g[j] : velocity[j];
        REQUIRE(p.value(0, j) == Approx(value[j]).epsilon(1e-14));
      }
    }
  }
}

TEST_CASE("plain SGD steps by -lr * g", "[autograd]") {
  auto p = two_element_parameter();
  autograd::Sgd<double> opt({&p}, 0.5);
  p.grad(0, 0) = 2.0;
  p.grad(0, 1) = -1.0;
  opt.step();
  REQUIRE(p.value(0, 0) == 0.0);
  REQUIRE(p.value(0, 1) == -1.5);
}

}  // namespace simdgrad::testing
