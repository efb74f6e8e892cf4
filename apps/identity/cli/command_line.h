// The identity command line: which subcommand, with which options. Every bad invocation becomes
// one UsageError line that names the word or flag at fault and says what is allowed.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "apps/identity/cli/commands.h"
#include "apps/identity/study/study.h"

namespace simdgrad::identity::cli {

enum class Command { kTrain, kStudy, kEval, kGradcheck };

struct CommandLine {
  Command command = Command::kTrain;
  TrainOptions train;
  StudyOptions study;
  EvalOptions eval;
  GradcheckCommandOptions gradcheck;
  int threads = 0;  // 0: OMP_NUM_THREADS, else all cores
};

// A bad invocation; what() is the line to print (without "identity: ").
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The parsed command line; nothing when help or the version was asked for (printed here, exit
// 0). Throws UsageError.
std::optional<CommandLine> parse_command_line(int argc, char** argv);

}  // namespace simdgrad::identity::cli
