// identity train under mpiexec, end to end: for a given number of processes the same bits run
// to run and for any thread count, agreement with one process within rounding, files from the
// first process only, checkpoints that resume with another process count, and a failing
// process that ends the run naming itself.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <regex>
#include <set>

#include "apps/identity/files/checkpoint.h"
#include "tests/apps/identity/real_mnist.h"
#include "tests/support/idx_files.h"
#include "tests/support/run_captured.h"

namespace simdgrad::testing {
namespace {

// A small network (784 -> 64 -> 784) on 1,000 images: every step still splits a batch of 128.
const std::string kSmallRun = "--layers 2 --width 64 --limit 1000 --data " + kMnistFolder.string();

// The launcher, allowed to run as root (as CI does), more processes than cores allowed, and no
// binding (two threads of a process must not share one core).
const std::string kLauncher = "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " +
                              std::string(MPIEXEC_BINARY) + " --oversubscribe --bind-to none";

// The launcher's part of a command: `processes` local processes.
std::string mpiexec(int processes) { return kLauncher + " -n " + std::to_string(processes); }

CliResult train(int processes, int threads, const std::string& args) {
  const std::string identity =
      std::string(IDENTITY_BINARY) + " train --threads " + std::to_string(threads) + " " + args;
  return run_captured(processes == 0 ? identity : mpiexec(processes) + " " + identity);
}

identity::Checkpoint checkpoint_in(const std::filesystem::path& folder) {
  return identity::load_checkpoint(folder / "model.safetensors");
}

// Every tensor of the two checkpoints, element by element: the largest difference relative to
// the largest magnitude of the tensor; 0 when all are the same bits.
double largest_relative_difference(const identity::Checkpoint& a, const identity::Checkpoint& b) {
  REQUIRE(a.tensors.size() == b.tensors.size());
  double worst = 0;
  for (const auto& [name, x] : a.tensors) {
    INFO(name);
    REQUIRE(b.tensors.count(name) == 1);
    const Matrix<float>& y = b.tensors.at(name);
    REQUIRE(x.rows() == y.rows());
    REQUIRE(x.cols() == y.cols());
    double scale = 0, difference = 0;
    for (size_t r = 0; r < x.rows(); ++r) {
      for (size_t c = 0; c < x.cols(); ++c) {
        if (std::memcmp(&x(r, c), &y(r, c), sizeof(float)) != 0)
          difference = std::max(difference, double(std::abs(x(r, c) - y(r, c))));
        scale = std::max(scale, double(std::abs(x(r, c))));
      }
    }
    if (difference > 0) worst = std::max(worst, scale > 0 ? difference / scale : HUGE_VAL);
  }
  return worst;
}

// metrics.csv's loss and val_loss columns, the figures that do not depend on timing.
std::vector<std::string> losses(const std::filesystem::path& folder) {
  std::istringstream csv(read_text(folder / "metrics.csv"));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(csv, line)) {
    const size_t second_comma = line.find(',', line.find(',') + 1);
    const size_t third_comma = line.find(',', second_comma + 1);
    out.push_back(line.substr(0, third_comma));
  }
  return out;
}

double final_val_loss(const std::filesystem::path& folder) {
  const std::string last = losses(folder).back();
  return std::stod(last.substr(last.rfind(',') + 1));
}

std::set<std::string> files_under(const std::filesystem::path& folder) {
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    out.insert(std::filesystem::relative(entry.path(), folder).string());
  }
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "a run on 2 or 3 processes gives the same bits run to run, for 1 or 2 threads each and "
    "for either exchange, and agrees with one process within rounding, whoever updates",
    "[mpi]") {
  real_mnist();
  const auto one = fresh_folder("mpi-one-process");
  const CliResult single = train(0, 2, kSmallRun + " --epochs 2 --out " + one.string());
  INFO(single.out << single.err);
  REQUIRE(single.exit_code == 0);
  // Every process updating every parameter, and each its share (on 3 processes), the shares
  // sent as messages in one run and read from shared memory in the other.
  struct Case {
    int processes;
    std::string update, exchange_a, exchange_b;
  };
  for (const Case& c :
       {Case{2, "replicated", "auto", "auto"}, Case{3, "replicated", "auto", "auto"},
        Case{3, "shared", "messages", "shared-memory"}}) {
    const int processes = c.processes;
    const std::string& update = c.update;
    const std::string tag = std::to_string(processes) + "-" + update;
    const auto a = fresh_folder("mpi-" + tag + "-a");
    const auto b = fresh_folder("mpi-" + tag + "-b");
    const std::string run = kSmallRun + " --update " + update + " --epochs 2 --out ";
    const CliResult first =
        train(processes, 1, "--exchange " + c.exchange_a + " " + run + a.string());
    const CliResult second =
        train(processes, 2, "--exchange " + c.exchange_b + " " + run + b.string());
    INFO(processes << " processes, " << update << " update\n"
                   << first.out << first.err << second.out << second.err);
    REQUIRE(first.exit_code == 0);
    REQUIRE(second.exit_code == 0);
    REQUIRE(first.out.find(std::to_string(processes) + " processes x 1 thread") !=
            std::string::npos);
    REQUIRE(largest_relative_difference(checkpoint_in(a), checkpoint_in(b)) == 0);
    REQUIRE(losses(a) == losses(b));
    // Another split of each batch sums its gradients in another order: equal within float
    // rounding, grown over 16 steps of RMSprop.
    const double difference = largest_relative_difference(checkpoint_in(one), checkpoint_in(a));
    CHECK(difference > 0);
    CHECK(difference < 1e-3);
    CHECK(std::abs(final_val_loss(a) - final_val_loss(one)) < 1e-4 * final_val_loss(one));
  }
}

