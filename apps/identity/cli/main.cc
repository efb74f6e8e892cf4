// identity: the MNIST identity experiment (train, study, eval, gradcheck).
// Exit codes: 0 done, 1 internal failure, 2 bad input (flags, data, checkpoint),
// 3 numerical fault (non-finite loss), 4 another process did not answer within --peer-timeout,
// 130/143 interrupted by SIGINT/SIGTERM.
// Under mpiexec, `train` runs on every process as one data-parallel run.
#include <cstdio>
#include <memory>

#include "apps/identity/cli/command_line.h"
#include "apps/identity/cli/commands.h"
#include "apps/identity/study/study.h"
#include "simdgrad/distributed/communicator.h"
#include "simdgrad/targets.h"
#include "simdgrad/threading.h"

namespace {

using namespace simdgrad;
using namespace simdgrad::identity;

int run_command(const cli::CommandLine& line, const distributed::Communicator& processes) {
  switch (line.command) {
    case cli::Command::kTrain:
      return run_train(line.train, processes);
    case cli::Command::kStudy:
      return run_study(line.study);
    case cli::Command::kEval:
      return run_eval(line.eval);
    case cli::Command::kGradcheck:
      return run_gradcheck(line.gradcheck);
  }
  return 1;
}

// Runs the command on the processes mpiexec started (or this one alone); in a run of several
// processes a failure in one ends them all, naming the process.
int run_in_processes(const cli::CommandLine& line, int* argc, char*** argv) {
  std::unique_ptr<distributed::Communicator> processes;
  auto fail = [&](int code, const std::string& message) {
    if (processes && processes->size() > 1) processes->abort(code, message);
    std::fprintf(stderr, "identity: %s\n", message.c_str());
    return code;
  };
  try {
    active_target();  // a bad SIMDGRAD_TARGET is reported before anything is read or written
    if (line.threads > 0) set_num_threads(line.threads);
    processes = std::make_unique<distributed::Communicator>(argc, argv);
    processes->set_peer_timeout(line.train.peer_timeout_seconds);
    if (processes->size() > 1 && line.command != cli::Command::kTrain) {
      if (processes->leads())
        std::fprintf(stderr, "identity: only 'train' runs on several processes\n");
      return 2;
    }
    return run_command(line, *processes);
  } catch (const std::exception& e) {
    const int code = exit_code_of(e);
    return fail(code, code == 1 ? std::string("internal error: ") + e.what() : e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<cli::CommandLine> line;
  try {
    line = cli::parse_command_line(argc, argv);
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "identity: %s (see identity --help)\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {  // --version with a bad SIMDGRAD_TARGET
    std::fprintf(stderr, "identity: %s\n", e.what());
    return 2;
  }
  return line ? run_in_processes(*line, &argc, &argv) : 0;
}
