// Learning-rate schedules: the rate of each optimizer step as a pure function of the step's
// index, so a run resumed from a checkpoint (which stores the step count) continues the same
// curve. Set it before each step: optimizer.set_learning_rate(schedule.at(optimizer.iterations())).
#pragma once

#include <cstddef>

namespace simdgrad::autograd {

enum class ScheduleShape {
  kConstant,  // the peak rate after the warm-up
  kCosine,    // after the warm-up, peak * (1 + cos(pi * progress)) / 2: down to 0 at the last step
};

struct LearningRateSchedule {
  double peak = 1e-3;
  ScheduleShape shape = ScheduleShape::kConstant;
  size_t warmup_steps = 0;  // linear from peak / warmup_steps up to peak
  size_t total_steps = 0;   // the run's length (the cosine's period); at least warmup_steps

  // The rate of step `step` (0-based). Past total_steps the cosine stays at 0. Throws
  // std::invalid_argument for a negative or non-finite peak or warmup_steps > total_steps.
  double at(size_t step) const;
};

}  // namespace simdgrad::autograd
