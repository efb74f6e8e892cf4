// The MPI job as a ProcessGroup: the communicator and the bucketed gradient reducer of
// distributed/, each process updating its share of every parameter. Compiled only where MPI is
// found (SIMDGRAD_IDENTITY_MPI).
#pragma once

#include <memory>

#include "apps/identity/training/process_group.h"

namespace simdgrad::identity {

std::unique_ptr<ProcessGroup> make_mpi_process_group(int* argc, char*** argv, Update update,
                                                     Exchange exchange);

}  // namespace simdgrad::identity
