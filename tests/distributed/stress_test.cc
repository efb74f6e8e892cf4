// Thousands of data-parallel steps through the gradient reducer, with either exchange, each
// process sleeping at random points of every step (before writing its gradients, between
// reporting them ready, before the update, before the gather) and now and then stalling for
// 20 ms, so that the processes drift apart in every way the schedule allows. The gradients are
// small integers coding (process, step, element): every sum is exact, and a read of a peer's
// gradients or values one step early or late changes it. Every element of every share is
// checked after the sums, and every element of every value after the gather.
//
// Checked by hand once: without the wait on the peers' published values in
// GradientReducer::gather_values(), the shared-memory run fails within its first steps (stale
// values copied, and gradients overwritten while a slower process still sums them).
//
// Steps per exchange: SIMDGRAD_STRESS_STEPS (default 1000). Runs under mpiexec.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "simdgrad/distributed/gradient_reducer.h"
#include "simdgrad/threading.h"
#include "tests/distributed/mpi_session.h"
#include "tests/distributed/on_every_rank.h"

namespace simdgrad::testing {
namespace {

using autograd::Parameter;
using distributed::Exchange;
using distributed::GradientReducer;
using distributed::Update;

int stress_steps() {
  const char* set = std::getenv("SIMDGRAD_STRESS_STEPS");
  return set && *set ? std::atoi(set) : 1000;
}

// In backward order, with 64 KiB buckets: three weights summed where they lie (the first with
// shares large enough at 2 processes for the threaded add and copy, kParallelMinElements), and
// the small ones packed into a fourth bucket whose last member comes last; a 3-element bias
// leaves a 4th process an empty share.
std::vector<std::unique_ptr<Parameter<float>>> stress_parameters() {
  const size_t shapes[][2] = {{1, 1000},  {512, 1088}, {1, 3},     {37, 29},
                              {300, 300}, {1, 5},      {200, 100}, {1, 2}};
  std::vector<std::unique_ptr<Parameter<float>>> out;
  for (const auto& s : shapes) {
    out.push_back(std::make_unique<Parameter<float>>("p" + std::to_string(out.size()), s[0], s[1]));
  }
  return out;
}
constexpr size_t kBucketBytes = 64 << 10;

// What every process can tell of every other's step, from the seed alone.
uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
// Process q has rows of step s's batch (1 step in 40 it has none and reports nothing).
bool has_rows(int q, int s) { return mix(uint64_t(q) << 32 ^ uint64_t(s) ^ 0x5eed) % 40 != 0; }
// Its step reached parameter i (1 in 20 it did not: grad_is_zero, contributing zeros).
bool reached(int q, int s, size_t i) {
  return has_rows(q, s) && mix(uint64_t(q) << 48 ^ uint64_t(s) << 8 ^ i) % 20 != 0;
}

// The gradient of process q in step s at element k: an integer below 2^13, so sums of up to
// 2^11 of them are exact in float. Consecutive steps differ at every element.
uint32_t pattern(int s, size_t k) { return (uint32_t(s) * 7 + uint32_t(k) * 3) & 2047; }
float gradient_code(int q, int s, size_t k) { return float(1 + q + 4 * pattern(s, k)); }

// The sum over the processes of parameter i's element k in step s.
struct ExpectedSum {
  float constant = 0, per_pattern = 0;
  float at(int s, size_t k) const { return constant + per_pattern * float(pattern(s, k)); }
};
ExpectedSum expected_sum(int processes, int s, size_t i) {
  ExpectedSum e;
  for (int q = 0; q < processes; ++q) {
    if (!reached(q, s, i)) continue;
    e.constant += float(1 + q);
    e.per_pattern += 4;
  }
  return e;
}

// Random pauses of one process: half the points sleep 0-500 µs, 1 in 4000 stalls 20 ms.
class Jitter {
 public:
  explicit Jitter(int rank) : rng_(uint64_t(rank) * 7919 + 11) {}
  void pause() {
    const uint32_t roll = rng_() % 4000;
    if (roll == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++stalls;
    } else if (roll < 2000) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng_() % 501));
      ++sleeps;
    }
  }
  double sleeps = 0, stalls = 0;

 private:
  std::mt19937_64 rng_;
};

