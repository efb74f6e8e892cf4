// Catch2's main for tests that run under mpiexec: every rank runs every test case (collectives
// need all ranks), rank 0 alone reports, and the job fails if any rank failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <vector>

#include "tests/distributed/mpi_session.h"

namespace simdgrad::testing {
const distributed::Communicator* mpi_session = nullptr;
}

int main(int argc, char** argv) {
  simdgrad::distributed::Communicator communicator(&argc, &argv);
  simdgrad::testing::mpi_session = &communicator;
  std::vector<char*> args(argv, argv + argc);
  char quiet[] = "--out=/dev/null";
  if (communicator.rank() != 0) args.push_back(quiet);
  const int failed = Catch::Session().run(int(args.size()), args.data());
  double failures[] = {double(failed)};
  communicator.allreduce_sum(failures);
  return failures[0] > 0 ? 1 : 0;
}
