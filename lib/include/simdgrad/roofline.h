// The machine's roofline, measured: the FMA peak and the bandwidth of each cache level and of
// memory, so that any kernel, compute-bound or memory-bound, can be quoted as a fraction of
// what the machine can do with its data where they live. Measure it in the same run as the
// figure it judges: clocks and neighbours vary between runs.
//
//   Roofline roof = measure_roofline();                     // all threads, a few seconds
//   double best = roof.bound_seconds(flops, bytes, MemoryLevel::kL2);
//   double fraction = best / measured_seconds;              // 1 is the roof
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

namespace simdgrad {

enum class MemoryLevel { kL1, kL2, kL3, kMemory };
inline constexpr std::array<MemoryLevel, 4> kMemoryLevels = {
    MemoryLevel::kL1, MemoryLevel::kL2, MemoryLevel::kL3, MemoryLevel::kMemory};
// "L1d", "L2", "L3", "memory".
const char* to_string(MemoryLevel level);

// GB/s (10⁹ bytes) of the calling team over working sets that live in one level, the best of
// several repetitions, each byte counted once where it is read or written:
// read (a sum), write (a fill), copy (b = a), triad (a = b + s·c) and update (a = a + s·b, in
// place, as optimizers and axpy write). Fill, copy and triad write to memory with non-temporal
// stores, which skip the read a cached write makes of each line first.
struct LevelBandwidth {
  MemoryLevel level = MemoryLevel::kL1;
  size_t bytes_per_thread = 0;  // the working set of each thread
  double read = 0, write = 0, copy = 0, triad = 0, update = 0;
  // The roof of kernels that read and write, bytes counted as STREAM counts them: the best of
  // copy, triad and update.
  double roof() const { return std::max({copy, triad, update}); }
};

// The working set per thread that lives in `level` with `threads` threads, from the detected
// caches: half of L1d or L2 (private to a core), half of L3 shared by the threads but at least
// 2 x L2, and for memory at least 4 x L3 and 256 MiB in all, at most 1 GiB. The L3 believed is
// at most 8 x L2 per thread: a virtual machine may report a bogus one (508 MiB on one Zen 5
// guest), which would put memory-sized working sets in L3.
size_t working_set_bytes(MemoryLevel level, int threads);

// The level a working set of `bytes_per_thread` on each of `threads` threads lives in: the
// first whose capacity holds it (L1d and L2 per core, L3 shared), else memory.
MemoryLevel level_of(size_t bytes_per_thread, int threads);

// threads < 1: num_threads(). Each repetition takes about 10 ms (two passes at least).
LevelBandwidth measure_bandwidth(MemoryLevel level, int threads = 0, int repetitions = 5);

struct Roofline {
  int threads = 1;
  double fma_peak_gflops = 0;
  std::array<LevelBandwidth, 4> levels{};  // in kMemoryLevels order

  const LevelBandwidth& at(MemoryLevel level) const { return levels[size_t(level)]; }
  // The least time a call of `flops` floating-point operations moving `bytes` (its reads and
  // writes) can take with its data in `level`: the larger of flops at the FMA peak and bytes
  // at the level's roof.
  double bound_seconds(double flops, double bytes, MemoryLevel level) const;
  // The arithmetic intensity (FLOP/byte) above which a kernel in `level` is bound by the
  // cores rather than by the level's bandwidth.
  double ridge_intensity(MemoryLevel level) const;
};

// The FMA peak (measure_fma_peak_gflops) and every level's bandwidth, for `threads` threads
// (threads < 1: num_threads()).
Roofline measure_roofline(int threads = 0, int repetitions = 3);

// A table: the peak, then per level its working set, read, write, copy, triad and update GB/s,
// and the ridge intensity.
std::string to_string(const Roofline& roofline);

}  // namespace simdgrad
