#include "apps/identity/study/runs.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "simdgrad/elementwise.h"
#include "simdgrad/index_range.h"
#include "simdgrad/reductions.h"

namespace simdgrad::identity {
namespace {

DeadUnitSample dead_units_now(Trainer& trainer, const Mnist& data, size_t step) {
  const Evaluation e = trainer.evaluate(data.test);
  DeadUnitSample sample{step, {}};
  for (size_t l = 0; l < e.activity.size(); ++l) {
    int dead = 0;
    for (size_t j = 0; j < e.activity[l].cols(); ++j) dead += e.activity[l](0, j) == 0;
    sample.dead.push_back(trainer.model().layer(l).activation() == Activation::kRelu ? dead : -1);
  }
  return sample;
}

// One more optimizer step on the first batch of a fresh shuffle: the RMS change per weight of
// the first layer, over the rate of that step.
double step_over_lr(Trainer& trainer) {
  const Matrix<float>& w = trainer.model().layer(0).weight().value;
  Matrix<float> before(w.rows(), w.cols()), change(w.rows(), w.cols());
  copy<float>(w, before);
  const double lr = trainer.next_learning_rate();
  trainer.shuffle();
  trainer.train_step(0, std::min(trainer.train_samples(), size_t(trainer.config().batch)));
  sub<float>(w, before, change);
  const double rms = std::sqrt(double(sum_squares<float>(change)) / double(change.size()));
  return lr > 0 ? rms / lr : NAN;
}

}  // namespace

Outcome run(const Experiment& e, const Mnist& data) {
  Outcome out{e, {}, "", 0, {}, 0, {}, {}};
  const auto start = std::chrono::steady_clock::now();
  Trainer trainer(e.config, data);
  std::printf("study: %-18s %-50s", e.group.c_str(), e.name.c_str());
  std::fflush(stdout);
  const size_t batch = size_t(e.config.batch);
  const size_t steps_per_epoch = div_ceil(trainer.train_samples(), batch);
  out.dead_units.push_back(dead_units_now(trainer, data, 0));
  if (e.measure_readout) out.readout_start = measure_readout_floors(trainer, data);
  // Evaluations between steps leave the weights, the optimizer and the shuffling untouched, so
  // the run's figures are those of a run without them.
  auto first_epoch = [&](size_t done, size_t, double) {
    const size_t step = div_ceil(done, batch);
    if (trainer.epoch() == 0 && (step & (step - 1)) == 0 && step < steps_per_epoch) {
      out.dead_units.push_back(dead_units_now(trainer, data, step));
    }
  };
  try {
    while (trainer.epoch() < e.config.epochs) {
      const EpochRecord& r = trainer.train_epoch(first_epoch);
      DeadUnitSample sample{size_t(r.epoch) * steps_per_epoch, {}};
      for (const auto& l : r.layers) sample.dead.push_back(l.relu ? l.dead_units : -1);
      out.dead_units.push_back(sample);
    }
    if (e.measure_readout) out.readout_end = measure_readout_floors(trainer, data);
    out.last_step_over_lr = step_over_lr(trainer);
  } catch (const NumericalFault& fault) {
    out.diverged = fault.what();
  }
  out.history = trainer.history();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out.history.empty()) std::printf(" val_loss %10.4f", out.history.back().val_loss);
  std::printf("%s  %.0fs\n", out.diverged.empty() ? "" : "  (diverged)", out.seconds);
  return out;
}

std::string recipe_run_id(const std::string& recipe_id, int layers, int seed_index) {
  return recipe_id + "-" + std::to_string(layers) + "-seed" + std::to_string(seed_index + 1);
}

const Outcome& find(const std::vector<Outcome>& all, const std::string& id) {
  for (const auto& o : all) {
    if (o.experiment.id == id) return o;
  }
  throw std::logic_error("study: no run " + id);
}

double final_val(const Outcome& o) {
  return o.history.empty() || !o.diverged.empty() ? NAN : o.history.back().val_loss;
}

int revived_units(const Outcome& o) {
  int n = 0;
  for (const auto& r : o.history) {
    for (const auto& l : r.layers) n += l.revived_units;
  }
  return n;
}

int first_epoch_below(const std::vector<EpochRecord>& h, double threshold) {
  for (const auto& r : h) {
    if (r.val_loss < threshold) return r.epoch;
  }
  return 0;
}

}  // namespace simdgrad::identity