TEST_CASE("only the first process prints and writes, the same files as one process", "[mpi]") {
  real_mnist();
  const auto one = fresh_folder("mpi-files-one");
  const auto two = fresh_folder("mpi-files-two");
  // Relative output folders, from fresh working folders: a file written by any process lands
  // in the folder listed.
  const CliResult single =
      run_captured("cd " + one.string() + " && " + std::string(IDENTITY_BINARY) + " train " +
                   kSmallRun + " --epochs 1 --out run");
  const CliResult parallel =
      run_captured("cd " + two.string() + " && " + mpiexec(3) + " " + std::string(IDENTITY_BINARY) +
                   " train " + kSmallRun + " --epochs 1 --out run");
  INFO(single.out << single.err << parallel.out << parallel.err);
  REQUIRE(single.exit_code == 0);
  REQUIRE(parallel.exit_code == 0);
  REQUIRE(files_under(two) == files_under(one));
  REQUIRE(files_under(two).count("run/model.safetensors") == 1);
  REQUIRE(count(parallel.out, "Epoch 1/1 - ") == 1);
  REQUIRE(count(parallel.out, "Test loss: ") == 1);
  REQUIRE(parallel.err.empty());
}

TEST_CASE(
    "a checkpoint resumes with any process count: with the same count it is the run that "
    "never stopped, bitwise",
    "[mpi]") {
  real_mnist();
  const auto straight = fresh_folder("mpi-resume-straight");
  const auto stopped = fresh_folder("mpi-resume-stopped");
  const auto other = fresh_folder("mpi-resume-other-count");
  REQUIRE(train(2, 1, kSmallRun + " --epochs 2 --out " + straight.string()).exit_code == 0);
  REQUIRE(train(2, 1, kSmallRun + " --epochs 1 --out " + stopped.string()).exit_code == 0);
  std::filesystem::copy(stopped, other, std::filesystem::copy_options::recursive);

  const CliResult same = train(2, 1,
                               "--resume " + (stopped / "model.safetensors").string() +
                                   " --epochs 2 --out " + stopped.string());
  INFO(same.out << same.err);
  REQUIRE(same.exit_code == 0);
  REQUIRE(largest_relative_difference(checkpoint_in(straight), checkpoint_in(stopped)) == 0);
  REQUIRE(losses(straight) == losses(stopped));

  for (int processes : {3, 0}) {  // three processes, and one without mpiexec
    const auto folder = fresh_folder("mpi-resume-" + std::to_string(processes));
    std::filesystem::copy(other / "model.safetensors", folder / "model.safetensors");
    const CliResult resumed = train(processes, 1,
                                    "--resume " + (folder / "model.safetensors").string() +
                                        " --epochs 2 --out " + folder.string());
    INFO(processes << " processes\n" << resumed.out << resumed.err);
    REQUIRE(resumed.exit_code == 0);
    REQUIRE(resumed.out.find("Epoch 2/2 - ") != std::string::npos);
    REQUIRE(resumed.out.find("Epoch 1/2") == std::string::npos);
    CHECK(largest_relative_difference(checkpoint_in(straight), checkpoint_in(folder)) < 1e-3);
  }
}

