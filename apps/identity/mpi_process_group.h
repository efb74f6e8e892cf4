// The MPI job as a ProcessGroup: the communicator and the bucketed gradient all-reducer of
// distributed/. Compiled only where MPI is found (SIMDGRAD_IDENTITY_MPI).
#pragma once

#include <memory>

#include "apps/identity/process_group.h"

namespace simdgrad::identity {

std::unique_ptr<ProcessGroup> make_mpi_process_group(int* argc, char*** argv);

}  // namespace simdgrad::identity
