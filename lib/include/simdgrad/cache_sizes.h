// The data cache sizes simdgrad blocks its GEMM for, and where each one came from.
//
// They set how many rows and columns of a GEMM's operands are packed per block (MC, NC), which
// changes speed only: the depth of a block (KC), the one blocking choice that changes the order
// in which an element of C adds its products, is fixed (see gemm.h), so results never depend on
// these sizes.
#pragma once

#include <cstddef>
#include <string>

namespace simdgrad {

struct CacheLevel {
  size_t bytes = 0;
  std::string source;  // "sysfs", "sysconf" (glibc, from CPUID on x86) or "default"
};

struct CacheSizes {
  CacheLevel l1d, l2, l3;
};

// Per level: Linux sysfs (CPU 0) first, then sysconf, then a default (32 KiB, 512 KiB, 8 MiB).
// Read once; the same value for the life of the program.
const CacheSizes& detected_cache_sizes();

// "L1d 48 KiB (sysconf), L2 1 MiB (sysconf), L3 8 MiB (default)".
std::string to_string(const CacheSizes& sizes);

}  // namespace simdgrad
