// Flushes denormal floats to zero on the calling thread for the lifetime of the object,
// restoring the previous mode after: x86's MXCSR.FTZ and DAZ bits, aarch64's FPCR.FZ. Denormal
// operands cost ~100 cycles per instruction on many cores; a GEMM over activations that have
// decayed into that range would otherwise slow down by orders of magnitude. Every thread of a
// kernel's team sets it, so results stay the same for any thread count, and both machines
// flush alike: a denormal operand reads as a zero of its sign, a denormal result becomes one.
// (They differ only on a result that is tiny before rounding and rounds up to the smallest
// normal number: aarch64 detects tininess before rounding and flushes it, x86 after and keeps
// it.) Elsewhere it does nothing.
#pragma once

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace simdgrad {

class FlushDenormals {
 public:
#if defined(__x86_64__) || defined(__i386__)
  static constexpr unsigned kFlushToZero = 0x8000;       // MXCSR.FTZ
  static constexpr unsigned kDenormalsAreZero = 0x0040;  // MXCSR.DAZ
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#elif defined(__aarch64__)
  static constexpr uint64_t kFlushToZero = uint64_t{1} << 24;  // FPCR.FZ: inputs and results
  FlushDenormals() : saved_(read_fpcr()) { write_fpcr(saved_ | kFlushToZero); }
  ~FlushDenormals() { write_fpcr(saved_); }

 private:
  static uint64_t read_fpcr() {
    uint64_t value;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(value));
    return value;
  }
  static void write_fpcr(uint64_t value) { __asm__ __volatile__("msr fpcr, %0" : : "r"(value)); }
  uint64_t saved_;
#else
  FlushDenormals() = default;
#endif
 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace simdgrad
