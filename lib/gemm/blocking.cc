#include "lib/gemm/blocking.h"

#include <algorithm>
#include <fstream>
#include <string>

namespace simdgrad::detail {
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

CacheSizes read_cache_sizes() {
  CacheSizes sizes;
  for (int index = 0; index < 8; ++index) {
    const std::string base = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::ifstream level_file(base + "level"), type_file(base + "type"), size_file(base + "size");
    int level = 0;
    std::string type, size_text;
    if (!(level_file >> level) || !(type_file >> type) || !(size_file >> size_text)) continue;
    const size_t bytes = parse_size(size_text);
    if (bytes == 0 || type == "Instruction") continue;
    if (level == 1) sizes.l1d = bytes;
    if (level == 2) sizes.l2 = bytes;
    if (level == 3) sizes.l3 = bytes;
  }
  return sizes;
}

size_t round_down(size_t value, size_t multiple) { return std::max(multiple, value / multiple * multiple); }

}  // namespace

const CacheSizes& cache_sizes() {
  static const CacheSizes sizes = read_cache_sizes();
  return sizes;
}

Blocking blocking_limits(size_t mr, size_t nr, size_t element_size, const CacheSizes& caches) {
  const size_t kc = std::clamp(round_down(caches.l1d * 2 / 3 / (nr * element_size), 16),
                               size_t{64}, size_t{1024});
  const size_t mc = std::clamp(round_down(caches.l2 * 3 / 16 / (kc * element_size), mr), mr,
                               size_t{4096} / mr * mr);
  const size_t nc = std::clamp(round_down(caches.l3 / 4 / (kc * element_size), nr), nr,
                               size_t{8192} / nr * nr);
  return Blocking{kc, mc, nc};
}

}  // namespace simdgrad::detail
