#include "apps/identity/training/process_group.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#ifdef SIMDGRAD_IDENTITY_MPI
#include "apps/identity/training/mpi_process_group.h"
#endif

namespace simdgrad::identity {
namespace {

// The process count an MPI launcher announced in the environment, or 0 if none did.
int launched_processes() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 0;
}

}  // namespace

void ProcessGroup::abort(int code, const std::string& reason) {
  std::fprintf(stderr, "identity: %s\n", reason.c_str());
  std::exit(code);
}

ProcessGroup& single_process() {
  static ProcessGroup group;
  return group;
}

std::unique_ptr<ProcessGroup> join_process_group(int* argc, char*** argv, Update update,
                                                 Exchange exchange) {
  const int launched = launched_processes();
#ifdef SIMDGRAD_IDENTITY_MPI
  if (launched > 0) return make_mpi_process_group(argc, argv, update, exchange);
#else
  (void)update, (void)exchange;
  if (launched > 1) {
    throw std::runtime_error("launched as one of " + std::to_string(launched) +
                             " processes, but this identity was built without MPI: install "
                             "libopenmpi-dev and openmpi-bin, then rebuild");
  }
#endif
  return std::make_unique<ProcessGroup>();
}

void require_same_everywhere(ProcessGroup& group, uint64_t fingerprint, const std::string& what) {
  if (group.size() == 1) return;
  // In 16-bit pieces, so every sum is exact in a double. The processes agree exactly when, per
  // piece, the sum is size x the piece and the sum of squares size x its square (the pieces'
  // variance over processes is then 0).
  std::array<double, 8> sums{};
  for (int i = 0; i < 4; ++i) {
    const double piece = double((fingerprint >> (16 * i)) & 0xffff);
    sums[i] = piece;
    sums[4 + i] = piece * piece;
  }
  const std::array<double, 8> mine = sums;
  group.sum(sums);
  for (size_t i = 0; i < sums.size(); ++i) {
    if (sums[i] != double(group.size()) * mine[i]) {
      throw std::runtime_error(what +
                               " differ from another process's: every process of a run "
                               "needs the same flags and the same data files");
    }
  }
}

}  // namespace simdgrad::identity
