#include "simdgrad/cache_sizes.h"

#include <unistd.h>

#include <array>
#include <fstream>
#include <stdexcept>

namespace simdgrad {
namespace {

// "48K", "1024K", "32M" -> bytes; 0 when unreadable.
size_t parse_size(const std::string& text) {
  size_t used = 0;
  size_t value = 0;
  try {
    value = std::stoul(text, &used);
  } catch (const std::exception&) {
    return 0;
  }
  const char unit = used < text.size() ? text[used] : ' ';
  if (unit == 'K') return value << 10;
  if (unit == 'M') return value << 20;
  if (unit == 'G') return value << 30;
  return value;
}

// Data or unified caches of levels 1-3 as sysfs lists them for CPU 0 (0 where absent: some
// virtual machines have no cache directory at all).
std::array<size_t, 3> sysfs_sizes() {
  std::array<size_t, 3> bytes{};
  for (int index = 0; index < 8; ++index) {
    const std::string base =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::ifstream level_file(base + "level"), type_file(base + "type"), size_file(base + "size");
    int level = 0;
    std::string type, size_text;
    if (!(level_file >> level) || !(type_file >> type) || !(size_file >> size_text)) continue;
    if (level < 1 || level > 3 || type == "Instruction") continue;
    bytes[level - 1] = parse_size(size_text);
  }
  return bytes;
}

size_t sysconf_size(int name) {
  const long bytes = sysconf(name);
  return bytes > 0 ? static_cast<size_t>(bytes) : 0;
}

CacheLevel first_known(size_t sysfs, size_t from_sysconf, size_t fallback) {
  if (sysfs != 0) return {sysfs, "sysfs"};
  if (from_sysconf != 0) return {from_sysconf, "sysconf"};
  return {fallback, "default"};
}

CacheSizes detect() {
  const std::array<size_t, 3> sysfs = sysfs_sizes();
  CacheSizes sizes;
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  sizes.l1d = first_known(sysfs[0], sysconf_size(_SC_LEVEL1_DCACHE_SIZE), size_t{32} << 10);
  sizes.l2 = first_known(sysfs[1], sysconf_size(_SC_LEVEL2_CACHE_SIZE), size_t{512} << 10);
  sizes.l3 = first_known(sysfs[2], sysconf_size(_SC_LEVEL3_CACHE_SIZE), size_t{8} << 20);
#else
  sizes.l1d = first_known(sysfs[0], 0, size_t{32} << 10);
  sizes.l2 = first_known(sysfs[1], 0, size_t{512} << 10);
  sizes.l3 = first_known(sysfs[2], 0, size_t{8} << 20);
#endif
  return sizes;
}

std::string human_bytes(size_t bytes) {
  if (bytes >= (size_t{1} << 20) && bytes % (size_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  if (bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " B";
}

std::string describe(const char* name, const CacheLevel& level) {
  return std::string(name) + " " + human_bytes(level.bytes) + " (" + level.source + ")";
}

}  // namespace

const CacheSizes& detected_cache_sizes() {
  static const CacheSizes sizes = detect();
  return sizes;
}

std::string to_string(const CacheSizes& sizes) {
  return describe("L1d", sizes.l1d) + ", " + describe("L2", sizes.l2) + ", " +
         describe("L3", sizes.l3);
}

}  // namespace simdgrad
