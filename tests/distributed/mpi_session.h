// The communicator of a test program run under mpiexec (set up by mpi_catch_main.cc).
#pragma once

#include "simdgrad/distributed/communicator.h"

namespace simdgrad::testing {
extern const distributed::Communicator* mpi_session;
}
