// The attribute of the lambdas inside the SIMD kernels' hot loops: the target's HWY_ATTR, and
// inlined always. Left to the optimizer's heuristics, GCC at -O2 kept the micro-kernel's
// per-row lambda out of line, spilling its accumulators to memory: the GEMM ran 5-7 times
// slower than at -O3, in any build of the library with -O2 (the test build, distribution
// packages). Inlining changes no result: every operation is an explicit Highway op.
// For code between HWY_BEFORE_NAMESPACE and HWY_AFTER_NAMESPACE, where HWY_ATTR names the
// target being compiled.
#pragma once

#define SIMDGRAD_INLINE_LAMBDA HWY_ATTR __attribute__((always_inline))
