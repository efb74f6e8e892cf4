// The GEMMs of one identity training step run standalone, each shape repeated with its operands
// warm in cache as bench_gemm runs it: the reference a step in situ is measured against. For
// L layers of width W and a batch of B rows: L forward products (NT, B x W x W), L - 1 input
// gradients (NN, B x W x W; the first layer needs none) and L weight gradients (TN, W x W x B).
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "bench/random_matrix.h"
#include "simdgrad/gemm.h"

namespace simdgrad::bench {

// The phase of the step a GEMM belongs to.
enum class StepPhase { kForward, kBackward };

struct StepGemm {
  std::string name;  // "NT 128x784x784"
  Transpose ta, tb;
  size_t m, n, k;
  int count;  // per step
  StepPhase phase;
  double best_seconds = 0;  // of one call, best of the rounds
};

inline std::vector<StepGemm> step_gemms(int layers, size_t batch, size_t width) {
  const std::string square =
      std::to_string(batch) + "x" + std::to_string(width) + "x" + std::to_string(width);
  const std::string weight =
      std::to_string(width) + "x" + std::to_string(width) + "x" + std::to_string(batch);
  return {{"NT " + square, Transpose::kNo, Transpose::kYes, batch, width, width, layers,
           StepPhase::kForward},
          {"NN " + square, Transpose::kNo, Transpose::kNo, batch, width, width, layers - 1,
           StepPhase::kBackward},
          {"TN " + weight, Transpose::kYes, Transpose::kNo, width, width, batch, layers,
           StepPhase::kBackward}};
}

// The step's GEMMs with their operands made once, so that their timing rounds can be
// interleaved with other work (the step itself): each round runs every shape `calls` times in a
// row, warm, and keeps each shape's best time per call over the rounds so far.
class StandaloneGemms {
 public:
  explicit StandaloneGemms(std::vector<StepGemm>& gemms) : gemms_(gemms) {
    for (StepGemm& g : gemms_) {
      g.best_seconds = 1e30;
      const bool ta = g.ta == Transpose::kYes, tb = g.tb == Transpose::kYes;
      operands_.push_back({ta ? random_matrix<float>(g.k, g.m) : random_matrix<float>(g.m, g.k),
                           tb ? random_matrix<float>(g.n, g.k) : random_matrix<float>(g.k, g.n),
                           Matrix<float>(g.m, g.n)});
    }
  }

  void time_round(int calls = 20) {
    using Clock = std::chrono::steady_clock;
    for (size_t i = 0; i < gemms_.size(); ++i) {
      StepGemm& g = gemms_[i];
      if (g.count == 0) continue;
      Operands& o = operands_[i];
      for (int w = 0; w < 3; ++w) gemm<float>(g.ta, g.tb, 1.0f, o.a, o.b, 0.0f, o.c);  // warm
      const Clock::time_point start = Clock::now();
      for (int c = 0; c < calls; ++c) gemm<float>(g.ta, g.tb, 1.0f, o.a, o.b, 0.0f, o.c);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count() / calls;
      g.best_seconds = std::min(g.best_seconds, seconds);
    }
  }

 private:
  struct Operands {
    Matrix<float> a, b, c;
  };
  std::vector<StepGemm>& gemms_;
  std::vector<Operands> operands_;
};

// The best seconds per step of the GEMMs of one phase, and of all of them.
inline double phase_seconds(const std::vector<StepGemm>& gemms, StepPhase phase) {
  double total = 0;
  for (const StepGemm& g : gemms) {
    if (g.phase == phase) total += g.count * g.best_seconds;
  }
  return total;
}

inline double step_seconds(const std::vector<StepGemm>& gemms) {
  return phase_seconds(gemms, StepPhase::kForward) + phase_seconds(gemms, StepPhase::kBackward);
}

}  // namespace simdgrad::bench
