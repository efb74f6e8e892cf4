// The identity binary end to end: its files, eval of its checkpoint, resume, gradcheck, and
// bad flags or values (exit 2, one line on stderr).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "simdgrad/build_info.h"
#include "tests/apps/identity/real_mnist.h"
#include "tests/support/idx_files.h"
#include "tests/support/run_captured.h"
#include "tests/support/target_names.h"

namespace simdgrad::testing {
namespace {

using Result = CliResult;

// Runs the identity binary with `args` (a shell-quoted string) and `environment` (NAME=value
// assignments, or nothing) and captures both streams.
Result identity_cli_with_environment(const std::string& environment, const std::string& args) {
  return run_captured(environment + " " + std::string(IDENTITY_BINARY) + " " + args);
}

Result identity_cli(const std::string& args) { return identity_cli_with_environment("", args); }

size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("identity train writes its files and eval reproduces its test loss", "[app]") {
  real_mnist();  // fails with a hint when the data is missing
  const auto out = fresh_folder("cli-train");
  const Result train = identity_cli("train --limit 1000 --epochs 1 --threads 2 --data " +
                                    kMnistFolder.string() + " --out " + out.string());
  INFO(train.out << train.err);
  REQUIRE(train.exit_code == 0);
  REQUIRE(train.out.find("Epoch 1/1 - ") != std::string::npos);
  REQUIRE(train.out.find("Test loss: ") != std::string::npos);
  for (const char* file :
       {"metrics.csv", "run.json", "model.safetensors", "reconstructions.png", "loss.svg"}) {
    REQUIRE(std::filesystem::file_size(out / file) > 0);
  }
  std::ifstream csv(out / "metrics.csv");
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  REQUIRE(header.rfind("epoch,loss,val_loss,mape,val_mape,seconds,samples_per_s", 0) == 0);
  REQUIRE(row.rfind("1,", 0) == 0);

  const std::string test_loss = train.out.substr(train.out.find("Test loss: "));
  const Result eval = identity_cli("eval " + (out / "model.safetensors").string());
  INFO(eval.out << eval.err);
  REQUIRE(eval.exit_code == 0);
  REQUIRE(eval.out.find(test_loss.substr(0, test_loss.find('\n'))) != std::string::npos);

  // A damaged copy of the checkpoint (one bit of the last weight flipped) is refused by eval
  // and by --resume with one line and exit 2.
  std::string bytes;
  {
    std::ifstream in(out / "model.safetensors", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() - 1] ^= 0x40;
  const auto damaged = fresh_folder("cli-damaged-checkpoint") / "model.safetensors";
  write_raw(damaged, bytes);
  for (const std::string command : {"eval ", "train --epochs 2 --resume "}) {
    const Result refused = identity_cli(command + damaged.string());
    INFO(command << ": " << refused.err);
    REQUIRE(refused.exit_code == 2);
    REQUIRE(lines(refused.err) == 1);
    REQUIRE(refused.err.find(damaged.string() + ": not a valid checkpoint: checksum mismatch") !=
            std::string::npos);
  }

  const Result resumed = identity_cli("train --resume " + (out / "model.safetensors").string() +
                                      " --epochs 2 --out " + out.string());
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  REQUIRE(resumed.out.find("Epoch 2/2 - ") != std::string::npos);
  REQUIRE(resumed.out.find("Epoch 1/2") == std::string::npos);
}

TEST_CASE("a diverging run exits 3 naming the loss, or with --check-numerics the first tensor",
          "[app]") {
  real_mnist();
  const auto out = fresh_folder("cli-diverging");
  // RMSprop moves every weight by about lr per step: 1e30 overflows the second step's forward.
  const std::string run = "train --limit 1000 --epochs 1 --lr 1e30 --threads 2 --data " +
                          kMnistFolder.string() + " --out " + out.string();
  const Result plain = identity_cli(run);
  INFO(plain.err);
  REQUIRE(plain.exit_code == 3);
  REQUIRE(lines(plain.err) == 1);
  REQUIRE(plain.err.find("identity: numerical fault: the loss became ") == 0);
  REQUIRE(plain.err.find(" in epoch 1, step 2; ") != std::string::npos);
  const Result checked = identity_cli(run + " --check-numerics");
  INFO(checked.err);
  REQUIRE(checked.exit_code == 3);
  REQUIRE(lines(checked.err) == 1);
  REQUIRE(checked.err.find("identity: numerical fault: the activations of dense_") == 0);
  REQUIRE(checked.err.find(" in epoch 1, step 2; ") != std::string::npos);
  // The checkpoint of epoch 0 stays whole and loadable.
  const Result eval = identity_cli("eval " + (out / "model.safetensors").string());
  INFO(eval.err);
  REQUIRE(eval.exit_code == 0);
}

TEST_CASE("identity study --quick writes the report, its figures and every section", "[app]") {
  real_mnist();
  const auto out = fresh_folder("cli-study-quick");
  const Result r = identity_cli("study --quick --threads 2 --data " + kMnistFolder.string() +
                                " --out " + out.string());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::stringstream report;
  report << std::ifstream(out / "identity-study.md").rdbuf();
  const std::string md = report.str();
  for (const char* part :
       {"**Quick mode", "| 1. original | 4 layers (Keras recipe) |",
        "## Conditioning and the floor", "| condition number on the non-null part |",
        "| pixels 0 in every training image | 67 |", "**Predicted against measured.**",
        "## What RMSprop's and Adam's per-weight scaling does and does not fix",
        "| 1 layer, centered, Adam + cosine |", "## Dead units: when, where, and what they cost",
        "| an initialization: active output biases |", "## What stops four layers",
        "| centered inputs + cosine, 4 layers, seed 1 |", "## A way out from a random start",
        "| whitened inputs + cosine |", "## The answer: what to look at, and in what order"}) {
    INFO(part);
    REQUIRE(md.find(part) != std::string::npos);
  }
  for (const char* figure :
       {"identity-study-val-loss.svg", "identity-study-original.svg", "identity-study-spectrum.svg",
        "identity-study-gradient-descent.svg", "identity-study-dead-units.svg",
        "identity-study-recipes-1-layer.svg", "identity-study-recipes-4-layers.svg"}) {
    INFO(figure);
    REQUIRE(std::filesystem::file_size(out / "figures" / figure) > 1000);
  }
  REQUIRE(std::filesystem::file_size(out / "identity-study-epochs.csv") > 0);
}

TEST_CASE("identity gradcheck passes on the app's own model", "[app]") {
  const Result r = identity_cli("gradcheck");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("\nPASS\n") != std::string::npos);
  REQUIRE(r.out.find("dense_3.weight") != std::string::npos);
}

TEST_CASE(
    "a preconditioned, scheduled run names its recipe, and eval reproduces it from the "
    "checkpoint alone",
    "[app]") {
  real_mnist();
  const auto out = fresh_folder("cli-train-recipe");
  const Result train = identity_cli(
      "train --limit 1000 --epochs 2 --layers 1 --threads 2 --precondition whiten "
      "--scale unit --schedule cosine --warmup 0.5 --bias-init active --data " +
      kMnistFolder.string() + " --out " + out.string());
  INFO(train.out << train.err);
  REQUIRE(train.exit_code == 0);
  REQUIRE(train.out.find(
              "glorot init, cosine schedule, 0.5 epochs of warm-up, inputs whitened, active output "
              "biases, seed 1") != std::string::npos);
  std::stringstream run;
  run << std::ifstream(out / "run.json").rdbuf();
  for (const char* field : {"\"precondition\": \"whiten\"", "\"schedule\": \"cosine\"",
                            "\"warmup_epochs\": 0.5", "\"bias_init\": \"active\""}) {
    INFO(field);
    REQUIRE(run.str().find(field) != std::string::npos);
  }
  // eval rebuilds the model from the checkpoint: the transform comes from it, not from a refit.
  const std::string test_loss = train.out.substr(train.out.find("Test loss: "));
  const Result eval = identity_cli("eval " + (out / "model.safetensors").string());
  INFO(eval.out << eval.err);
  REQUIRE(eval.exit_code == 0);
  REQUIRE(eval.out.find(test_loss.substr(0, test_loss.find('\n'))) != std::string::npos);
}

TEST_CASE("bad flags and values exit 2 with one line naming the flag and what is allowed",
          "[app]") {
  struct Bad {
    const char* args;
    const char* says;  // the line must contain this
  };
  const Bad bad[] = {
      {"frobnicate",
       "unknown command 'frobnicate': the commands are train, study, eval or gradcheck"},
      {"", "say which command: train, study, eval or gradcheck"},
      {"train --epochs 0", "--epochs: must be from 1 to 100000, got 0"},
      {"train --epochs", "--epochs: needs a value"},
      {"train --batch 12x", "--batch: not a number: '12x'"},
      {"train --batch 1.5", "--batch: not a whole number: '1.5'"},
      {"train --lr -1", "--lr: must be a finite number above 0, got -1"},
      {"train --lr nan", "--lr: not a number: 'nan'"},
      {"train --lr inf", "--lr: must be a finite number above 0, got inf"},
      {"train --optimizer adagrad", "--optimizer: 'adagrad' is not one of rmsprop, adam or sgd"},
      {"train --schedule step", "--schedule: 'step' is not one of constant or cosine"},
      {"train --precondition zca", "--precondition: 'zca' is not one of none, center or whiten"},
      {"train --bias-init one", "--bias-init: 'one' is not one of zero or active"},
      {"train --exchange carrier-pigeon",
       "--exchange: 'carrier-pigeon' is not one of auto, shared-memory or messages"},
      {"train --update replicated --exchange shared-memory",
       "--exchange shared-memory needs --update shared"},
      {"train --warmup 30", "--warmup: must be at most the run's 20 epochs (--epochs), got 30"},
      {"train --epochs 3 --warmup 3.5",
       "--warmup: must be at most the run's 3 epochs (--epochs), got 3.5"},
      {"train --warmup -1", "--warmup: must be from 0 to 100000, got -1"},
      {"train --warmup nan", "--warmup: not a number: 'nan'"},
      {"train --seed -1", "--seed: must be from 0 to 18446744073709551615, got -1"},
      {"train --seed 18446744073709551616", "--seed: must be from 0 to 18446744073709551615"},
      {"study --seed x", "--seed: not a number: 'x'"},
      {"train --threads 0", "--threads: must be from 1 to 1024, got 0"},
      {"gradcheck --width 100", "--width: must be from 1 to 64, got 100"},
      {"gradcheck --output-activation tanh",
       "--output-activation: 'tanh' is not one of relu or linear"},
      {"train --no-such-flag", "unknown flag or argument: --no-such-flag"},
      {"train --data /nonexistent/folder", "/nonexistent/folder"},
      {"train --resume /nonexistent.safetensors", "--resume: File does not exist"},
      {"eval /nonexistent.safetensors", "checkpoint: File does not exist"},
  };
  for (const Bad& b : bad) {
    const Result r = identity_cli(b.args);
    INFO(b.args << " -> exit " << r.exit_code << ", stderr: " << r.err);
    REQUIRE(r.exit_code == 2);
    REQUIRE(lines(r.err) == 1);
    REQUIRE(r.err.rfind("identity: ", 0) == 0);
    REQUIRE(r.err.find(b.says) != std::string::npos);
  }
  // A name is taken in any case, and a seed may be any 64-bit value.
  const Result good = identity_cli(
      "gradcheck --layers 1 --width 2 --seed 18446744073709551615 --output-activation LINEAR");
  INFO(good.err);
  REQUIRE(good.exit_code == 0);
}

TEST_CASE("identity --version prints the library's build report", "[app]") {
  const Result r = identity_cli("--version");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out == to_string(build_info()));
}

TEST_CASE("an unknown SIMDGRAD_TARGET exits 2 before anything is written", "[app]") {
  const auto out = fresh_folder("cli-bad-target");
  const std::string foreign = kForeignTarget;  // an aarch64 target on x86, and the reverse
  const Result r = identity_cli_with_environment(
      "SIMDGRAD_TARGET=" + foreign, "train --epochs 1 --out " + (out / "run").string());
  INFO(r.err);
  REQUIRE(r.exit_code == 2);
  REQUIRE(lines(r.err) == 1);
  REQUIRE(r.err.rfind(
              "identity: SIMDGRAD_TARGET=" + foreign + ": unknown or unsupported SIMD target", 0) ==
          0);
  REQUIRE_FALSE(std::filesystem::exists(out / "run"));
  std::string always = kAlwaysRunnableTarget;
  const Result pinned = identity_cli_with_environment("SIMDGRAD_TARGET=" + always, "--version");
  REQUIRE(pinned.exit_code == 0);
  REQUIRE(pinned.out.find("SIMD target in use:    " + always + ", pinned by SIMDGRAD_TARGET\n") !=
          std::string::npos);
}

TEST_CASE("a damaged checkpoint given to --resume exits 2 naming the file", "[app]") {
  const auto folder = fresh_folder("cli-bad-checkpoint");
  write_raw(folder / "model.safetensors", "not a checkpoint at all");
  const Result r = identity_cli("train --resume " + (folder / "model.safetensors").string());
  INFO(r.err);
  REQUIRE(r.exit_code == 2);
  REQUIRE(lines(r.err) == 1);
  REQUIRE(r.err.find((folder / "model.safetensors").string() + ": not a valid checkpoint") !=
          std::string::npos);
  const Result with_layers =
      identity_cli("train --resume " + (folder / "model.safetensors").string() + " --layers 2");
  REQUIRE(with_layers.exit_code == 2);
  REQUIRE(with_layers.err.find("--layers cannot be combined with --resume") != std::string::npos);
}

}  // namespace simdgrad::testing

