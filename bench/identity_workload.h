// The identity network's training workload for benchmarks: synthetic MNIST-shaped data (81%
// zeros like MNIST, seeded; a step's cost does not depend on the pixel values) and a loop of
// the app's own training steps through epochs.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <utility>
#include <vector>

#include "apps/identity/training/trainer.h"
#include "simdgrad/autograd/random.h"

namespace simdgrad::bench {

inline const identity::Mnist& synthetic_mnist() {
  constexpr size_t kTrainImages = 60000, kTestImages = 1000, kPixels = 784;
  static const identity::Mnist data = [] {
    autograd::Random rng(2026);
    auto split = [&](size_t n) {
      LabeledImages s{n, 28, 28, std::vector<uint8_t>(n * kPixels), std::vector<uint8_t>(n)};
      for (uint8_t& pixel : s.pixels)
        pixel = rng.uniform() < 0.81 ? 0 : uint8_t(1 + rng.below(255));
      for (uint8_t& label : s.labels) label = uint8_t(rng.below(10));
      return s;
    };
    return identity::Mnist{split(kTrainImages), split(kTestImages), "synthetic"};
  }();
  return data;
}

// The seed experiment's recipe: RMSprop, batch 128, raw pixels.
inline identity::TrainConfig config_for(int layers) {
  identity::TrainConfig c;
  c.layers = layers;
  return c;
}

// Steps through epochs of the trainer: a fresh shuffle when one ends.
class StepLoop {
 public:
  explicit StepLoop(identity::Trainer& trainer) : trainer_(trainer) { trainer_.shuffle(); }
  void step(identity::StepPhases* phases = nullptr) {
    const size_t batch = size_t(trainer_.config().batch);
    if (start_ + batch > trainer_.train_samples()) {
      trainer_.shuffle();
      start_ = 0;
    }
    trainer_.train_step(start_, batch, phases);
    start_ += batch;
  }

 private:
  identity::Trainer& trainer_;
  size_t start_ = 0;
};

// Where `steps` steps that took `total` seconds went: a markdown table of the phases' ms per step
// and shares, then what no phase accounts for and the total.
inline void print_phase_table(const char* first_column,
                              std::initializer_list<std::pair<const char*, double>> phases,
                              double total, int steps) {
  std::printf("| %s | ms per step | share |\n|---|---|---|\n", first_column);
  const double per_step = 1e3 / steps;
  double accounted = 0;
  for (const auto& [name, seconds] : phases) {
    std::printf("| %s | %.3f | %.1f%% |\n", name, seconds * per_step, 100 * seconds / total);
    accounted += seconds;
  }
  std::printf("| everything else | %.3f | %.1f%% |\n", (total - accounted) * per_step,
              100 * (total - accounted) / total);
  std::printf("| total | %.3f | 100%% |\n", total * per_step);
}

}  // namespace simdgrad::bench
