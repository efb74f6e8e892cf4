// Parameters that take turns in one gradient memory, each updated as soon as its gradient is
// final: the bits of the plain step, and a tape that refuses sharing it cannot honour.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/autograd/shared_gradient_memory.h"
#include "simdgrad/threading.h"
#include "tests/support/random_parameter.h"
#include "tests/support/same_bits.h"

namespace simdgrad::testing {

using autograd::Parameter;
using autograd::SharedGradientMemory;
using autograd::Tape;
using autograd::Var;

namespace {

// Three Dense layers of one shape (their weights can share, and so can their biases).
template <class Optimizer>
struct Net {
  autograd::Sequential<float> model;
  std::unique_ptr<Optimizer> optimizer;
  Tape<float> tape;
  Net() {
    for (int i = 0; i < 3; ++i) model.add_dense(40, 40, Activation::kRelu);
    autograd::Random rng(7);
    model.initialize(autograd::Initializer::kGlorotUniform, rng);
    optimizer = std::make_unique<Optimizer>(model.parameters());
  }
  Var<float> loss(Matrix<float>& data) {
    tape.reset();
    const Var<float> x = tape.constant(data.view());
    return autograd::mse_loss(model.forward(tape, x), x);
  }
};

bool same_bits(const Matrix<float>& a, const Matrix<float>& b) {
  return Bits().add(a).bytes() == Bits().add(b).bytes();
}

template <class Optimizer>
void check_shared_memory_trains_like_the_plain_step(const char* kind, int threads) {
  INFO(kind << ", " << threads << " threads");
  set_num_threads(threads);
  Net<Optimizer> plain, early;
  auto data = random_parameter<float>("data", 24, 40, 3, 0, 4);
  {
    SharedGradientMemory<float> shared(early.model.parameters());
    REQUIRE(shared.sharing().size() == 6);  // three weights, three biases
    const auto p = early.model.parameters();
    REQUIRE(p[0]->grad.data() == p[2]->grad.data());  // dense_0.weight and dense_1.weight
    for (int step = 1; step <= 3; ++step) {
      std::vector<float> plain_squares, early_squares;
      plain.tape.backward(plain.loss(data.value));
      plain.optimizer->step_and_zero_grad(&plain_squares);
      const Matrix<float> before = p[4]->value;  // dense_2.weight, finished first
      early.tape.backward(early.loss(data.value),
                          [&](Parameter<float>& q) { early.optimizer->update_early(q); });
      REQUIRE_FALSE(same_bits(before, p[4]->value));  // updated inside backward()
      early.optimizer->step_and_zero_grad(&early_squares);
      REQUIRE(early_squares == plain_squares);
      for (size_t i = 0; i < p.size(); ++i) {
        INFO("step " << step << ", " << p[i]->name);
        REQUIRE(same_bits(p[i]->value, plain.model.parameters()[i]->value));
      }
    }
    REQUIRE(first_difference(state_bytes(*plain.optimizer), state_bytes(*early.optimizer)) == "");
  }
  // Memory of their own again, holding a zero gradient: the next step trains on.
  const auto p = early.model.parameters();
  REQUIRE(p[0]->grad.data() != p[2]->grad.data());
  REQUIRE(p[0]->grad_is_zero);
  plain.tape.backward(plain.loss(data.value));
  early.tape.backward(early.loss(data.value));
  REQUIRE(same_bits(p[0]->grad, plain.model.parameters()[0]->grad));
}

}  // namespace

TEST_CASE("updates during backward in shared gradient memory give the plain step's bits",
          "[autograd]") {
  const int saved = num_threads();
  for (int threads : {1, 2, 8}) {
    check_shared_memory_trains_like_the_plain_step<autograd::Rmsprop<float>>("rmsprop", threads);
    check_shared_memory_trains_like_the_plain_step<autograd::Adam<float>>("adam", threads);
    check_shared_memory_trains_like_the_plain_step<autograd::Sgd<float>>("sgd", threads);
  }
  set_num_threads(saved);
}

TEST_CASE("only parameters of one shape share, and only in groups", "[autograd]") {
  Parameter<float> a("a", 3, 5), b("b", 3, 5), c("c", 5, 3), d("d", 3, 5);
  c.grad.data()[0] = 2;
  SharedGradientMemory<float> shared({&a, &b, &c});
  REQUIRE(shared.sharing().size() == 2);
  REQUIRE(a.grad.data() == b.grad.data());
  REQUIRE(a.grad_is_zero);
  REQUIRE(c.grad.data()[0] == 2);  // alone in its shape: untouched
  REQUIRE_FALSE(autograd::share_gradient_memory(a, d));
}

TEST_CASE("backward refuses shared gradient memory it cannot honour", "[autograd]") {
  Parameter<float> a("a", 2, 2), b("b", 2, 2);
  SharedGradientMemory<float> shared({&a, &b});
  const auto consume = [](Parameter<float>&) {};
  SECTION("a plain backward keeps every gradient") {
    Tape<float> tape;
    const Var<float> loss = autograd::sum(
        autograd::mul(autograd::relu(tape.parameter(a)), autograd::relu(tape.parameter(b))));
    REQUIRE_THROWS_WITH(tape.backward(loss), Catch::Contains("share gradient memory"));
  }
  SECTION("two gradients made by one node") {
    Tape<float> tape;
    const Var<float> loss = autograd::sum(autograd::add(tape.parameter(a), tape.parameter(b)));
    REQUIRE_THROWS_WITH(tape.backward(loss, consume), Catch::Contains("at the same time"));
    REQUIRE(a.grad_is_zero);  // refused before any node ran
  }
  SECTION("one gradient made before the other is final") {
    Tape<float> tape;
    const Var<float> pa = tape.parameter(a);
    const Var<float> ra = autograd::relu(pa);                 // node 0 reads a
    const Var<float> rb = autograd::relu(tape.parameter(b));  // node 1 reads b
    const Var<float> loss = autograd::sum(autograd::add(autograd::mul(ra, rb), pa));  // 3 reads a
    REQUIRE_THROWS_WITH(tape.backward(loss, consume), Catch::Contains("at the same time"));
  }
  SECTION("gradients one after the other are fine") {
    Tape<float> tape;
    const Var<float> first = autograd::sum(autograd::relu(tape.parameter(a)));
    const Var<float> loss = autograd::add(first, autograd::sum(autograd::relu(tape.parameter(b))));
    std::vector<std::string> order;
    REQUIRE_NOTHROW(tape.backward(loss, [&](Parameter<float>& p) { order.push_back(p.name); }));
    REQUIRE(order == std::vector<std::string>{"b", "a"});
  }
}

}  // namespace simdgrad::testing
