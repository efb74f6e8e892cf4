// The study's training runs: an experiment is a configuration with a name and the cause it
// tests; its outcome is the run's history, plus when its ReLU units died (a timeline of dead
// units on the validation set, dense in the first epoch where most deaths happen).
#pragma once

#include <string>
#include <vector>

#include "apps/identity/analysis/readout_floor.h"
#include "apps/identity/data/mnist.h"
#include "apps/identity/training/config.h"
#include "apps/identity/training/trainer.h"

namespace simdgrad::identity {

struct Experiment {
  std::string group;  // the cause it tests, or the recipe's section
  std::string name;
  TrainConfig config;
  bool measure_readout = false;  // readout floors of the hidden layers before and after training
};

// Dead units per layer (-1 for a layer without ReLU) after `step` optimizer steps.
struct DeadUnitSample {
  size_t step = 0;
  std::vector<int> dead;
};

struct Outcome {
  Experiment experiment;
  std::vector<EpochRecord> history;
  std::string diverged;  // the fault, when the loss became non-finite
  double seconds = 0;
  // Before the first step, after steps 1, 2, 4, ... of the first epoch, then after each epoch.
  std::vector<DeadUnitSample> dead_units;
  // After the last epoch, one more step: its RMS change per weight of the first layer over
  // the learning rate it ran with (RMSprop and Adam: about 1 whatever the gradient's size).
  double last_step_over_lr = 0;
  ReadoutFloors readout_start, readout_end;  // if the experiment asks for them
};

// Trains the experiment to its last epoch (stopping at a non-finite loss), printing one line.
Outcome run(const Experiment& e, const Mnist& data);

const Outcome& find(const std::vector<Outcome>& all, const std::string& name);
// The final val_loss, NaN for a diverged or empty run.
double final_val(const Outcome& o);
// Units of any layer revived at an epoch's end, summed over the run.
int revived_units(const Outcome& o);
// The first epoch whose val_loss is below `threshold`, 0 if none.
int first_epoch_below(const std::vector<EpochRecord>& h, double threshold);

}  // namespace simdgrad::identity
