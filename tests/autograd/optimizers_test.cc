// Optimizer steps against values computed by hand (Keras 2 formulas), three steps each.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/reductions.h"
#include "tests/support/same_bits.h"

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

namespace {
// Two optimizers of the same kind over identical parameters, the second driven through
// step_and_zero_grad: after three steps everything must agree bitwise.
template <class Optimizer>
void check_fused_matches_step_then_zero(const char* kind) {
  INFO(kind);
  Parameter<float> a("w", 3, 70), b("w", 3, 70), a_bias("b", 1, 70), b_bias("b", 1, 70);
  for (size_t i = 0; i < a.value.size(); ++i)
    a.value.data()[i] = b.value.data()[i] = 0.01f * float(i % 13);
  Optimizer plain({&a, &a_bias}), fused({&b, &b_bias});
  std::vector<float> squares;
  for (int step = 1; step <= 3; ++step) {
    double want_weight = 0, want_bias = 0;
    for (size_t i = 0; i < a.grad.size(); ++i) {
      a.grad.data()[i] = b.grad.data()[i] = std::sin(float(i * step));
    }
    for (size_t i = 0; i < a_bias.grad.size(); ++i)
      a_bias.grad.data()[i] = b_bias.grad.data()[i] = float(step);
    // Code that writes gradients itself (not through a tape) says so.
    b.grad_is_zero = b_bias.grad_is_zero = false;
    want_weight = sum_squares<float>(a.grad);
    want_bias = sum_squares<float>(a_bias.grad);
    plain.step();
    plain.zero_grad();
    fused.step_and_zero_grad(&squares);
    REQUIRE(squares.size() == 2);
    REQUIRE(squares[0] == float(want_weight));
    REQUIRE(squares[1] == float(want_bias));
    REQUIRE(std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(float)) == 0);
    REQUIRE(std::memcmp(a_bias.value.data(), b_bias.value.data(),
                        a_bias.value.size() * sizeof(float)) == 0);
    REQUIRE(b.grad_is_zero);
    REQUIRE(b_bias.grad_is_zero);
    REQUIRE(fused.iterations() == plain.iterations());
  }
  REQUIRE(first_difference(state_bytes(plain), state_bytes(fused)) == "");
}
}  // namespace

TEST_CASE("step_and_zero_grad is bitwise step then zero_grad and reports each sum of squares",
          "[autograd]") {
  check_fused_matches_step_then_zero<autograd::Rmsprop<float>>("rmsprop");
  check_fused_matches_step_then_zero<autograd::Adam<float>>("adam");
  check_fused_matches_step_then_zero<autograd::Sgd<float>>("sgd");
}

namespace {
// Three processes' shares of one update, each on its own copy of the parameters and state:
// together they make the whole step, element for element, and touch nothing else.
template <class Optimizer>
void check_parts_make_the_whole_step(const char* kind) {
  INFO(kind);
  constexpr int kCopies = 3;
  Parameter<float> whole("w", 5, 37), whole_bias("b", 1, 37);
  std::vector<Parameter<float>> weights(kCopies, Parameter<float>("w", 5, 37)),
      biases(kCopies, Parameter<float>("b", 1, 37));
  auto fill = [](Parameter<float>& p, int step) {
    for (size_t i = 0; i < p.value.size(); ++i) {
      if (step == 1) p.value.data()[i] = 0.01f * float(i % 11);
      p.grad.data()[i] = std::cos(float(i * step + 1));
    }
    p.grad_is_zero = false;
  };
  Optimizer reference({&whole, &whole_bias});
  std::vector<std::unique_ptr<Optimizer>> sharded;
  for (int c = 0; c < kCopies; ++c)
    sharded.push_back(
        std::make_unique<Optimizer>(std::vector<Parameter<float>*>{&weights[c], &biases[c]}));
  for (int step = 1; step <= 3; ++step) {
    fill(whole, step);
    fill(whole_bias, step);
    for (int c = 0; c < kCopies; ++c) fill(weights[c], step), fill(biases[c], step);
    const double want_squares = sum_squares<float>(whole.grad);
    reference.step_and_zero_grad();
    double weight_squares = 0;
    for (int c = 0; c < kCopies; ++c) {
      // Uneven shares: copy c owns elements [n c / 3, n (c + 1) / 3).
      const size_t n = 5 * 37, m = 37;
      const IndexRange parts[2] = {balanced_part(n, c, kCopies), balanced_part(m, c, kCopies)};
      const std::vector<float> before(weights[c].value.data(), weights[c].value.data() + n);
      std::vector<float> squares;
      sharded[c]->step_and_zero_grad(parts, &squares);
      weight_squares += squares[0];
      for (size_t i = 0; i < n; ++i) {
        const bool mine = i >= parts[0].begin && i < parts[0].end;
        const float want = mine ? whole.value.data()[i] : before[i];
        INFO("step " << step << ", copy " << c << ", element " << i);
        REQUIRE(std::memcmp(&weights[c].value.data()[i], &want, sizeof want) == 0);
      }
      // The copy's parameters become the whole step's, ready for the next one (what an
      // all-gather of the shares does).
      std::copy(whole.value.data(), whole.value.data() + n, weights[c].value.data());
      std::copy(whole_bias.value.data(), whole_bias.value.data() + m, biases[c].value.data());
      REQUIRE(sharded[c]->iterations() == reference.iterations());
    }
    REQUIRE(weight_squares == Approx(want_squares).epsilon(1e-5));  // the parts' sums add up
  }
}
}  // namespace