namespace simdgrad::testing {

TEST_CASE("SIGINT stops training at a step boundary with exit 130 and a usable checkpoint",
          "[app]") {
  real_mnist();
  const auto out = fresh_folder("cli-interrupt");
  // Interrupted two seconds in: inside the first epochs of a run that would take a minute.
  const std::string command = "timeout --preserve-status -s INT 2 " + std::string(IDENTITY_BINARY) +
                              " train --epochs 20 --data " + kMnistFolder.string() + " --out " +
                              out.string() + " >/dev/null 2>" + (out / "stderr").string();
  const int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 130);
  std::stringstream err;
  err << std::ifstream(out / "stderr").rdbuf();
  REQUIRE(err.str().find("interrupted by SIGINT") != std::string::npos);
  const Result eval = identity_cli("eval " + (out / "model.safetensors").string());
  INFO(eval.err);
  REQUIRE(eval.exit_code == 0);
}

TEST_CASE("a run killed at any moment leaves a whole checkpoint", "[app]") {
  real_mnist();
  // Short epochs, each ending in a checkpoint write, killed without warning (SIGKILL: no
  // handler runs) at three moments after the first checkpoint appeared: whatever was being
  // written, the checkpoint that is there is complete and passes its checksum.
  for (const char* delay : {"0.3", "0.9", "1.5"}) {
    const auto out = fresh_folder(std::string("cli-killed-") + delay);
    const std::string checkpoint = (out / "model.safetensors").string();
    const std::string script =
        std::string(IDENTITY_BINARY) + " train --limit 1000 --epochs 1000 --threads 2 --data " +
        kMnistFolder.string() + " --out " + out.string() + " >/dev/null 2>&1 & pid=$!; " +
        "while [ ! -f " + checkpoint + " ] && kill -0 $pid 2>/dev/null; do sleep 0.02; done; " +
        "sleep " + delay + "; kill -9 $pid; wait $pid";
    const int status = std::system(script.c_str());
    INFO("killed " << delay << " s after the first checkpoint");
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 128 + 9);  // the shell's status of a child killed by signal 9
    const Result eval = identity_cli("eval " + checkpoint);
    INFO(eval.err);
    REQUIRE(eval.exit_code == 0);
  }
}

}  // namespace simdgrad::testing
