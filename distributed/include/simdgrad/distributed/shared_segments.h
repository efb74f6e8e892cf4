// Memory the ranks of a run share when they all run on one machine: one segment per rank, which
// every rank can read and write directly (MPI_Win_allocate_shared), so data need not be copied
// into messages to go from one rank to another.
#pragma once

#include <cstddef>
#include <vector>

#include "simdgrad/distributed/communicator.h"

namespace simdgrad::distributed {

class SharedSegments {
 public:
  // Whether every rank of the communicator runs on this machine (collective).
  static bool available(const Communicator& communicator);

  // Collective: `bytes` (rounded up to whole pages) for every rank, zero-filled, each segment
  // starting on a 64-byte boundary. Throws std::runtime_error if the ranks are not all on one
  // machine or MPI cannot allocate the memory.
  SharedSegments(const Communicator& communicator, size_t bytes);
  // Collective (MPI_Win_free): every rank destroys its object at the same point of the run.
  ~SharedSegments();
  SharedSegments(const SharedSegments&) = delete;
  SharedSegments& operator=(const SharedSegments&) = delete;

  // Rank r's segment, as mapped in this process.
  std::byte* segment(int rank) const { return bases_[size_t(rank)]; }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_ = 0;
  std::vector<std::byte*> bases_;
  long window_ = 0;  // an MPI_Win, kept opaque so this header needs no mpi.h
};

}  // namespace simdgrad::distributed
