// What the distributed sources share about MPI: errors that come back as exceptions, and MPI
// handles kept in a `long` so the public headers need no mpi.h.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace simdgrad::distributed {

// Turns an MPI error code into an exception naming this process, the call and MPI's own
// words. Errors come back as codes (rather than aborting the job, MPI's default) on the
// communicator every simdgrad call uses (MPI_ERRORS_RETURN, set by Communicator).
inline void check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  int rank = -1, length = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char words[MPI_MAX_ERROR_STRING] = "";
  MPI_Error_string(status, words, &length);
  throw std::runtime_error("rank " + std::to_string(rank) + ": " + call + " failed: " + words);
}

// An element count for an MPI call, which takes an int: refused, never truncated, past 2^31 - 1.
inline int mpi_count(size_t n, const char* call) {
  if (n > size_t(std::numeric_limits<int>::max())) {
    throw std::length_error(std::string(call) + ": " + std::to_string(n) +
                            " elements; MPI counts stop at 2^31 - 1 (2147483647)");
  }
  return int(n);
}

// An MPI handle (MPI_Request, MPI_Win: an int in some MPIs, a pointer in Open MPI) to and from
// its opaque `long`.
template <class Handle>
long to_opaque(Handle handle) {
  static_assert(sizeof(Handle) <= sizeof(long), "an MPI handle must fit the opaque long");
  long opaque = 0;
  std::memcpy(&opaque, &handle, sizeof handle);
  return opaque;
}

template <class Handle>
Handle from_opaque(long opaque) {
  static_assert(sizeof(Handle) <= sizeof(long), "an MPI handle must fit the opaque long");
  Handle handle;
  std::memcpy(&handle, &opaque, sizeof handle);
  return handle;
}

}  // namespace simdgrad::distributed
