#include "simdgrad/roofline.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "lib/machine/bandwidth_kernels.h"
#include "simdgrad/aligned_memory.h"
#include "simdgrad/cache_sizes.h"
#include "simdgrad/fma_peak.h"
#include "simdgrad/targets.h"
#include "simdgrad/threading.h"

namespace simdgrad {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMiB = size_t(1) << 20;

enum class Pass { kRead, kWrite, kCopy, kTriad, kUpdate };

// Bytes a pass moves over arrays of n floats: each read and each written once.
size_t pass_bytes(Pass pass, size_t n) {
  const size_t arrays = pass == Pass::kTriad || pass == Pass::kUpdate ? 3
                        : pass == Pass::kCopy                         ? 2
                                                                      : 1;
  return arrays * n * sizeof(float);
}

// One thread's three arrays, first touched by that thread (so they sit near its core).
struct ThreadArrays {
  explicit ThreadArrays(size_t n)
      : n(n),
        a(allocate_aligned<float>(n)),
        b(allocate_aligned<float>(n)),
        c(allocate_aligned<float>(n)) {
    detail::write_pass(a.get(), n, 1.0f, false);
    detail::write_pass(b.get(), n, 2.0f, false);
    detail::write_pass(c.get(), n, 0.5f, false);
  }
  size_t n;
  hwy::AlignedFreeUniquePtr<float[]> a, b, c;
};

float run_pass(Pass pass, ThreadArrays& t, bool stream) {
  switch (pass) {
    case Pass::kRead:
      return detail::read_pass(t.a.get(), t.n);
    case Pass::kWrite:
      detail::write_pass(t.b.get(), t.n, 3.0f, stream);
      break;
    case Pass::kCopy:
      detail::copy_pass(t.a.get(), t.b.get(), t.n, stream);
      break;
    case Pass::kTriad:
      detail::triad_pass(t.b.get(), t.a.get(), t.c.get(), 0.5f, t.n, stream);
      break;
    case Pass::kUpdate:  // reads b and c, writes c back: 3 touches; c stays as it is (+ 0·b)
      detail::update_pass(t.c.get(), t.b.get(), 0.0f, t.n);
      break;
  }
  return 0;
}

// GB/s of the team running `pass` over its arrays: the best of `repetitions` timed runs of the
// same number of passes per thread, enough for about 10 ms.
double team_bandwidth(Pass pass, std::vector<std::unique_ptr<ThreadArrays>>& arrays, bool stream,
                      int repetitions) {
  const int threads = int(arrays.size());
  size_t passes = 1;
  double best = 0;
  float sink = 0;
  for (int r = -1; r < repetitions; ++r) {  // r = -1: a warm-up that sets `passes`
    const auto start = Clock::now();
    double bytes = 0;  // summed over the threads the team really has
#pragma omp parallel num_threads(threads) reduction(+ : sink, bytes)
    {
      ThreadArrays& mine = *arrays[size_t(omp_get_thread_num())];
      for (size_t p = 0; p < passes; ++p) sink += run_pass(pass, mine, stream);
      bytes += double(passes) * double(pass_bytes(pass, mine.n));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (r < 0) {
      passes = std::max<size_t>(2, size_t(0.01 / std::max(seconds, 1e-9)));
    } else {
      best = std::max(best, bytes / seconds * 1e-9);
    }
  }
  volatile float keep = sink;  // the reads must not be optimized away
  (void)keep;
  return best;
}

// The L3 the roofline believes in: the detected size, but no more than 8 x L2 per thread. A
// virtual machine may report a bogus L3 (one Zen 5 guest reports 508 MiB through sysconf),
// which would put memory-sized working sets in "L3"; no CPU has much more L3 than that per core.
size_t believed_l3_bytes(int threads) {
  const CacheSizes& caches = detected_cache_sizes();
  return std::min(caches.l3.bytes, 8 * caches.l2.bytes * size_t(std::max(1, threads)));
}

}  // namespace

const char* to_string(MemoryLevel level) {
  switch (level) {
    case MemoryLevel::kL1:
      return "L1d";
    case MemoryLevel::kL2:
      return "L2";
    case MemoryLevel::kL3:
      return "L3";
    case MemoryLevel::kMemory:
      break;
  }
  return "memory";
}

size_t working_set_bytes(MemoryLevel level, int threads) {
  const CacheSizes& caches = detected_cache_sizes();
  const size_t t = size_t(std::max(1, threads));
  switch (level) {
    case MemoryLevel::kL1:
      return caches.l1d.bytes / 2;
    case MemoryLevel::kL2:
      return caches.l2.bytes / 2;
    case MemoryLevel::kL3:
      return std::max(believed_l3_bytes(threads) / 2 / t, 2 * caches.l2.bytes);
    case MemoryLevel::kMemory:
      break;
  }
  return std::clamp(4 * believed_l3_bytes(threads), 256 * kMiB, 1024 * kMiB) / t;
}

MemoryLevel level_of(size_t bytes_per_thread, int threads) {
  const CacheSizes& caches = detected_cache_sizes();
  if (bytes_per_thread <= caches.l1d.bytes) return MemoryLevel::kL1;
  if (bytes_per_thread <= caches.l2.bytes) return MemoryLevel::kL2;
  if (bytes_per_thread * size_t(std::max(1, threads)) <= believed_l3_bytes(threads))
    return MemoryLevel::kL3;
  return MemoryLevel::kMemory;
}

LevelBandwidth measure_bandwidth(MemoryLevel level, int threads, int repetitions) {
  detail::apply_environment_target();
  if (threads < 1) threads = num_threads();
  LevelBandwidth out;
  out.level = level;
  // Three arrays share the working set; each a whole number of blocks.
  const size_t block = detail::kBandwidthBlock;
  const size_t n =
      std::max(block, working_set_bytes(level, threads) / 3 / sizeof(float) / block * block);
  out.bytes_per_thread = 3 * n * sizeof(float);
  // Each thread allocates and first touches its own arrays, all at once.
  std::vector<std::unique_ptr<ThreadArrays>> arrays(static_cast<size_t>(threads));
#pragma omp parallel num_threads(threads)
  arrays[size_t(omp_get_thread_num())] = std::make_unique<ThreadArrays>(n);
  // A team smaller than asked for (OMP_THREAD_LIMIT) leaves some unmade; the passes then run
  // on the team there is, and count its bytes only.
  for (auto& a : arrays) {
    if (!a) a = std::make_unique<ThreadArrays>(n);
  }
  // Non-temporal stores only where the data do not fit in any cache.
  const bool stream = level == MemoryLevel::kMemory;
  out.read = team_bandwidth(Pass::kRead, arrays, false, repetitions);
  out.write = team_bandwidth(Pass::kWrite, arrays, stream, repetitions);
  out.copy = team_bandwidth(Pass::kCopy, arrays, stream, repetitions);
  out.triad = team_bandwidth(Pass::kTriad, arrays, stream, repetitions);
  out.update = team_bandwidth(Pass::kUpdate, arrays, false, repetitions);
  return out;
}

double Roofline::bound_seconds(double flops, double bytes, MemoryLevel level) const {
  const double compute = flops / (fma_peak_gflops * 1e9);
  const double traffic = bytes / (at(level).roof() * 1e9);
  return std::max(compute, traffic);
}

double Roofline::ridge_intensity(MemoryLevel level) const {
  return fma_peak_gflops / at(level).roof();
}

Roofline measure_roofline(int threads, int repetitions) {
  if (threads < 1) threads = num_threads();
  Roofline out;
  out.threads = threads;
  out.fma_peak_gflops = measure_fma_peak_gflops(threads, repetitions);
  for (MemoryLevel level : kMemoryLevels)
    out.levels[size_t(level)] = measure_bandwidth(level, threads, repetitions);
  return out;
}

std::string to_string(const Roofline& roofline) {
  char line[200];
  std::snprintf(line, sizeof line, "roofline, %d thread%s: FMA peak %.1f GFLOP/s\n",
                roofline.threads, roofline.threads == 1 ? "" : "s", roofline.fma_peak_gflops);
  std::string out = line;
  out +=
      "level    working set/thread   read GB/s  write GB/s  copy GB/s  triad GB/s  update GB/s  "
      "ridge FLOP/B\n";
  for (const LevelBandwidth& b : roofline.levels) {
    std::snprintf(line, sizeof line, "%-8s %14.2f MiB %11.1f %11.1f %10.1f %11.1f %12.1f %13.1f\n",
                  to_string(b.level), double(b.bytes_per_thread) / double(kMiB), b.read, b.write,
                  b.copy, b.triad, b.update, roofline.ridge_intensity(b.level));
    out += line;
  }
  return out;
}

}  // namespace simdgrad
