// Whether an MPI launcher started this process, as one of how many.
#pragma once

namespace simdgrad::distributed {

// The process count an MPI launcher announced in the environment (mpiexec sets
// OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_SIZE), or 0 if none did.
int launched_processes();

}  // namespace simdgrad::distributed
