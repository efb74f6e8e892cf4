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
  std::string id;     // what the report's sections look it up by (run_ids)
  std::string name;   // what the report shows
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

// Identifiers of the runs the report's sections refer to.
namespace run_ids {
inline constexpr char kKeras4[] = "keras-4";  // the original recipe, 4 layers
inline constexpr char kKeras1[] = "keras-1";  // the original recipe, 1 layer
inline constexpr char kIdentityInit[] = "identity-init";
inline constexpr char kUnitScale[] = "unit-scale";
inline constexpr char kLinearOutput[] = "linear-output";
inline constexpr char kLonger1[] = "longer-1";  // 5x the epochs
inline constexpr char kLonger4[] = "longer-4";
inline constexpr char kAllFixes[] = "all-fixes";
inline constexpr char kFloorAdam[] = "floor-adam";  // 1 layer, centered inputs
inline constexpr char kFloorAdamCosine[] = "floor-adam-cosine";
inline constexpr char kFloorRawPixels[] = "floor-raw-pixels";
}  // namespace run_ids
// The run of the recipe `recipe_id` (Recipe::id) for `layers` layers and seed number
// `seed_index` (0-based): "centered-1-seed1".
std::string recipe_run_id(const std::string& recipe_id, int layers, int seed_index);

// Trains the experiment to its last epoch (stopping at a non-finite loss), printing one line.
Outcome run(const Experiment& e, const Mnist& data);

// The outcome of the run `id`; throws std::logic_error naming it when there is none.
const Outcome& find(const std::vector<Outcome>& all, const std::string& id);
// The final val_loss, NaN for a diverged or empty run.
double final_val(const Outcome& o);
// Units of any layer revived at an epoch's end, summed over the run.
int revived_units(const Outcome& o);
// The first epoch whose val_loss is below `threshold`, 0 if none.
int first_epoch_below(const std::vector<EpochRecord>& h, double threshold);

}  // namespace simdgrad::identity