// The first wrong element seen, and how many.
struct Mismatches {
  double count = 0;  // a double, to be summed over the processes
  std::string first;
  void check(float got, float want, const char* what, int s, const Parameter<float>& p, size_t k) {
    if (got == want) return;
    if (count++ == 0) {
      first = std::string(what) + " of " + p.name + "[" + std::to_string(k) + "] in step " +
              std::to_string(s) + ": " + std::to_string(got) + ", expected " + std::to_string(want);
    }
  }
};

void write_gradients(const std::vector<std::unique_ptr<Parameter<float>>>& ps,
                     GradientReducer& reducer, int rank, int s, Jitter& jitter) {
  reducer.begin_backward();
  for (size_t i = 0; i < ps.size(); ++i) {
    Parameter<float>& p = *ps[i];
    p.grad_is_zero = !reached(rank, s, i);
    if (!p.grad_is_zero) {
      for (size_t k = 0; k < p.grad.size(); ++k) p.grad.data()[k] = gradient_code(rank, s, k);
    }
    if (!has_rows(rank, s)) continue;  // a process without rows reports nothing
    jitter.pause();
    reducer.ready(p);
  }
}

// One run of `steps` steps; the stand-in for the optimizer sets each share of the values to
// its summed gradient, so the gathered values show every process's sums.
Mismatches stress_run(Exchange exchange, int steps, Jitter& jitter) {
  auto ps = stress_parameters();
  std::vector<Parameter<float>*> pointers;
  for (const auto& p : ps) pointers.push_back(p.get());
  GradientReducer reducer(*mpi_session, pointers, Update::kShared, kBucketBytes, exchange);
  REQUIRE(reducer.exchange() == exchange);
  REQUIRE(reducer.buckets() == 4);
  // At 2 processes the weight's shares are added and copied by the process's whole team.
  if (mpi_session->size() == 2) REQUIRE(reducer.share(*ps[1]).size() >= kParallelMinElements);
  const int rank = mpi_session->rank(), processes = mpi_session->size();
  Mismatches wrong;
  for (int s = 0; s < steps; ++s) {
    jitter.pause();
    write_gradients(ps, reducer, rank, s, jitter);
    jitter.pause();
    reducer.finish();
    for (size_t i = 0; i < ps.size(); ++i) {
      const IndexRange mine = reducer.share(*ps[i]);
      const ExpectedSum want = expected_sum(processes, s, i);
      float* grad = ps[i]->grad.data();
      float* value = ps[i]->value.data();
      for (size_t k = mine.begin; k < mine.end; ++k) {
        wrong.check(grad[k], want.at(s, k), "the summed gradient", s, *ps[i], k);
        value[k] = grad[k];
      }
    }
    jitter.pause();
    reducer.gather_values();
    for (size_t i = 0; i < ps.size(); ++i) {
      const ExpectedSum want = expected_sum(processes, s, i);
      for (size_t k = 0; k < ps[i]->value.size(); ++k)
        wrong.check(ps[i]->value.data()[k], want.at(s, k), "the gathered value", s, *ps[i], k);
    }
  }
  return wrong;
}

}  // namespace

TEST_CASE("thousands of jittered steps give every process exact sums and values, either exchange",
          "[stress]") {
  const int steps = stress_steps();
  for (const Exchange exchange : {Exchange::kSharedMemory, Exchange::kMessages}) {
    const char* name = exchange == Exchange::kSharedMemory ? "shared memory" : "messages";
    Jitter jitter(mpi_session->rank());
    const auto start = std::chrono::steady_clock::now();
    const Mismatches wrong = stress_run(exchange, steps, jitter);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double figures[] = {jitter.sleeps, jitter.stalls, wrong.count};
    mpi_session->allreduce_sum(figures);
    if (mpi_session->leads()) {
      std::printf(
          "stress, %s: %d processes x %d threads, %d steps, %.0f sleeps of 0-500 us and %.0f "
          "stalls "
          "of 20 ms injected, %.0f wrong elements, %.1f s\n",
          name, mpi_session->size(), num_threads(), steps, figures[0], figures[1], figures[2],
          seconds);
    }
    REQUIRE_ON_EVERY_RANK(wrong.count == 0, name << ": " << size_t(wrong.count)
                                                 << " wrong elements; the "
                                                 << "first, " << wrong.first);
  }
}

}  // namespace simdgrad::testing
