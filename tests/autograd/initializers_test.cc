#include <catch2/catch.hpp>

#include <cmath>

#include "simdgrad/autograd/initializers.h"

namespace simdgrad::testing {

using autograd::Random;

TEST_CASE("glorot_uniform stays within its limit with the variance of a uniform", "[autograd]") {
  Matrix<float> w(784, 784);
  Random rng(1);
  autograd::glorot_uniform(w.view(), rng);
  const double limit = std::sqrt(6.0 / (784 + 784));
  double sum = 0, squares = 0, max = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    sum += w.data()[i];
    squares += double(w.data()[i]) * w.data()[i];
    max = std::max(max, std::abs(double(w.data()[i])));
  }
  const double n = double(w.size());
  REQUIRE(max <= limit);
  REQUIRE(max > 0.999 * limit);
  REQUIRE(std::abs(sum / n) < 1e-3);
  REQUIRE(squares / n == Approx(limit * limit / 3).epsilon(0.01));
}

TEST_CASE("he_normal is truncated at two deviations with variance 2 / fan_in", "[autograd]") {
  Matrix<double> w(500, 400);
  Random rng(2);
  autograd::he_normal(w.view(), rng);
  const double stddev = std::sqrt(2.0 / 400) / 0.87962566103423978;
  double squares = 0, max = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    squares += w.data()[i] * w.data()[i];
    max = std::max(max, std::abs(w.data()[i]));
  }
  REQUIRE(max <= 2 * stddev);
  REQUIRE(squares / double(w.size()) == Approx(2.0 / 400).epsilon(0.02));
}

TEST_CASE("identity is rectangular and the same seed gives the same weights", "[autograd]") {
  Matrix<float> w(3, 5);
  autograd::identity(w.view());
  for (size_t r = 0; r < 3; ++r)
    for (size_t c = 0; c < 5; ++c) REQUIRE(w(r, c) == (r == c ? 1.0f : 0.0f));
  Matrix<float> a(7, 9), b(7, 9);
  Random r1(42), r2(42);
  autograd::glorot_uniform(a.view(), r1);
  autograd::glorot_uniform(b.view(), r2);
  for (size_t i = 0; i < a.size(); ++i) REQUIRE(a.data()[i] == b.data()[i]);
  REQUIRE(r1.state() == r2.state());
}

TEST_CASE("Random's stream is fixed by its seed", "[autograd]") {
  // Pinned values: a change of algorithm or seeding must be a deliberate, visible change,
  // because checkpoints and published runs depend on the stream.
  Random rng(0);
  const uint64_t first = rng.next();
  Random again(0);
  REQUIRE(again.next() == first);
  Random other(1);
  REQUIRE(other.next() != first);
  Random u(7);
  for (int i = 0; i < 1000; ++i) {
    const double x = u.uniform();
    REQUIRE(x >= 0.0);
    REQUIRE(x < 1.0);
    REQUIRE(u.below(10) < 10);
  }
}

}  // namespace simdgrad::testing
