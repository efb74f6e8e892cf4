// The data-parallel step against one process training on whole batches: every rank's share of
// the batch, summed, gives the whole batch's loss, gradients and update (within the rounding of
// the sums over ranks; to the bit with one process), and every rank holds the same weights and,
// once gathered, the same optimizer state. Runs under mpiexec, and as one process without it.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/random.h"
#include "simdgrad/distributed/data_parallel_step.h"
#include "tests/distributed/mpi_session.h"

namespace simdgrad::testing {
namespace {

using distributed::DataParallelOptions;
using distributed::DataParallelStep;
using distributed::Exchange;
using distributed::Update;

constexpr size_t kBatch = 10, kIn = 6, kHidden = 5, kOut = 3;

// The same model on every rank: 6 -> 5 ReLU -> 3.
struct Replica {
  autograd::Sequential<float> model;
  std::unique_ptr<autograd::Adam<float>> optimizer;
  autograd::Tape<float> tape;
  Replica() {
    model.add_dense(kIn, kHidden, Activation::kRelu);
    model.add_dense(kHidden, kOut, Activation::kNone);
    autograd::Random rng(11);
    model.initialize(autograd::Initializer::kGlorotUniform, rng);
    optimizer = std::make_unique<autograd::Adam<float>>(model.parameters(), 0.01f);
  }
  // The mean squared error of `rows` of the batch.
  autograd::Var<float> loss(const Matrix<float>& x, const Matrix<float>& y, IndexRange rows) {
    tape.reset();
    const auto part = [&](const Matrix<float>& m) {
      return tape.constant(MatrixView<const float>(m).block(rows.begin, 0, rows.size(), m.cols()));
    };
    return autograd::mse_loss(model.forward(tape, part(x)), part(y));
  }
};

std::vector<float> flatten(const std::vector<autograd::NamedTensor<float>>& tensors) {
  std::vector<float> out;
  for (const auto& t : tensors) {
    for (size_t r = 0; r < t.view.rows(); ++r)
      out.insert(out.end(), &t.view(r, 0), &t.view(r, 0) + t.view.cols());
  }
  return out;
}

std::vector<float> weights(autograd::Sequential<float>& model) {
  std::vector<autograd::NamedTensor<float>> tensors;
  for (autograd::Parameter<float>* p : model.parameters()) tensors.push_back({p->name, p->value});
  return flatten(tensors);
}

// Whether every rank holds these values to the bit: each one's sum over ranks is P times it
// (exact for P of 1 to 3: the sum of P equal floats in double).
bool same_on_every_rank(const std::vector<float>& values) {
  std::vector<double> mine(values.begin(), values.end()), sums = mine;
  mpi_session->allreduce_sum(sums);
  for (size_t i = 0; i < mine.size(); ++i) {
    if (sums[i] != mine[i] * mpi_session->size()) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a data-parallel step makes the whole batch's update, the same on every rank", "[step]") {
  const auto [update, exchange] = GENERATE(std::pair(Update::kShared, Exchange::kAuto),
                                           std::pair(Update::kShared, Exchange::kMessages),
                                           std::pair(Update::kReplicated, Exchange::kAuto));
  Replica parallel, whole;
  DataParallelStep step(*mpi_session, *parallel.optimizer, {update, exchange});
  autograd::Random data(5);  // the same batches everywhere
  Matrix<float> x(kBatch, kIn), y(kBatch, kOut);
  const IndexRange batch{0, kBatch}, mine = step.rows(batch);
  for (int s = 0; s < 4; ++s) {
    for (size_t i = 0; i < x.size(); ++i) x.data()[i] = float(data.normal());
    for (size_t i = 0; i < y.size(); ++i) y.data()[i] = float(data.normal());
    std::vector<float> parallel_norms, whole_norms;
    double figures[1] = {0};
    if (!mine.empty()) {
      const autograd::Var<float> loss = parallel.loss(x, y, mine);
      figures[0] = double(loss.value()(0, 0)) * step.weight(batch);
      step.backward(parallel.tape, loss, step.weight(batch));
    }
    step.update(figures, &parallel_norms);
    const autograd::Var<float> whole_loss = whole.loss(x, y, batch);
    whole.tape.backward(whole_loss);
    whole.optimizer->step_and_zero_grad(&whole_norms);

    REQUIRE(same_on_every_rank(weights(parallel.model)));
    REQUIRE(figures[0] == Approx(whole_loss.value()(0, 0)).epsilon(1e-5));
    for (size_t i = 0; i < whole_norms.size(); ++i)
      REQUIRE(parallel_norms[i] == Approx(whole_norms[i]).epsilon(1e-4));
    const std::vector<float> a = weights(parallel.model), b = weights(whole.model);
    for (size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == Approx(b[i]).margin(1e-5));
    if (mpi_session->size() == 1) REQUIRE(a == b);  // one process: the plain step itself
  }
  step.gather_optimizer_state();
  REQUIRE(same_on_every_rank(flatten(parallel.optimizer->state())));
}

TEST_CASE("a data-parallel step refuses shared memory with replicated updates", "[step]") {
  Replica replica;
  REQUIRE_THROWS_AS(DataParallelStep(*mpi_session, *replica.optimizer,
                                     {Update::kReplicated, Exchange::kSharedMemory}),
                    std::invalid_argument);
}

TEST_CASE("one process updates during backward, in shared gradient memory, with the same bits",
          "[step]") {
  // Three layers of 6 x 6: their weights can share gradient memory, and so can their biases.
  struct Square {
    autograd::Sequential<float> model;
    std::unique_ptr<autograd::Rmsprop<float>> optimizer;
    autograd::Tape<float> tape;
    Square() {
      for (int i = 0; i < 3; ++i) model.add_dense(kIn, kIn, Activation::kRelu);
      autograd::Random rng(13);
      model.initialize(autograd::Initializer::kGlorotUniform, rng);
      optimizer = std::make_unique<autograd::Rmsprop<float>>(model.parameters(), 0.01f);
    }
  };
  Square during, after;
  DataParallelStep early(*mpi_session, *during.optimizer);
  DataParallelOptions plain_options;
  plain_options.update_during_backward = false;
  DataParallelStep plain(*mpi_session, *after.optimizer, plain_options);
  const bool one_process = mpi_session->size() == 1;
  const auto p = during.model.parameters();
  REQUIRE((p[0]->grad.data() == p[2]->grad.data()) == one_process);
  autograd::Random data(6);
  Matrix<float> x(kBatch, kIn);
  const IndexRange batch{0, kBatch}, mine = early.rows(batch);
  for (int s = 0; s < 3; ++s) {
    for (size_t i = 0; i < x.size(); ++i) x.data()[i] = float(data.normal());
    for (auto [net, step] : {std::pair{&during, &early}, std::pair{&after, &plain}}) {
      double figures[1] = {0};
      if (!mine.empty()) {
        net->tape.reset();
        const auto part =
            net->tape.constant(MatrixView<const float>(x).block(mine.begin, 0, mine.size(), kIn));
        const std::vector<float> before = weights(net->model);
        step->backward(net->tape, autograd::mse_loss(net->model.forward(net->tape, part), part),
                       step->weight(batch));
        // One process with the default options updates inside backward().
        REQUIRE((weights(net->model) != before) == (one_process && net == &during));
      }
      step->update(figures);
    }
    REQUIRE(weights(during.model) == weights(after.model));
  }
}

}  // namespace simdgrad::testing
