// The conditioning measurements of the identity study on small data sets whose answers are
// known: the null space is the never-lit pixels, the least-squares model reproduces the
// training images, and a test pixel never lit in training is exactly what it loses.
#include <catch2/catch.hpp>

#include "apps/identity/analysis/conditioning.h"
#include "apps/identity/analysis/readout_floor.h"
#include "apps/identity/training/trainer.h"
#include "simdgrad/autograd/random.h"
#include "simdgrad/elementwise.h"

#include <cmath>

namespace simdgrad::testing {
namespace {

// n images of 3 x 3 pixels, random 0..255 except pixel `dark` (0 everywhere).
LabeledImages images(size_t n, size_t dark, uint64_t seed) {
  LabeledImages s{n, 3, 3, std::vector<uint8_t>(n * 9), std::vector<uint8_t>(n)};
  autograd::Random rng(seed);
  for (size_t i = 0; i < n; ++i) {
    for (size_t p = 0; p < 9; ++p) s.pixels[i * 9 + p] = p == dark ? 0 : uint8_t(rng.below(256));
  }
  return s;
}

}  // namespace

TEST_CASE("the spectrum's null space is the pixels never lit in training", "[app]") {
  identity::Mnist data{images(50, 4, 1), images(20, 9, 2), "synthetic"};  // test: every pixel lit
  const auto c = identity::measure_conditioning(data);
  const auto& s = c.spectrum;
  REQUIRE(s.eigenvalues.size() == 10);  // 9 pixels and the bias column
  REQUIRE(std::is_sorted(s.eigenvalues.rbegin(), s.eigenvalues.rend()));
  REQUIRE(s.always_zero_pixels == 1);
  REQUIRE(s.null_dimension == 1);
  REQUIRE(s.eigenvalues.back() <= s.null_tolerance);
  REQUIRE(s.smallest_nonzero > 1e3 * s.null_tolerance);
  REQUIRE(s.condition_number == Approx(s.largest / s.smallest_nonzero));
  REQUIRE(s.effective_rank >= 1.0);
  REQUIRE(s.effective_rank <= 9.0);
  // The trace of M is the mean squared norm of [x 1].
  double trace = 0, want = 0;
  for (double l : s.eigenvalues) trace += l;
  for (uint8_t p : data.train.pixels) want += double(p) * p;
  REQUIRE(trace == Approx(want / 50 + 1).epsilon(1e-12));

  // The least-squares model is the identity on the span: training images come back exactly;
  // the test's pixel 4, never lit in training, comes back as 0 and is the whole loss.
  const auto& f = c.floor;
  REQUIRE(f.train_loss < 1e-18);
  REQUIRE(f.unseen_pixels == 1);
  double pixel4 = 0;
  for (size_t i = 0; i < 20; ++i)
    pixel4 += double(data.test.pixels[i * 9 + 4]) * data.test.pixels[i * 9 + 4];
  REQUIRE(f.val_loss == Approx(pixel4 / (20 * 9)).epsilon(1e-9));
  REQUIRE(f.unseen_pixel_share == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("the spectrum predicts full-batch gradient descent on the linear model", "[app]") {
  // 1 linear layer on 3 x 3 images, SGD on the whole set at once: one exact gradient step per
  // epoch, whose loss (taken before the step) the quadratic's eigen-expansion gives exactly.
  identity::Mnist data{images(64, 4, 3), images(16, 4, 4), "synthetic"};
  const auto c = identity::measure_conditioning(data);
  identity::TrainConfig config;
  config.layers = 1;
  config.output_activation = Activation::kNone;
  config.optimizer = identity::OptimizerKind::kSgd;
  config.batch = 64;
  config.lr = 0.5 * 9 / c.spectrum.largest;  // half the stable limit, 2 / λmax(H)
  config.epochs = 12;
  identity::Trainer trainer(config, data);
  const auto predicted = identity::predicted_gradient_descent(
      c, trainer.model().layer(0).weight().value.view(),
      trainer.model().layer(0).parameters()[1]->value.view(), config.lr, config.epochs);
  for (int e = 0; e < config.epochs; ++e) {
    const double measured = trainer.train_epoch().loss;
    INFO("epoch " << e + 1 << ": measured " << measured << ", predicted " << predicted[size_t(e)]);
    REQUIRE(measured == Approx(predicted[size_t(e)]).epsilon(1e-4));
  }
  REQUIRE(predicted.back() < 0.5 * predicted.front());  // it did descend
}

TEST_CASE(
    "a hidden layer's readout floor is the pixels' floor when it passes them on, and the "
    "variance when it drops them",
    "[app]") {
  identity::Mnist data{images(80, 4, 5), images(30, 9, 6), "synthetic"};
  identity::TrainConfig config;
  config.layers = 2;
  config.width = 9;
  config.init = autograd::Initializer::kIdentity;  // hidden layer: ReLU(x) = x for pixels
  identity::Trainer trainer(config, data);
  const auto passed = identity::measure_readout_floors(trainer, data);
  REQUIRE(passed.val_loss.size() == 1);  // one hidden layer
  const auto pixels_floor = identity::measure_conditioning(data).floor;
  REQUIRE(passed.val_loss[0] == Approx(pixels_floor.val_loss).epsilon(1e-6));
  REQUIRE(passed.train_loss[0] < 1e-12);  // the training images come back exactly
  double zero_pixels = 0;
  for (uint8_t p : data.test.pixels) zero_pixels += p == 0;
  REQUIRE(passed.zero_fraction[0] == Approx(zero_pixels / double(data.test.pixels.size())));

  // A hidden layer of zeros carries nothing: the best readout is the training images' mean.
  fill<float>(trainer.model().layer(0).weight().value, 0.0f);
  const auto dropped = identity::measure_readout_floors(trainer, data);
  double variance = 0;
  for (size_t p = 0; p < 9; ++p) {
    double mean = 0;
    for (size_t i = 0; i < 80; ++i) mean += data.train.pixels[i * 9 + p] / 80.0;
    for (size_t i = 0; i < 30; ++i) variance += std::pow(data.test.pixels[i * 9 + p] - mean, 2);
  }
  REQUIRE(dropped.val_loss[0] == Approx(variance / (30 * 9)).epsilon(1e-9));
  REQUIRE(dropped.zero_fraction[0] == 1.0);
}

}  // namespace simdgrad::testing
