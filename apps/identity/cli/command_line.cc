#include "apps/identity/cli/command_line.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "apps/identity/cli/flags.h"
#include "simdgrad/build_info.h"

namespace simdgrad::identity::cli {
namespace {

const std::vector<std::string> kCommands = {"train", "study", "eval", "gradcheck"};
const std::string kCommandList = one_of(kCommands);  // "train, study, eval or gradcheck"

void add_model_flags(CLI::App& cmd, TrainConfig& c) {
  cmd.add_option("--layers", c.layers, "Dense layers (default 4)")->check(whole_number(1, 64));
  cmd.add_option("--width", c.width, "hidden units per layer (default 784)")
      ->check(whole_number(1, 65536));
  cmd.add_option("--init", c.init, "initial weights: glorot (default), he or identity")
      ->transform(choice<autograd::Initializer>({{"glorot", autograd::Initializer::kGlorotUniform},
                                                 {"he", autograd::Initializer::kHeNormal},
                                                 {"identity", autograd::Initializer::kIdentity}}));
  cmd.add_option(
         "--bias-init", c.bias_init,
         "zero (default) or active: each ReLU output unit starts active on every one of the first "
         "1,000 training images")
      ->transform(choice<BiasInit>({{"zero", BiasInit::kZero}, {"active", BiasInit::kActive}}));
  cmd.add_option("--output-activation", c.output_activation, "relu (default) or linear")
      ->transform(choice<Activation>({{"relu", Activation::kRelu}, {"linear", Activation::kNone}}));
  cmd.add_option("--seed", c.seed, "random seed: initial weights and shuffling (default 1)")
      ->check(seed_number());
}

void add_recipe_flags(CLI::App& cmd, TrainConfig& c) {
  cmd.add_option("--epochs", c.epochs, "epochs to train in total (default 20)")
      ->check(whole_number(1, 100000));
  cmd.add_option("--batch", c.batch, "batch size (default 128)")->check(whole_number(1, 65536));
  cmd.add_option("--optimizer", c.optimizer, "rmsprop (default), adam or sgd")
      ->transform(choice<OptimizerKind>({{"rmsprop", OptimizerKind::kRmsprop},
                                         {"adam", OptimizerKind::kAdam},
                                         {"sgd", OptimizerKind::kSgd}}));
  cmd.add_option("--lr", c.lr, "learning rate (default: Keras' for the optimizer)")
      ->check(positive_number());
  cmd.add_option("--schedule", c.schedule,
                 "learning rate over the run: constant (default) or cosine (down to 0 at the end)")
      ->transform(choice<autograd::ScheduleShape>({{"constant", autograd::ScheduleShape::kConstant},
                                                   {"cosine", autograd::ScheduleShape::kCosine}}));
  cmd.add_option(
         "--warmup", c.warmup_epochs,
         "epochs of linear learning-rate warm-up, at most --epochs (default 0; may be fractional)")
      ->check(real_number(0, 100000));
  cmd.add_option("--scale", c.scale, "raw (0..255, default) or unit (0..1) pixels")
      ->transform(choice<PixelScale>({{"raw", PixelScale::kRaw}, {"unit", PixelScale::kUnit}}));
  cmd.add_option(
         "--precondition", c.precondition,
         "input preconditioning fitted on the training images: none (default), center or whiten")
      ->transform(choice<Precondition>({{"none", Precondition::kNone},
                                        {"center", Precondition::kCenter},
                                        {"whiten", Precondition::kWhiten}}));
  cmd.add_option("--limit", c.limit, "train on the first N images only")
      ->check(whole_number(1, 100000000));
}

void add_run_flags(CLI::App& cmd, TrainOptions& o) {
  cmd.add_option("--data", o.config.data,
                 "folder of MNIST-format IDX files, raw or .gz (default data/mnist)");
  cmd.add_option("--out", o.out, "output folder (default runs/<date-time>)");
  cmd.add_option("--resume", o.resume, "continue from this checkpoint (model.safetensors)")
      ->check(CLI::ExistingFile);
  cmd.add_option(
         "--update", o.parallel.update,
         "under mpiexec: shared (default; each process updates its share of every parameter, then "
         "all gather the result) or replicated (every process updates every parameter from the "
         "whole gradient sums)")
      ->transform(choice<distributed::Update>({{"shared", distributed::Update::kShared},
                                               {"replicated", distributed::Update::kReplicated}}));
  cmd.add_option(
         "--exchange", o.parallel.exchange,
         "under mpiexec with --update shared: how gradient shares and updated values travel: "
         "auto (default; shared-memory when every process runs on this machine, else "
         "messages), shared-memory or messages")
      ->transform(
          choice<distributed::Exchange>({{"auto", distributed::Exchange::kAuto},
                                         {"shared-memory", distributed::Exchange::kSharedMemory},
                                         {"messages", distributed::Exchange::kMessages}}));
  cmd.add_option("--peer-timeout", o.peer_timeout_seconds,
                 "under mpiexec: seconds a process waits for another (a stopped or hung peer) "
                 "before it ends the run with exit code 4 (default 120)")
      ->check(positive_number());
  cmd.add_flag("--verbose", o.verbose, "per-layer diagnostics after each epoch");
  cmd.add_flag("--check-numerics", o.check_numerics,
               "check every layer's activations and gradients each step; name the first "
               "non-finite one and exit 3");
}

void add_threads_flag(CLI::App& cmd, int& threads) {
  cmd.add_option("--threads", threads, "threads (default: OMP_NUM_THREADS, else all cores)")
      ->check(whole_number(1, 1024));
}

CLI::App* add_study_command(CLI::App& app, CommandLine& line) {
  StudyOptions& study = line.study;
  CLI::App* cmd =
      app.add_subcommand("study", "run the experiments and write docs/identity-study.md");
  cmd->add_flag("--quick", study.quick,
                "5,000 images, 3 epochs, one seed per recipe: a smoke run (about 2 minutes)");
  cmd->add_option("--data", study.data, "folder of MNIST-format IDX files (default data/mnist)");
  cmd->add_option("--out", study.out,
                  "where the report goes (default docs/, quick: runs/study-quick/)");
  cmd->add_option("--seed", study.seed, "random seed (default 1)")->check(seed_number());
  add_threads_flag(*cmd, line.threads);
  return cmd;
}

CLI::App* add_eval_command(CLI::App& app, CommandLine& line) {
  CLI::App* cmd = app.add_subcommand("eval", "test loss and MAPE of a checkpoint");
  cmd->add_option("checkpoint", line.eval.checkpoint, "model.safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", line.eval.data,
                  "folder of MNIST-format IDX files (default: the training run's)");
  cmd->add_option("--out", line.eval.out, "write reconstructions.png here");
  add_threads_flag(*cmd, line.threads);
  return cmd;
}

CLI::App* add_gradcheck_command(CLI::App& app, CommandLine& line) {
  GradcheckCommandOptions& o = line.gradcheck;
  CLI::App* cmd =
      app.add_subcommand("gradcheck", "check the model's gradients by finite differences");
  cmd->add_option("--layers", o.layers, "Dense layers (default 4)")->check(whole_number(1, 16));
  cmd->add_option("--width", o.width, "units per layer (default 8)")->check(whole_number(1, 64));
  cmd->add_option("--seed", o.seed, "random seed (default 1)")->check(seed_number());
  cmd->add_option("--output-activation", o.output_activation, "relu (default) or linear")
      ->transform(choice<Activation>({{"relu", Activation::kRelu}, {"linear", Activation::kNone}}));
  return cmd;
}

// The first word that is not a flag must name a command; CLI11 would only say that one is
// required.
void check_command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    for (const std::string& command : kCommands) {
      if (argv[i] == command) return;
    }
    throw UsageError(std::string("unknown command '") + argv[i] + "': the commands are " +
                     kCommandList);
  }
}

