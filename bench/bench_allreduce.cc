// The gradient sums of a data-parallel identity run: the 4-layer network's 2,461,888 gradient
// floats (9.8 MB) summed over the ranks, as one blocking MPI_Allreduce and through the bucketed
// GradientReducer (1 MiB buckets, started one after the other as a backward pass would): whole
// sums (shares:0), or each rank's shares then the gathering of the updated values (shares:1),
// sent as messages (shared_memory:0) or read from memory the ranks share (shared_memory:1).
// Run it under mpiexec; every rank runs the same fixed number of iterations (the collectives
// must match), rank 0 alone reports.
//
//   mpiexec -n 2 build/release/bench/bench_allreduce
//
// Counters: ms per all-reduce (the benchmark's own time) and bytes_per_second (the gradient's
// bytes over that time).
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "simdgrad/autograd/parameter.h"
#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/gradient_reducer.h"

namespace simdgrad::bench {
namespace {

const distributed::Communicator* communicator = nullptr;
constexpr int kIterations = 50;

// The identity network's parameters, in backward order: per layer a 784 x 784 weight and a
// 784 bias.
std::vector<std::unique_ptr<autograd::Parameter<float>>> identity_parameters() {
  std::vector<std::unique_ptr<autograd::Parameter<float>>> out;
  for (int layer = 3; layer >= 0; --layer) {
    out.push_back(std::make_unique<autograd::Parameter<float>>("bias", 1, 784));
    out.push_back(std::make_unique<autograd::Parameter<float>>("weight", 784, 784));
  }
  for (auto& p : out) {
    for (size_t r = 0; r < p->grad.rows(); ++r) {
      for (size_t c = 0; c < p->grad.cols(); ++c) p->grad(r, c) = 1e-3f * float(c % 17);
    }
  }
  return out;
}

size_t gradient_bytes(const std::vector<std::unique_ptr<autograd::Parameter<float>>>& ps) {
  size_t bytes = 0;
  for (const auto& p : ps) bytes += p->grad.rows() * p->grad.cols() * sizeof(float);
  return bytes;
}

void blocking_allreduce(benchmark::State& state) {
  auto ps = identity_parameters();
  std::vector<float> buffer(gradient_bytes(ps) / sizeof(float), 1.0f);
  for (auto _ : state) communicator->allreduce_sum(buffer);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(gradient_bytes(ps)));
  state.counters["ranks"] = communicator->size();
}

void bucketed_allreduce(benchmark::State& state) {
  auto ps = identity_parameters();
  std::vector<autograd::Parameter<float>*> pointers;
  for (auto& p : ps) pointers.push_back(p.get());
  const auto update =
      state.range(1) ? distributed::Update::kShared : distributed::Update::kReplicated;
  const auto exchange =
      state.range(2) ? distributed::Exchange::kSharedMemory : distributed::Exchange::kMessages;
  distributed::GradientReducer reducer(*communicator, pointers, update, size_t(state.range(0)),
                                       exchange);
  for (auto _ : state) {
    for (auto* p : pointers) reducer.ready(*p);
    reducer.finish();
    reducer.gather_values();  // shares: the updated values travel back (the other half)
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(gradient_bytes(ps)));
  state.counters["ranks"] = communicator->size();
  state.counters["buckets"] = double(reducer.buckets());
}

BENCHMARK(blocking_allreduce)
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bucketed_allreduce)
    ->ArgNames({"bucket_bytes", "shares", "shared_memory"})
    ->Args({1 << 20, 0, 0})
    ->Args({1 << 20, 1, 0})
    ->Args({1 << 20, 1, 1})
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Ranks other than 0 run the benchmarks for their part of the collectives and print nothing.
class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace
}  // namespace simdgrad::bench

int main(int argc, char** argv) {
  simdgrad::distributed::Communicator comm(&argc, &argv);
  simdgrad::bench::communicator = &comm;
  benchmark::Initialize(&argc, argv);
  if (comm.rank() == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    simdgrad::bench::Silent silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
