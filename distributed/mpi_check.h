// Turns an MPI error code that comes back (rather than aborting the job, MPI's default) into
// an exception naming the call.
#pragma once

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace simdgrad::distributed {

inline void check(int status, const char* call) {
  if (status != MPI_SUCCESS) throw std::runtime_error(std::string(call) + " failed with MPI error " + std::to_string(status));
}

}  // namespace simdgrad::distributed
