// identity: the MNIST identity experiment (train, study, eval, gradcheck).
// Exit codes: 0 done, 1 internal failure, 2 bad input (flags, data, checkpoint),
// 3 numerical fault (non-finite loss), 130/143 interrupted by SIGINT/SIGTERM.
// Under mpiexec, `train` runs on every process as one data-parallel run.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "apps/identity/commands.h"
#include "simdgrad/build_info.h"
#include "simdgrad/threading.h"

namespace {

using namespace simdgrad;
using namespace simdgrad::identity;

// A finite, positive real number (CLI11's PositiveNumber accepts inf).
const CLI::Validator kFinitePositive(
    [](std::string& text) {
      try {
        size_t used = 0;
        const double v = std::stod(text, &used);
        if (used == text.size() && std::isfinite(v) && v > 0) return std::string();
      } catch (const std::exception&) {
      }
      return "must be a finite positive number, got '" + text + "'";
    },
    "POSITIVE");

template <class E>
CLI::CheckedTransformer choice(const std::map<std::string, E>& names) {
  return CLI::CheckedTransformer(names, CLI::ignore_case);
}

void add_train_options(CLI::App& cmd, TrainOptions& o, int& threads) {
  TrainConfig& c = o.config;
  cmd.add_option("--layers", c.layers, "Dense layers (default 4)")->check(CLI::Range(1, 64));
  cmd.add_option("--width", c.width, "hidden units per layer (default 784)")->check(CLI::Range(1, 65536));
  cmd.add_option("--epochs", c.epochs, "epochs to train in total (default 20)")->check(CLI::Range(1, 100000));
  cmd.add_option("--batch", c.batch, "batch size (default 128)")->check(CLI::Range(1, 65536));
  cmd.add_option("--optimizer", c.optimizer, "rmsprop (default), adam or sgd")
      ->transform(choice<OptimizerKind>({{"rmsprop", OptimizerKind::kRmsprop},
                                         {"adam", OptimizerKind::kAdam},
                                         {"sgd", OptimizerKind::kSgd}}));
  cmd.add_option("--lr", c.lr, "learning rate (default: Keras' for the optimizer)")->check(kFinitePositive);
  cmd.add_option("--scale", c.scale, "raw (0..255, default) or unit (0..1) pixels")
      ->transform(choice<PixelScale>({{"raw", PixelScale::kRaw}, {"unit", PixelScale::kUnit}}));
  cmd.add_option("--init", c.init, "glorot (default), he or identity")
      ->transform(choice<autograd::Initializer>({{"glorot", autograd::Initializer::kGlorotUniform},
                                                 {"he", autograd::Initializer::kHeNormal},
                                                 {"identity", autograd::Initializer::kIdentity}}));
  cmd.add_option("--bias-init", c.bias_init,
                 "zero (default) or active: each ReLU output unit starts active on every one of the first 1,000 training images")
      ->transform(choice<BiasInit>({{"zero", BiasInit::kZero}, {"active", BiasInit::kActive}}));
  cmd.add_option("--output-activation", c.output_activation, "relu (default) or linear")
      ->transform(choice<Activation>({{"relu", Activation::kRelu}, {"linear", Activation::kNone}}));
  cmd.add_option("--schedule", c.schedule, "learning rate over the run: constant (default) or cosine (down to 0 at the end)")
      ->transform(choice<autograd::ScheduleShape>({{"constant", autograd::ScheduleShape::kConstant},
                                                   {"cosine", autograd::ScheduleShape::kCosine}}));
  cmd.add_option("--warmup", c.warmup_epochs, "epochs of linear learning-rate warm-up (default 0; may be fractional)")
      ->check(CLI::Range(0.0, 100000.0));
  cmd.add_option("--precondition", c.precondition,
                 "input preconditioning fitted on the training images: none (default), center or whiten")
      ->transform(choice<Precondition>({{"none", Precondition::kNone},
                                        {"center", Precondition::kCenter},
                                        {"whiten", Precondition::kWhiten}}));
  cmd.add_option("--threads", threads, "threads (default: OMP_NUM_THREADS, else all cores)")
      ->check(CLI::Range(1, 1024));
  cmd.add_option("--seed", c.seed, "random seed: initial weights and shuffling (default 1)");
  cmd.add_option("--limit", c.limit, "train on the first N images only")->check(CLI::Range(1, 100000000));
  cmd.add_option("--data", c.data, "folder of MNIST-format IDX files, raw or .gz (default data/mnist)");
  cmd.add_option("--out", o.out, "output folder (default runs/<date-time>)");
  cmd.add_option("--resume", o.resume, "continue from this checkpoint (model.safetensors)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--update", o.update,
                 "under mpiexec: shared (default; each process updates its share of every parameter, then "
                 "all gather the result) or replicated (every process updates every parameter from the "
                 "whole gradient sums)")
      ->transform(choice<Update>({{"shared", Update::kShared}, {"replicated", Update::kReplicated}}));
  cmd.add_option("--exchange", o.exchange,
                 "under mpiexec with --update shared: how gradient shares and updated values travel: "
                 "auto (default; shared-memory when every process runs on this machine, else "
                 "messages), shared-memory or messages")
      ->transform(choice<Exchange>({{"auto", Exchange::kAuto},
                                    {"shared-memory", Exchange::kSharedMemory},
                                    {"messages", Exchange::kMessages}}));
  cmd.add_flag("--verbose", o.verbose, "per-layer diagnostics after each epoch");
  cmd.add_flag("--check-numerics", o.check_numerics,
               "check every layer's activations and gradients each step; name the first "
               "non-finite one and exit 3");
}

// With --resume the architecture and recipe come from the checkpoint; saying them again
// would be ignored silently, so it is an error.
void forbid_with_resume(const CLI::App& cmd) {
  for (const char* name : {"--layers", "--width", "--batch", "--optimizer", "--lr", "--scale",
                           "--init", "--bias-init", "--output-activation", "--schedule", "--warmup", "--precondition",
                           "--seed", "--limit"}) {
    if (cmd.count(name) > 0) {
      throw CLI::ValidationError(std::string(name) +
                                 " cannot be combined with --resume: the checkpoint holds the "
                                 "run's configuration");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"identity: train an MLP to reproduce MNIST images, as in the Keras experiment, "
               "and measure why it is hard"};
  // The library's build report: version, compiler, Highway, OpenMP, SIMD targets, threads.
  app.set_version_flag("--version", [] {
    std::string report = to_string(build_info());
    report.pop_back();  // CLI11 ends the line itself
    return report;
  });
  app.require_subcommand(1);

  TrainOptions train;
  int threads = 0;
  CLI::App* train_cmd = app.add_subcommand("train", "train with the original recipe (or flags)");
  add_train_options(*train_cmd, train, threads);

  StudyOptions study;
  CLI::App* study_cmd = app.add_subcommand("study", "run the experiments and write docs/identity-study.md");
  study_cmd->add_flag("--quick", study.quick, "5,000 images, 3 epochs, one seed per recipe: a smoke run (about 2 minutes)");
  study_cmd->add_option("--data", study.data, "folder of MNIST-format IDX files (default data/mnist)");
  study_cmd->add_option("--out", study.out, "where the report goes (default docs/, quick: runs/study-quick/)");
  study_cmd->add_option("--seed", study.seed, "random seed (default 1)");
  study_cmd->add_option("--threads", threads, "threads")->check(CLI::Range(1, 1024));

  EvalOptions eval;
  CLI::App* eval_cmd = app.add_subcommand("eval", "test loss and MAPE of a checkpoint");
  eval_cmd->add_option("checkpoint", eval.checkpoint, "model.safetensors")->required()->check(CLI::ExistingFile);
  eval_cmd->add_option("--data", eval.data, "folder of MNIST-format IDX files (default: the training run's)");
  eval_cmd->add_option("--out", eval.out, "write reconstructions.png here");
  eval_cmd->add_option("--threads", threads, "threads")->check(CLI::Range(1, 1024));

  GradcheckCommandOptions gradcheck;
  CLI::App* gradcheck_cmd = app.add_subcommand("gradcheck", "check the model's gradients by finite differences");
  gradcheck_cmd->add_option("--layers", gradcheck.layers, "Dense layers (default 4)")->check(CLI::Range(1, 16));
  gradcheck_cmd->add_option("--width", gradcheck.width, "units per layer (default 8)")->check(CLI::Range(1, 64));
  gradcheck_cmd->add_option("--seed", gradcheck.seed, "random seed (default 1)");
  gradcheck_cmd->add_option("--output-activation", gradcheck.output_activation, "relu (default) or linear")
      ->transform(choice<Activation>({{"relu", Activation::kRelu}, {"linear", Activation::kNone}}));

  try {
    app.parse(argc, argv);
    if (!train.resume.empty()) forbid_with_resume(*train_cmd);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "identity: %s (see identity --help)\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {  // --version with a bad SIMDGRAD_TARGET
    std::fprintf(stderr, "identity: %s\n", e.what());
    return 2;
  }

  std::unique_ptr<ProcessGroup> group;
  // In a run of several processes a failure in one ends them all, naming the process.
  auto fail = [&](int code, const std::string& message) {
    if (group && group->size() > 1) group->abort(code, message);
    std::fprintf(stderr, "identity: %s\n", message.c_str());
    return code;
  };
  try {
    // A bad SIMDGRAD_TARGET is reported before anything is read or written.
    active_target();
    if (threads > 0) set_num_threads(threads);
    group = join_process_group(&argc, &argv, train.update, train.exchange);
    if (group->size() > 1 && !*train_cmd) {
      if (group->leads()) std::fprintf(stderr, "identity: only 'train' runs on several processes\n");
      return 2;
    }
    if (*train_cmd) {
      train.epochs_given = train_cmd->count("--epochs") > 0;
      train.data_given = train_cmd->count("--data") > 0;
      return run_train(train, *group);
    }
    if (*study_cmd) return run_study(study);
    if (*eval_cmd) return run_eval(eval);
    if (*gradcheck_cmd) return run_gradcheck(gradcheck);
  } catch (const std::invalid_argument& e) {
    return fail(2, e.what());
  } catch (const std::runtime_error& e) {
    // Bad data, checkpoints or output folders: the message names the file and what is wrong.
    return fail(2, e.what());
  } catch (const std::exception& e) {
    return fail(1, std::string("internal error: ") + e.what());
  }
  return 1;
}
