// The machine's FMA peak, measured: a loop of independent fused multiply-adds on the SIMD
// target in use, so GEMM figures can be quoted as a fraction of what this core can do.
#pragma once

#include <cstddef>

namespace simdgrad::bench {

// Runs `iterations` rounds of independent float FMAs on the calling thread and returns the
// floating-point operations done (2 per lane per FMA).
double run_fma_loop(size_t iterations);

}  // namespace simdgrad::bench
