// The study's part two, the mechanisms: what RMSprop's and Adam's per-weight scaling does and
// does not fix (the noise floor, the distance a weight can travel), and when and where ReLU
// units die. Report sections and figures from the runs' outcomes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/identity/study/runs.h"
#include "apps/identity/training/config.h"

namespace simdgrad::identity {

// The runs these sections need beyond part one's and the recipes': Adam with and without the
// cosine schedule, and centered inputs in raw pixels, all 1 layer.
std::vector<Experiment> optimizer_floor_experiments(const TrainConfig& base);

// "The optimizer's noise floor". mean_image_max: the largest pixel of the training images' mean
// image, in raw units (how far the bias of a centered model must travel).
std::string optimizer_floor_section(const std::vector<Outcome>& all, double mean_image_max);

// "Dead units: when, where, and what they cost", with the timeline figure.
std::string dead_units_section(const std::vector<Outcome>& all);
// "What stops four layers": the readout floors of the hidden layers of every 4-layer run that
// measured them, at the start and at the end.
std::string depth_section(const std::vector<Outcome>& all);

void write_dead_unit_figure(const std::filesystem::path& out, const std::vector<Outcome>& all);

}  // namespace simdgrad::identity