// With --resume the architecture and recipe come from the checkpoint; saying them again would
// be ignored silently, so it is an error. (How the flags of a new run combine, --warmup within
// --epochs, is the configuration's own check: validate() in training/config.cc.)
void forbid_with_resume(const CLI::App& cmd) {
  for (const char* name :
       {"--layers", "--width", "--batch", "--optimizer", "--lr", "--scale", "--init", "--bias-init",
        "--output-activation", "--schedule", "--warmup", "--precondition", "--seed", "--limit"}) {
    if (cmd.count(name) > 0) {
      throw UsageError(
          std::string(name) +
          " cannot be combined with --resume: the checkpoint holds the run's configuration");
    }
  }
}

// One line for a parse error, naming the flag or word at fault.
std::string usage_line(const CLI::ParseError& e) {
  const std::string what = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    return "unknown flag or argument: " + what.substr(what.find(": ") + 2);
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
    return what.substr(0, what.find(':')) + ": needs a value";
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) && what.find("subcommand") != std::string::npos) {
    return std::string("say which command: ") + kCommandList;
  }
  return what;
}

}  // namespace

std::optional<CommandLine> parse_command_line(int argc, char** argv) {
  CommandLine line;
  CLI::App app{
      "identity: train an MLP to reproduce MNIST images, as in the Keras experiment, "
      "and measure why it is hard"};
  // The library's build report: version, compiler, Highway, OpenMP, SIMD targets, threads.
  app.set_version_flag("--version", [] {
    std::string report = to_string(build_info());
    report.pop_back();  // CLI11 ends the line itself
    return report;
  });
  app.require_subcommand(1);
  CLI::App* train = app.add_subcommand("train", "train with the original recipe (or flags)");
  add_model_flags(*train, line.train.config);
  add_recipe_flags(*train, line.train.config);
  add_run_flags(*train, line.train);
  add_threads_flag(*train, line.threads);
  const CLI::App* study = add_study_command(app, line);
  const CLI::App* eval = add_eval_command(app, line);
  add_gradcheck_command(app, line);
  try {
    check_command_word(argc, argv);
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help or --version, printed by app.exit
    app.exit(e);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    throw UsageError(usage_line(e));
  }
  line.command = *train   ? Command::kTrain
                 : *study ? Command::kStudy
                 : *eval  ? Command::kEval
                          : Command::kGradcheck;
  if (*train && !line.train.resume.empty()) forbid_with_resume(*train);
  if (line.train.parallel.update == distributed::Update::kReplicated &&
      line.train.parallel.exchange == distributed::Exchange::kSharedMemory) {
    throw UsageError(
        "--exchange shared-memory needs --update shared (replicated updates sum whole gradients "
        "with messages)");
  }
  line.train.epochs_given = train->count("--epochs") > 0;
  line.train.data_given = train->count("--data") > 0;
  return line;
}

}  // namespace simdgrad::identity::cli
