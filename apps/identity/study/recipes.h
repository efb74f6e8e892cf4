// The study's way out: changes derived from the measured mechanisms, each one a flag of
// `identity train`, run alone and combined for 1 and 4 layers with two seeds each, within the
// original budget (20 epochs, batch 128, RMSprop at Keras' rate unless the recipe says).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "apps/identity/study/runs.h"
#include "apps/identity/training/config.h"

namespace simdgrad::identity {

struct Recipe {
  std::string id;         // "centered-cosine": its runs' identifiers start with it
  std::string name;       // "centered inputs + cosine"
  std::string flags;      // the `identity train` flags that make it
  std::string mechanism;  // what it fixes, in the study's terms
  std::function<void(TrainConfig&)> apply;
  bool one_layer_only = false;
};

const std::vector<Recipe>& recipes();

// The runs of every recipe for 1 and 4 layers and `seeds` seeds from base.seed on. The
// original recipe's first seed is part one's run, so it is not repeated.
std::vector<Experiment> recipe_experiments(const TrainConfig& base, int seeds);

// The run of `recipe` for `layers` and seed number `seed_index` (0-based), from `all`.
const Outcome& recipe_outcome(const std::vector<Outcome>& all, const Recipe& recipe, int layers,
                              int seed_index);

// The "A way out" section: the table of every recipe and what it says.
std::string way_out_section(const std::vector<Outcome>& all, int seeds);

// val_loss of the recipes' first seeds per epoch, for 1 and for 4 layers.
void write_recipe_figures(const std::filesystem::path& out, const std::vector<Outcome>& all);

}  // namespace simdgrad::identity
