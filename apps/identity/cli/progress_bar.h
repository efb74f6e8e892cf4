// A Keras-like progress line while an epoch runs: on a terminal it redraws in place
// ("12800/60000 [=====>........] - ETA: 3s - loss: 1234.5678"); elsewhere it prints nothing,
// so logs get only the per-epoch lines.
#pragma once

#include <chrono>
#include <cstddef>

namespace simdgrad::identity {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled);
  void update(size_t done, size_t total, double loss);
  // Clears the line before the epoch summary is printed.
  void finish();

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace simdgrad::identity
