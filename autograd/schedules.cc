#include "simdgrad/autograd/schedules.h"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace simdgrad::autograd {

double LearningRateSchedule::at(size_t step) const {
  if (!std::isfinite(peak) || peak < 0) {
    throw std::invalid_argument("learning-rate schedule: peak must be finite and >= 0, got " +
                                std::to_string(peak));
  }
  if (warmup_steps > total_steps) {
    throw std::invalid_argument("learning-rate schedule: " + std::to_string(warmup_steps) +
                                " warm-up steps exceed the run's " + std::to_string(total_steps));
  }
  // Step 0 of a warm-up already moves (peak / warmup_steps): a rate of exactly 0 would waste it.
  if (step < warmup_steps) return peak * double(step + 1) / double(warmup_steps);
  if (shape == ScheduleShape::kConstant) return peak;
  const size_t decay_steps = total_steps - warmup_steps;
  if (decay_steps == 0 || step >= total_steps) return 0.0;
  const double progress = double(step - warmup_steps) / double(decay_steps);
  return peak * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace simdgrad::autograd
