// Flushes denormal floats to zero on the calling thread for the lifetime of the object
// (x86: MXCSR's FTZ and DAZ bits), restoring the previous mode after. Denormal operands cost
// ~100 cycles per instruction on many cores; a GEMM over activations that have decayed into
// that range would otherwise slow down by orders of magnitude. Every thread of a kernel's team
// sets it, so results stay the same for any thread count. Elsewhere it does nothing.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace simdgrad {

class FlushDenormals {
 public:
#if defined(__x86_64__) || defined(__i386__)
  static constexpr unsigned kFlushToZero = 0x8000;     // MXCSR.FTZ
  static constexpr unsigned kDenormalsAreZero = 0x0040;  // MXCSR.DAZ
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#else
  FlushDenormals() = default;
#endif
 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace simdgrad