TEST_CASE("a process that fails ends the run naming itself, and the checkpoint stays whole",
          "[mpi]") {
  real_mnist();
  const auto folder = fresh_folder("mpi-failing-process");
  REQUIRE(train(2, 1, kSmallRun + " --epochs 1 --out " + folder.string()).exit_code == 0);
  const std::string checkpoint = (folder / "model.safetensors").string();
  const std::string before = read_text(checkpoint);
  const std::string identity = std::string(IDENTITY_BINARY) + " train --threads 1 --resume " +
                               checkpoint + " --epochs 3 --out " + folder.string();
  const auto empty = fresh_folder("mpi-failing-process-no-data");

  SECTION("its data folder is missing") {
    // One launch, two programs: the second process is given another data folder.
    const CliResult run = run_captured(kLauncher + " -n 1 " + identity + " : -n 1 " + identity +
                                       " --data " + empty.string());
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 2);
    REQUIRE(run.err.find("rank 1 of 2: ") != std::string::npos);
    REQUIRE(run.err.find(empty.string()) != std::string::npos);
    REQUIRE(read_text(checkpoint) == before);  // it failed before anything was written
  }
  SECTION("its configuration differs") {
    const CliResult run = run_captured(
        kLauncher + " -n 1 " + std::string(IDENTITY_BINARY) + " train --threads 1 " + kSmallRun +
        " --epochs 1 --out " + folder.string() + " : -n 1 " + std::string(IDENTITY_BINARY) +
        " train --threads 1 " + kSmallRun + " --seed 2 --epochs 1 --out " + folder.string());
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 2);
    REQUIRE(run.err.find("configuration, data or checkpoint differ from another process's") !=
            std::string::npos);
    REQUIRE(read_text(checkpoint) == before);
  }
  SECTION("its --exchange differs, or asks for shared memory under replicated updates") {
    const std::string each = std::string(IDENTITY_BINARY) + " train --threads 1 " + kSmallRun +
                             " --epochs 1 --out " + folder.string();
    const CliResult differing =
        run_captured(kLauncher + " -n 1 " + each + " --exchange messages : -n 1 " + each +
                     " --exchange shared-memory");
    INFO(differing.out << differing.err);
    REQUIRE(differing.exit_code == 2);
    REQUIRE(differing.err.find("the --update and --exchange differ from another process's") !=
            std::string::npos);
    const CliResult replicated =
        train(2, 1,
              kSmallRun + " --update replicated --exchange shared-memory --epochs 1 --out " +
                  folder.string());
    INFO(replicated.out << replicated.err);
    REQUIRE(replicated.exit_code == 2);
    REQUIRE(replicated.err.find("--exchange shared-memory needs --update shared") !=
            std::string::npos);
    REQUIRE(read_text(checkpoint) == before);
  }
  SECTION("shared memory has no room for it") {
    // /dev/shm as if it had 100 kB free: refused before training, one line; auto takes messages.
    const auto elsewhere = fresh_folder("mpi-no-shared-room");
    const std::string each = "env SIMDGRAD_SHARED_MEMORY_ROOM=100000 " + mpiexec(2) + " " +
                             std::string(IDENTITY_BINARY) + " train --threads 1 " + kSmallRun +
                             " --epochs 1 --out " + elsewhere.string() + " --exchange ";
    const CliResult refused = run_captured(each + "shared-memory");
    INFO(refused.out << refused.err);
    REQUIRE(refused.exit_code == 2);
    REQUIRE(count(refused.err, "the shared-memory exchange cannot start: ") >= 1);
    REQUIRE_FALSE(std::filesystem::exists(elsewhere / "model.safetensors"));
    const CliResult automatic = run_captured(each + "auto");
    INFO(automatic.out << automatic.err);
    REQUIRE(automatic.exit_code == 0);
    REQUIRE(count(automatic.err, "exchanging gradients by messages") == 1);
  }
  SECTION("it is killed") {
    // The second process records its id and is killed without warning a second in, in the
    // middle of a run of a thousand short epochs, each ending in a checkpoint.
    const auto pid_file = folder / "second.pid";
    const std::string long_run = std::string(IDENTITY_BINARY) + " train --threads 1 --resume " +
                                 checkpoint + " --epochs 1000 --out " + folder.string();
    const CliResult run =
        run_captured(kLauncher + " -n 1 " + long_run + " : -n 1 sh -c 'echo $$ > " +
                     pid_file.string() + "; exec " + long_run + "' & launcher=$!; while [ ! -s " +
                     pid_file.string() + " ]; do sleep 0.05; done; sleep 1; kill -9 $(cat " +
                     pid_file.string() + "); wait $launcher");
    INFO(run.out << run.err);
    REQUIRE(run.exit_code != 0);
    REQUIRE(run.err.find("rank 1") != std::string::npos);
    std::filesystem::remove(pid_file);
  }
  // Whatever the first process was doing, the checkpoint it left loads (its checksum holds).
  REQUIRE_NOTHROW(identity::load_checkpoint(checkpoint));
}

