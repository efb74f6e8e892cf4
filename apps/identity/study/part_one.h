// Part one of the study's report: the causes the original answer named, one run each changing
// one thing from the Keras recipe, in a table and one finding per cause.
#pragma once

#include <string>
#include <vector>

#include "apps/identity/study/runs.h"
#include "apps/identity/study/study.h"

namespace simdgrad::identity {

// The part-one runs; part two's runs are set up by their own sections.
std::vector<Experiment> part_one_experiments(const TrainConfig& base, bool quick);

// Whether a run belongs to part one (one row each in its table).
bool in_part_one(const Outcome& o);

// The report's title, the question, the table of part one and its findings. `all_zero_loss`
// is what an all-zero output scores on the test set.
std::string part_one_report(const StudyOptions& options, const std::vector<Outcome>& all,
                            double total_seconds, double all_zero_loss);

}  // namespace simdgrad::identity
