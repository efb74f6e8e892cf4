#include "simdgrad/autograd/arena.h"

#include <algorithm>
#include <new>

#include "simdgrad/aligned_memory.h"
#include "simdgrad/index_range.h"

namespace simdgrad::autograd {

void* Arena::allocate(size_t bytes) {
  constexpr size_t kAlignment = 64;
  bytes = std::max<size_t>(kAlignment, round_up(bytes, kAlignment));
  // Move on to the next block that can hold the request; blocks too small for it are skipped
  // (never freed), so the sequence of blocks a step uses is the same every step.
  while (current_ < blocks_.size() && offset_ + bytes > blocks_[current_].size) {
    ++current_;
    offset_ = 0;
  }
  if (current_ == blocks_.size()) {
    const size_t size = std::max(block_bytes_, bytes);
    Block block{allocate_aligned<uint8_t>(size), size};
    blocks_.push_back(std::move(block));
    ++system_allocations_;
    offset_ = 0;
  }
  void* out = blocks_[current_].data.get() + offset_;
  offset_ += bytes;
  used_ += bytes;
  return out;
}

void Arena::reset() {
  current_ = 0;
  offset_ = 0;
  used_ = 0;
}

ArenaStats Arena::stats() const {
  ArenaStats s;
  s.blocks = blocks_.size();
  for (const Block& b : blocks_) s.capacity_bytes += b.size;
  s.used_bytes = used_;
  s.system_allocations = system_allocations_;
  return s;
}

}  // namespace simdgrad::autograd
