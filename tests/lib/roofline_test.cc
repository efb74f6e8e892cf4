// The roofline: its passes compute what they claim on every SIMD target (cached and
// non-temporal stores alike), the working sets follow the caches, the bound is the larger of
// the compute and the traffic time, and a measurement gives a figure for every pass.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lib/machine/bandwidth_kernels.h"
#include "simdgrad/aligned_memory.h"
#include "simdgrad/cache_sizes.h"
#include "simdgrad/roofline.h"
#include "tests/support/for_each_target.h"

namespace simdgrad::testing {

TEST_CASE("the bandwidth passes read, write, copy, triad and update exactly, on every target",
          "[roofline]") {
  const size_t n = 4 * detail::kBandwidthBlock;
  auto a = allocate_aligned<float>(n), b = allocate_aligned<float>(n),
       c = allocate_aligned<float>(n);
  for_each_target([&](const SimdTarget&) {
    for (bool stream : {false, true}) {
      INFO("non-temporal stores: " << stream);
      double want = 0;
      for (size_t i = 0; i < n; ++i) {
        a[i] = float(i % 7);
        c[i] = float(i % 5);
        want += a[i];
      }
      REQUIRE(detail::read_pass(a.get(), n) == float(want));  // small integers: exact
      detail::write_pass(b.get(), n, 2.5f, stream);
      for (size_t i = 0; i < n; ++i) REQUIRE(b[i] == 2.5f);
      detail::copy_pass(a.get(), b.get(), n, stream);
      for (size_t i = 0; i < n; ++i) REQUIRE(b[i] == a[i]);
      detail::triad_pass(b.get(), a.get(), c.get(), 0.5f, n, stream);
      for (size_t i = 0; i < n; ++i) REQUIRE(b[i] == a[i] + 0.5f * c[i]);
      detail::update_pass(b.get(), c.get(), 2.0f, n);
      for (size_t i = 0; i < n; ++i) REQUIRE(b[i] == a[i] + 0.5f * c[i] + 2.0f * c[i]);
    }
  });
}

TEST_CASE("each level's working set lives in it, and memory's in none", "[roofline]") {
  const CacheSizes& caches = detected_cache_sizes();
  for (int threads : {1, 2, 8}) {
    INFO(threads << " threads");
    REQUIRE(working_set_bytes(MemoryLevel::kL1, threads) * 2 == caches.l1d.bytes);
    REQUIRE(working_set_bytes(MemoryLevel::kL2, threads) * 2 == caches.l2.bytes);
    REQUIRE(working_set_bytes(MemoryLevel::kL3, threads) > caches.l2.bytes);
    const size_t l3 = std::min(caches.l3.bytes, 8 * caches.l2.bytes * size_t(threads));
    REQUIRE(working_set_bytes(MemoryLevel::kL3, threads) * size_t(threads) <=
            std::max(l3 / 2, 2 * caches.l2.bytes * size_t(threads)));
    REQUIRE(level_of(working_set_bytes(MemoryLevel::kL3, threads), threads) == MemoryLevel::kL3);
    REQUIRE(level_of(working_set_bytes(MemoryLevel::kMemory, threads), threads) ==
            MemoryLevel::kMemory);
    REQUIRE(level_of(working_set_bytes(MemoryLevel::kL1, threads), threads) == MemoryLevel::kL1);
    REQUIRE(level_of(working_set_bytes(MemoryLevel::kL2, threads), threads) == MemoryLevel::kL2);
    const size_t memory = working_set_bytes(MemoryLevel::kMemory, threads) * size_t(threads);
    REQUIRE(memory >= std::min<size_t>(4 * l3, size_t(1) << 30));
    REQUIRE(memory >= size_t(256) << 20);
  }
}

TEST_CASE("a kernel's bound is the larger of its compute time and its traffic time", "[roofline]") {
  Roofline roof;
  roof.fma_peak_gflops = 100;
  roof.levels[size_t(MemoryLevel::kL2)].copy = 50;
  roof.levels[size_t(MemoryLevel::kL2)].triad = 40;  // the roof is the best of the three
  roof.levels[size_t(MemoryLevel::kL2)].update = 45;
  REQUIRE(roof.at(MemoryLevel::kL2).roof() == 50);
  roof.levels[size_t(MemoryLevel::kL1)].update = 45;
  REQUIRE(roof.at(MemoryLevel::kL1).roof() == 45);
  REQUIRE(roof.ridge_intensity(MemoryLevel::kL2) == 2);
  REQUIRE(roof.bound_seconds(100e9, 0, MemoryLevel::kL2) == Approx(1));
  REQUIRE(roof.bound_seconds(0, 50e9, MemoryLevel::kL2) == Approx(1));
  REQUIRE(roof.bound_seconds(100e9, 10e9, MemoryLevel::kL2) == Approx(1));  // compute-bound
  REQUIRE(roof.bound_seconds(10e9, 100e9, MemoryLevel::kL2) == Approx(2));  // bandwidth-bound
  REQUIRE(std::string(to_string(MemoryLevel::kMemory)) == "memory");
}

TEST_CASE("a measurement gives every pass of every level a figure, and a table", "[roofline]") {
  const LevelBandwidth l1 = measure_bandwidth(MemoryLevel::kL1, 1, 1);
  REQUIRE(l1.level == MemoryLevel::kL1);
  REQUIRE(l1.bytes_per_thread > 0);
  REQUIRE(l1.bytes_per_thread <= working_set_bytes(MemoryLevel::kL1, 1));
  for (double gbs : {l1.read, l1.write, l1.copy, l1.triad, l1.update}) {
    REQUIRE(std::isfinite(gbs));
    REQUIRE(gbs > 0);
  }
  Roofline roof;
  roof.threads = 1;
  roof.fma_peak_gflops = 10;
  for (MemoryLevel level : kMemoryLevels) {
    roof.levels[size_t(level)].level = level;
    roof.levels[size_t(level)].copy = 5;
  }
  const std::string table = to_string(roof);
  REQUIRE(table.find("FMA peak 10.0 GFLOP/s") != std::string::npos);
  REQUIRE(table.find("memory") != std::string::npos);
  REQUIRE(table.find("2.0\n") != std::string::npos);  // the ridge, 10 / 5
}

}  // namespace simdgrad::testing