TEST_CASE("a signal stops every process after the same step, leaving a usable checkpoint",
          "[mpi]") {
  real_mnist();
  const auto folder = fresh_folder("mpi-interrupted");
  // Each process keeps its own standard error and id in files: mpiexec stops forwarding output
  // once it is interrupted itself.
  const std::string identity = std::string(IDENTITY_BINARY) +
                               " train --threads 1 --epochs 100 --data " + kMnistFolder.string() +
                               " --out " + folder.string();
  const std::string each_process = "sh -c 'echo $$ > " + folder.string() +
                                   "/pid.$OMPI_COMM_WORLD_RANK; exec " + identity + " 2>" +
                                   folder.string() + "/stderr.$OMPI_COMM_WORLD_RANK'";
  const auto checkpoint = folder / "model.safetensors";
  // The signal comes once the run's first checkpoint is on disk, half a second into the first
  // epoch (60,000 images take seconds): not while the first process writes a checkpoint, which
  // may outlast the second mpiexec grants before it kills (the previous checkpoint would stay,
  // whole, but nobody would say so).
  const std::string started = " & launcher=$!; while [ ! -f " + checkpoint.string() +
                              " ]; do sleep 0.05; done; sleep 0.5; ";

  SECTION("SIGINT to mpiexec") {
    // mpiexec answers SIGINT by sending SIGTERM to every process, and kills those still running
    // a second later; it exits 1 itself.
    const CliResult run = run_captured(mpiexec(2) + " " + each_process + started +
                                       "kill -INT $launcher; wait $launcher");
    INFO(run.out << run.err);
    REQUIRE(run.exit_code != 0);
  }
  SECTION("SIGTERM to one process") {
    // The others learn of it at the end of the step: all stop after the same one, exit 143.
    const CliResult run =
        run_captured(mpiexec(2) + " " + each_process + started + "kill -TERM $(cat " +
                     folder.string() + "/pid.1); wait $launcher");
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 143);
  }
  const std::string first = read_text(folder / "stderr.0");
  INFO(first);
  REQUIRE(first.find("identity: interrupted by SIGTERM; " + checkpoint.string() +
                     " holds epoch ") != std::string::npos);
  REQUIRE(read_text(folder / "stderr.1").empty());  // the first process speaks for all
  const CliResult eval =
      run_captured(std::string(IDENTITY_BINARY) + " eval " + checkpoint.string());
  INFO(eval.err);
  REQUIRE(eval.exit_code == 0);
}

}  // namespace simdgrad::testing

