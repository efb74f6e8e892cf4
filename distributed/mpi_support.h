// What the distributed sources share about MPI: errors that come back as exceptions, and MPI
// handles kept in a `long` so the public headers need no mpi.h.
#pragma once

#include <mpi.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace simdgrad::distributed {

// Turns an MPI error code that comes back (rather than aborting the job, MPI's default) into
// an exception naming the call.
inline void check(int status, const char* call) {
  if (status != MPI_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed with MPI error " +
                             std::to_string(status));
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
