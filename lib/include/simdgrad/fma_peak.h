// The machine's FMA peak, measured: a loop of independent fused multiply-adds on the SIMD
// target in use, so a GEMM (or any kernel) figure can be quoted as a fraction of what the
// cores can do. Measure it in the same run as the figure: clocks vary between runs and machines.
#pragma once

#include <cstddef>

namespace simdgrad {

// Runs `iterations` rounds of independent float FMAs on the calling thread and returns the
// floating-point operations done (2 per lane per FMA).
double run_fma_loop(size_t iterations);

// GFLOP/s of `threads` threads each running run_fma_loop at once: the best of `repetitions`
// runs of about 20 ms. threads < 1 means num_threads().
double measure_fma_peak_gflops(int threads = 0, int repetitions = 5);

}  // namespace simdgrad