namespace simdgrad::testing {

TEST_CASE("a stopped process ends the run within --peer-timeout, named, the checkpoint kept",
          "[mpi]") {
  real_mnist();
  for (const std::string exchange : {"shared-memory", "messages"}) {
    DYNAMIC_SECTION("exchange " << exchange) {
      const auto folder = fresh_folder("mpi-peer-stopped-" + exchange);
      const std::string identity = std::string(IDENTITY_BINARY) + " train --threads 1 " +
                                   kSmallRun + " --epochs 100000 --peer-timeout 2 --exchange " +
                                   exchange + " --out " + folder.string();
      const std::string each_process = "sh -c 'echo $$ > " + folder.string() +
                                       "/pid.$OMPI_COMM_WORLD_RANK; exec " + identity + " 2>" +
                                       folder.string() + "/stderr.$OMPI_COMM_WORLD_RANK'";
      const auto checkpoint = folder / "model.safetensors";
      const auto kept = folder / "at-stop.safetensors";
      // The second process stops once training is under way; a second later (any checkpoint
      // the first was writing is whole by then, and no epoch can end without the second) the
      // checkpoint is copied, and the time until mpiexec returns is taken.
      const std::string script =
          mpiexec(2) + " " + each_process + " & launcher=$!; while [ ! -f " + checkpoint.string() +
          " ]; do sleep 0.05; done; sleep 0.5; kill -STOP $(cat " + folder.string() +
          "/pid.1); start=$(date +%s%N); sleep 1; cp " + checkpoint.string() + " " + kept.string() +
          "; wait $launcher; code=$?; echo $((($(date +%s%N) - start) / " + "1000000)) > " +
          folder.string() + "/ms; exit $code";
      const CliResult run = run_captured(script);
      const std::string first = read_text(folder / "stderr.0");
      INFO(run.out << run.err << first);
      REQUIRE(run.exit_code == 4);
      // The line names the step, whether the wait was on a counter or on a collective.
      REQUIRE(std::regex_search(first, std::regex("rank 0 of 2: waited 2 s for rank 1: [^\n]* "
                                                  "step [0-9]+[^\n]*; ending the run")));
      REQUIRE(std::stol(read_text(folder / "ms")) < (2 + 10) * 1000);  // the promise: +10 s
      REQUIRE(read_text(checkpoint) == read_text(kept));
      REQUIRE_NOTHROW(identity::load_checkpoint(checkpoint));
    }
  }
}

}  // namespace simdgrad::testing

namespace simdgrad::testing {

TEST_CASE(
    "4 processes give the same bits with one slowed by a busy neighbour, shared memory against "
    "messages, 1 thread against 2",
    "[mpi]") {
  real_mnist();
  const auto steady = fresh_folder("mpi-4-steady");
  const auto perturbed = fresh_folder("mpi-4-perturbed");
  // 25 epochs of 8 steps.
  const std::string run = kSmallRun + " --update shared --epochs 25 --out ";
  const CliResult a = train(4, 1, "--exchange shared-memory " + run + steady.string());
  INFO(a.out << a.err);
  REQUIRE(a.exit_code == 0);
  // The last process shares core 0 with a busy loop for the whole run, so it falls behind
  // and catches up, step after step.
  const std::string identity = std::string(IDENTITY_BINARY) +
                               " train --threads 2 --exchange messages " + run + perturbed.string();
  const CliResult b = run_captured("taskset -c 0 sh -c 'while :; do :; done' & busy=$!; " +
                                   mpiexec(3) + " " + identity + " : -n 1 taskset -c 0 " +
                                   identity + "; code=$?; kill $busy; exit $code");
  INFO(b.out << b.err);
  REQUIRE(b.exit_code == 0);
  REQUIRE(b.out.find("4 processes x 2 threads") != std::string::npos);
  REQUIRE(largest_relative_difference(checkpoint_in(steady), checkpoint_in(perturbed)) == 0);
  REQUIRE(losses(steady) == losses(perturbed));
}

}  // namespace simdgrad::testing
