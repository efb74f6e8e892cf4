// A process of a data-parallel run that fails in the middle of a step, after publishing half
// its buckets, by throwing or on finding a NaN, with either exchange: the whole run ends within
// seconds (not at the peer timeout), with the exit code of the fault and one line naming the
// process, and the checkpoint on disk is byte for byte a whole step's: the last one's, or the
// one before when the abort ends the first process while it saves the last. Runs
// distributed_fault_program under mpiexec, 3 processes, the last one failing.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>

#include "tests/support/idx_files.h"
#include "tests/support/run_captured.h"

namespace simdgrad::testing {
namespace {

struct Timed {
  CliResult result;
  double seconds;
};

Timed run_program(const std::string& fault, const std::string& exchange, int steps,
                  const std::filesystem::path& checkpoint) {
  const std::string command =
      "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 " +
      std::string(MPIEXEC_BINARY) + " --oversubscribe --bind-to none -n 3 " + FAULT_PROGRAM + " " +
      fault + " " + exchange + " " + std::to_string(steps) + " " + checkpoint.string();
  const auto start = std::chrono::steady_clock::now();
  CliResult result = run_captured(command);
  return {result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

}  // namespace

TEST_CASE("a process failing mid-step ends the run at once, named, the checkpoint untouched",
          "[mpi]") {
  for (const std::string exchange : {"shared-memory", "messages"}) {
    const auto folder = fresh_folder("fault-injection-" + exchange);
    // The run that never failed, stopped after the 30 steps the failing runs complete, and
    // after 29: the failing process enters step 31 as soon as step 30's values are gathered,
    // while the first process may still be saving step 30's checkpoint, and the abort can end
    // it before the rename. Either way the file on disk is one whole step's.
    const auto reference = folder / "reference", before_last = folder / "reference-29";
    for (const auto& [steps, file] : {std::pair{30, reference}, std::pair{29, before_last}}) {
      const Timed whole = run_program("none", exchange, steps, file);
      INFO(whole.result.out << whole.result.err);
      REQUIRE(whole.result.exit_code == 0);
      REQUIRE(read_text(file).rfind("step " + std::to_string(steps) + "\n", 0) == 0);
    }
    struct Fault {
      std::string name, line;
      int exit_code;
    };
    for (const Fault& fault :
         {Fault{"throw", "rank 2 of 3: an injected fault in step 31, bucket 3 of 4", 1},
          Fault{"nan", "rank 2 of 3: numerical fault: the gradient of p2 is not finite in step 31",
                3}}) {
      DYNAMIC_SECTION(exchange << ", " << fault.name) {
        const auto checkpoint = folder / fault.name;
        const Timed failed = run_program(fault.name, exchange, 100, checkpoint);
        INFO(failed.result.out << failed.result.err);
        REQUIRE(failed.result.exit_code == fault.exit_code);
        REQUIRE(failed.result.err.find(fault.line) != std::string::npos);
        REQUIRE(failed.result.err.find("rank 0 of 3:") == std::string::npos);
        REQUIRE(failed.result.err.find("rank 1 of 3:") == std::string::npos);
        // The peers wait up to 120 s (the default peer timeout): the abort ended them.
        REQUIRE(failed.seconds < 10);
        const std::string saved = read_text(checkpoint);
        REQUIRE((saved == read_text(reference) || saved == read_text(before_last)));
        REQUIRE_FALSE(std::filesystem::exists(checkpoint.string() + ".partial"));
      }
    }
  }
}

}  // namespace simdgrad::testing
