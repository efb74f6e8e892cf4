// Memory the ranks of a run share when they all run on one machine: one segment per rank, which
// every rank can read and write directly (MPI_Win_allocate_shared), so data need not be copied
// into messages to go from one rank to another.
//
// The MPI rules it keeps (MPI-3.1 §11.2.3, §11.4, §11.5.4): the window must be in the unified
// memory model (checked: refused otherwise), it stays in one passive-target epoch
// (MPI_Win_lock_all, MODE_NOCHECK) for its whole life, and a rank that has written what another
// will read calls sync() (MPI_Win_sync) before telling it so, as the reader does after hearing
// it and before reading.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "simdgrad/distributed/communicator.h"

namespace simdgrad::distributed {

class SharedSegments {
 public:
  // Whether every rank of the communicator runs on this machine (collective).
  static bool available(const Communicator& communicator);
  // What `bytes` per rank take in the file system behind the shared memory (whole pages, and
  // MPI's alignment), summed over the ranks.
  static size_t footprint(const Communicator& communicator, size_t bytes);
  // Collective: "" if the file system behind the shared memory (/dev/shm, or Open MPI's
  // osc_sm_backing_directory) has room for `bytes` per rank and a quarter more on every rank;
  // else one sentence saying what is needed and what is free. A full /dev/shm would otherwise
  // end the run in SIGBUS when the memory is first touched. The environment variable
  // kRoomVariable, if set, stands for the free bytes (to test this, or to cap the memory used).
  static std::string room_shortage(const Communicator& communicator, size_t bytes);
  static constexpr const char* kRoomVariable = "SIMDGRAD_SHARED_MEMORY_ROOM";

  // Collective: `bytes` (rounded up to whole pages) for every rank, zero-filled, each segment
  // starting on a 64-byte boundary. Throws std::runtime_error if the ranks are not all on one
  // machine, there is no room (room_shortage), the MPI's shared memory is not in the unified
  // model, or MPI cannot allocate the memory.
  SharedSegments(const Communicator& communicator, size_t bytes);
  // Collective (MPI_Win_free): every rank destroys its object at the same point of the run.
  // Destroyed by an exception unwinding, it frees nothing: the others could not join.
  ~SharedSegments();
  SharedSegments(const SharedSegments&) = delete;
  SharedSegments& operator=(const SharedSegments&) = delete;

  // Rank r's segment, as mapped in this process.
  std::byte* segment(int rank) const { return bases_[size_t(rank)]; }
  size_t bytes() const { return bytes_; }
  // MPI_Win_sync: this process's stores to the segments are visible to the others, and theirs
  // (told of by an atomic flag) to it. A memory fence on the machines MPI runs on.
  void sync() const;

 private:
  void allocate(const Communicator& communicator);
  void require_unified_model() const;

  size_t bytes_ = 0;
  std::vector<std::byte*> bases_;
  long window_ = 0;  // an MPI_Win, kept opaque so this header needs no mpi.h
};

}  // namespace simdgrad::distributed
