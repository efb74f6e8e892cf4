// Thread count and the fixed partitioning that keeps results independent of it.
//
// The determinism promise: a computation is split into pieces whose boundaries depend only on
// the problem's shape (fixed chunk sizes, fixed tiles), each piece is computed by exactly one
// thread, and pieces that must be combined are combined in a fixed order. So the thread count
// changes which thread computes a piece, never what the piece is or the order of the sums.
#pragma once

#include <cstddef>

namespace simdgrad {

// Sets the number of OpenMP threads simdgrad uses (n >= 1; throws std::invalid_argument).
void set_num_threads(int n);
// The number of threads a parallel kernel will use from here.
int num_threads();
// The number of threads the last parallel kernel actually ran with (for tests that must prove
// a team of the requested size ran).
int last_team_size();

// Elements per piece of an elementwise or reduction kernel. Below kParallelMinElements a
// kernel runs on the calling thread: a fork/join costs more than it saves there (measured:
// a 128x784 ReLU takes ~2 us on one core and is no faster on two).
inline constexpr size_t kChunkElements = 16384;
inline constexpr size_t kParallelMinElements = size_t{1} << 18;

namespace detail {
// Called by each parallel kernel with the size of the team that ran it.
void record_team_size(int n);
}  // namespace detail

}  // namespace simdgrad