TEST_CASE("a step in parts, each on its own copy, is the whole step element for element",
          "[autograd]") {
  check_parts_make_the_whole_step<autograd::Rmsprop<float>>("rmsprop");
  check_parts_make_the_whole_step<autograd::Adam<float>>("adam");
  check_parts_make_the_whole_step<autograd::Sgd<float>>("sgd");
  Parameter<float> p("p", 2, 2);
  autograd::Rmsprop<float> opt({&p});
  const IndexRange outside[1] = {{3, 5}};
  REQUIRE_THROWS_WITH(opt.step_and_zero_grad(outside), Catch::Contains("outside"));
}

namespace {
// Two optimizers over identical parameters: the second updates some parameters early (in the
// order a backward pass finishes them) and ends the step with step_and_zero_grad. Three steps
// must agree bitwise: values, state, sums of squares, step counts and zero flags.
template <class Optimizer>
void check_early_updates_make_the_whole_step(const char* kind) {
  INFO(kind);
  std::vector<Parameter<float>> a, b;
  for (auto* set : {&a, &b}) {
    set->emplace_back("w0", 4, 33);
    set->emplace_back("b0", 1, 33);
    set->emplace_back("w1", 4, 33);
  }
  for (size_t k = 0; k < a.size(); ++k) {
    for (size_t i = 0; i < a[k].value.size(); ++i)
      a[k].value.data()[i] = b[k].value.data()[i] = 0.02f * float((i + k) % 17);
  }
  Optimizer whole({&a[0], &a[1], &a[2]}), early({&b[0], &b[1], &b[2]});
  std::vector<float> whole_squares, early_squares;
  for (int step = 1; step <= 3; ++step) {
    for (size_t k = 0; k < a.size(); ++k) {
      for (size_t i = 0; i < a[k].grad.size(); ++i)
        a[k].grad.data()[i] = b[k].grad.data()[i] = std::sin(float(i * step + k));
      a[k].grad_is_zero = b[k].grad_is_zero = false;
    }
    whole.step_and_zero_grad(&whole_squares);
    early.update_early(b[2]);  // the last layer's weights first; b0 waits for the step's end
    early.update_early(b[0]);
    REQUIRE(early.iterations() == whole.iterations());  // the update counted its step
    REQUIRE_FALSE(b[0].grad_is_zero);
    early.step_and_zero_grad(&early_squares);
    REQUIRE(early.iterations() == whole.iterations());
    REQUIRE(early_squares == whole_squares);
    for (size_t k = 0; k < a.size(); ++k) {
      INFO("step " << step << ", parameter " << k);
      REQUIRE(first_difference(Bits().add(a[k].value).bytes(), Bits().add(b[k].value).bytes()) ==
              "");
      REQUIRE(b[k].grad_is_zero);
    }
  }
  REQUIRE(first_difference(state_bytes(whole), state_bytes(early)) == "");
}
}  // namespace

TEST_CASE("parameters updated early, then step_and_zero_grad, make the whole step bitwise",
          "[autograd]") {
  check_early_updates_make_the_whole_step<autograd::Rmsprop<float>>("rmsprop");
  check_early_updates_make_the_whole_step<autograd::Adam<float>>("adam");
  check_early_updates_make_the_whole_step<autograd::Sgd<float>>("sgd");
}

TEST_CASE(
    "an early update refuses a stranger, a second update, a step of another kind and a new rate",
    "[autograd]") {
  Parameter<float> p("p", 2, 3), stranger("stranger", 2, 3);
  autograd::Rmsprop<float> opt({&p});
  REQUIRE_THROWS_WITH(opt.update_early(stranger), Catch::Contains("stranger"));
  opt.update_early(p);
  REQUIRE_THROWS_WITH(opt.update_early(p), Catch::Contains("already updated"));
  REQUIRE_THROWS_WITH(opt.step(), Catch::Contains("step_and_zero_grad()"));
  REQUIRE_THROWS_WITH(opt.set_learning_rate(0.5f), Catch::Contains("before the backward pass"));
  opt.set_learning_rate(opt.learning_rate());  // the same rate: nothing changes
  const IndexRange all[1] = {{0, 6}};
  REQUIRE_THROWS_AS(opt.step_and_zero_grad(all), std::logic_error);
  opt.step_and_zero_grad();
  REQUIRE(opt.iterations() == 1);
  opt.update_early(p);  // a new step
  REQUIRE(opt.iterations() == 2);
}

}  // namespace simdgrad::testing
