// What each phase of the identity network's training step must compute and move (float), so
// that bench_train --breakdown can place the phases on the roofline: every tensor a phase
// touches counted once, as read or written, and the floating-point operations of its GEMMs
// and elementwise passes.
#pragma once

#include <cstddef>
#include <cstdio>

#include "apps/identity/training/config.h"
#include "simdgrad/bench/roofline_counters.h"

namespace simdgrad::bench {

struct PhaseWork {
  double flops = 0, bytes = 0;
  double footprint = 0;  // the distinct bytes, which decide the level they live in
};

struct StepWork {
  PhaseWork forward, backward, optimizer;
};

inline StepWork step_work(const identity::TrainConfig& config) {
  constexpr double kFloat = sizeof(float);
  constexpr double kPixels = 784;
  constexpr double kOptimizerFlops = 10;   // the RMSprop update (8) and the square sum (2)
  constexpr double kOptimizerTouches = 5;  // read parameter, gradient, accumulator; write two
  const double b = config.batch;
  StepWork w;
  for (int l = 0; l < config.layers; ++l) {
    const double in = l == 0 ? kPixels : config.width;
    const double out = l + 1 == config.layers ? kPixels : config.width;
    const double gemm = 2 * b * in * out;
    // Forward: X Wᵀ + bias, ReLU: read X, W, bias; write Y.
    w.forward.flops += gemm + 2 * b * out;
    w.forward.bytes += kFloat * (b * in + in * out + out + b * out);
    // Backward: the ReLU mask and bias gradient over dY, the weight gradient dYᵀ X, and below
    // the first layer the input gradient dY W: read dY, X (and W); write dW, db (and dX).
    const bool input_gradient = l > 0;
    w.backward.flops += gemm * (input_gradient ? 2 : 1) + 2 * b * out;
    w.backward.bytes +=
        kFloat * (b * out + b * in + in * out + out + (input_gradient ? in * out + b * in : 0));
    const double parameters = in * out + out;
    w.optimizer.flops += kOptimizerFlops * parameters;
    w.optimizer.bytes += kFloat * kOptimizerTouches * parameters;
    w.optimizer.footprint += kFloat * 3 * parameters;  // parameters, gradients, accumulators
  }
  // Forward and backward touch each tensor once: their footprint is their traffic.
  w.forward.footprint = w.forward.bytes;
  w.backward.footprint = w.backward.bytes;
  return w;
}

// A markdown table: each phase's GFLOP/s, GB/s, arithmetic intensity, the level its data
// live in, and its share of the roofline of `threads` threads, from its seconds per step.
inline void print_phases_on_roofline(const identity::TrainConfig& config, int threads,
                                     double forward_s, double backward_s, double optimizer_s) {
  const StepWork w = step_work(config);
  const Roofline& roof = roofline_for(threads);
  std::printf(
      "| phase on the roofline | GFLOP/s | GB/s | FLOP/byte | level | roofline fraction |\n"
      "|---|---|---|---|---|---|\n");
  const auto row = [&](const char* name, const PhaseWork& p, double seconds) {
    const MemoryLevel level = level_of(size_t(p.footprint) / size_t(threads), threads);
    std::printf("| %s | %.1f | %.1f | %.2f | %s | %.2f |\n", name, p.flops / seconds * 1e-9,
                p.bytes / seconds * 1e-9, p.flops / p.bytes, to_string(level),
                roof.bound_seconds(p.flops, p.bytes, level) / seconds);
  };
  row("forward", w.forward, forward_s);
  row("backward", w.backward, backward_s);
  row("optimizer", w.optimizer, optimizer_s);
  std::printf(
      "(the roofline of %d thread%s: FMA peak %.1f GFLOP/s; roofs in GB/s L1d %.0f, L2 "
      "%.0f, L3 %.0f, memory %.0f)\n",
      threads, threads > 1 ? "s" : "", roof.fma_peak_gflops, roof.at(MemoryLevel::kL1).roof(),
      roof.at(MemoryLevel::kL2).roof(), roof.at(MemoryLevel::kL3).roof(),
      roof.at(MemoryLevel::kMemory).roof());
}

}  // namespace simdgrad::bench
