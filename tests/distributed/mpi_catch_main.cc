// Catch2's main for tests that run under mpiexec: every rank runs every test case (collectives
// need all ranks), rank 0 reports, and the job fails if any rank failed. A rank other than the
// first that failed prints its own report on stderr too (REQUIRE_ON_EVERY_RANK makes the ranks
// fail together; a plain REQUIRE may fail on one rank alone). A collective that a rank never
// reaches ends the job within a minute, naming the ranks, instead of at the test's timeout.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tests/distributed/mpi_session.h"

namespace simdgrad::testing {
const distributed::Communicator* mpi_session = nullptr;
}

namespace {

// Where a rank other than the first writes its report: a file of its own, shown if it failed.
std::string report_file(int rank) {
  return "/tmp/simdgrad-mpi-test-report." + std::to_string(getpid()) + "." + std::to_string(rank);
}

void show_report(const std::string& file, int rank) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) std::cerr << "rank " << rank << ": " << line << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  simdgrad::distributed::Communicator communicator(&argc, &argv);
  communicator.set_peer_timeout(60);
  simdgrad::testing::mpi_session = &communicator;
  std::vector<char*> args(argv, argv + argc);
  const int rank = communicator.rank();
  const std::string file = report_file(rank);
  std::string out = "--out=" + file;
  if (rank != 0) args.push_back(out.data());
  const int failed = Catch::Session().run(int(args.size()), args.data());
  if (rank != 0) {
    if (failed > 0) show_report(file, rank);
    std::remove(file.c_str());
  }
  double failures[] = {double(failed)};
  communicator.allreduce_sum(failures);
  return failures[0] > 0 ? 1 : 0;
}
