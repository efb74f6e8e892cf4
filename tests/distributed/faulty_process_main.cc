// A data-parallel loop of STEPS steps whose last process fails in the middle of step 31, after
// it has published two of its four buckets: it throws (`throw`), or finds a NaN in the gradient
// it is about to publish (`nan`); or nothing fails (`none`). The loop is written as a user of the
// library writes one: the exception is caught where the loop is, and the run ended there through
// Communicator::abort (exit 1, or 3 for a numerical fault, as identity train does), before
// unwinding could tear down what the other processes still wait on. After every step the first
// process saves a checkpoint (the step, then every value) to a temporary file and renames it into
// place.
//
//   distributed_fault_program none|throw|nan shared-memory|messages STEPS CHECKPOINT
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "simdgrad/distributed/gradient_reducer.h"
#include "simdgrad/reductions.h"

namespace {

using simdgrad::autograd::Parameter;
using simdgrad::distributed::Communicator;
using simdgrad::distributed::Exchange;
using simdgrad::distributed::GradientReducer;
using simdgrad::distributed::Update;

constexpr int kFaultStep = 30;  // counted from 0

struct NumericalFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Run {
  std::string fault;
  Exchange exchange;
  int steps;
  std::filesystem::path checkpoint;
};

void save_checkpoint(const std::vector<std::unique_ptr<Parameter<float>>>& ps, int step,
                     const std::filesystem::path& file) {
  const std::filesystem::path temporary = file.string() + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary);
    out << "step " << step << "\n";
    for (const auto& p : ps) {
      out.write(reinterpret_cast<const char*>(p->value.data()),
                std::streamsize(p->value.size() * sizeof(float)));
    }
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, file);
}

// The step's gradients, each published as it is made; the last process fails in kFaultStep.
void backward(const std::vector<std::unique_ptr<Parameter<float>>>& ps, GradientReducer& reducer,
              const Communicator& communicator, int step, const std::string& fault) {
  reducer.begin_backward();
  const bool failing = step == kFaultStep && communicator.rank() + 1 == communicator.size();
  for (size_t i = 0; i < ps.size(); ++i) {
    Parameter<float>& p = *ps[i];
    for (size_t k = 0; k < p.grad.size(); ++k) p.grad.data()[k] = float((step + k) % 5);
    p.grad_is_zero = false;
    if (failing && i == 2) {
      if (fault == "throw") throw std::logic_error("an injected fault in step 31, bucket 3 of 4");
      p.grad.data()[p.grad.size() / 2] = NAN;
    }
    if (!std::isfinite(simdgrad::sum<float>(p.grad.view()))) {
      throw NumericalFault("the gradient of " + p.name + " is not finite in step " +
                           std::to_string(step + 1));
    }
    reducer.ready(p);
  }
}

void train(const Communicator& communicator, const Run& run) {
  std::vector<std::unique_ptr<Parameter<float>>> ps;
  for (size_t rows : {1, 300, 1, 200}) {
    ps.push_back(std::make_unique<Parameter<float>>("p" + std::to_string(ps.size()), rows, 257));
  }
  std::vector<Parameter<float>*> pointers;
  for (const auto& p : ps) pointers.push_back(p.get());
  GradientReducer reducer(communicator, pointers, Update::kShared, 0, run.exchange);
  for (int step = 0; step < run.steps; ++step) {
    backward(ps, reducer, communicator, step, run.fault);
    reducer.finish();
    for (const auto& p : ps) {
      const simdgrad::IndexRange mine = reducer.share(*p);
      for (size_t k = mine.begin; k < mine.end; ++k)
        p->value.data()[k] -= 1e-3f * p->grad.data()[k];
    }
    reducer.gather_values();
    if (communicator.leads()) save_checkpoint(ps, step + 1, run.checkpoint);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Communicator communicator(&argc, &argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s none|throw|nan shared-memory|messages STEPS CHECKPOINT\n",
                 argv[0]);
    return 2;
  }
  const std::string exchange = argv[2];
  const Run run{argv[1], exchange == "messages" ? Exchange::kMessages : Exchange::kSharedMemory,
                std::atoi(argv[3]), argv[4]};
  try {
    train(communicator, run);
  } catch (const NumericalFault& e) {
    communicator.abort(3, std::string("numerical fault: ") + e.what());
  } catch (const std::exception& e) {
    communicator.abort(1, e.what());
  }
  return 0;
}
