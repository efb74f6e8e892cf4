// The bucketed gradient reducer against each gradient's exact sum over the ranks (within the
// rounding of a P-term float sum, whatever order MPI adds in), for any bucketing, whole sums or
// shares, and with zero-flagged gradients; the same bits on a repeated step; buckets start
// exactly when their last gradient is ready, also when the tape's backward pass reports them;
// shares partition every parameter and gather back whole; the shared-memory exchange gives
// the message exchange's bits. Runs under mpiexec.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/random.h"
#include "simdgrad/distributed/gradient_reducer.h"
#include "tests/distributed/mpi_session.h"

namespace simdgrad::testing {
namespace {

using autograd::Parameter;
using distributed::Exchange;
using distributed::GradientReducer;
using distributed::Update;

// A model's worth of parameters in backward order.
std::vector<std::unique_ptr<Parameter<float>>> parameters() {
  std::vector<std::unique_ptr<Parameter<float>>> out;
  const size_t shapes[][2] = {{1, 784}, {784, 784}, {1, 33}, {33, 7}, {1, 1}, {5, 3}};
  int index = 0;
  for (const auto& s : shapes) {
    out.push_back(std::make_unique<Parameter<float>>("p" + std::to_string(index++), s[0], s[1]));
  }
  return out;
}

// Gradients random per rank and step, of mixed magnitudes (so the order of additions shows).
void fill_gradients(const std::vector<std::unique_ptr<Parameter<float>>>& ps, int step) {
  autograd::Random rng(uint64_t(mpi_session->rank()) * 1000 + uint64_t(step) + 17);
  for (const auto& p : ps) {
    for (size_t r = 0; r < p->grad.rows(); ++r) {
      for (size_t c = 0; c < p->grad.cols(); ++c)
        p->grad(r, c) = float(rng.uniform(-1, 1)) * (c % 5 == 0 ? 1e4f : 1.0f);
    }
    p->grad_is_zero = false;
  }
  ps[4]->grad_is_zero = true;  // a parameter the step did not reach: it contributes zeros
}

std::vector<Parameter<float>*> pointers(const std::vector<std::unique_ptr<Parameter<float>>>& ps) {
  std::vector<Parameter<float>*> out;
  for (const auto& p : ps) out.push_back(p.get());
  return out;
}

// Each gradient's sum over ranks in double, and the sum of the terms' magnitudes: a float sum
// of P terms in any order is within (P - 1)·u·Σ|terms| of the exact sum (Higham, §4.2).
struct Reference {
  std::vector<std::vector<double>> sum, magnitude;
};

Reference reference_sums(const std::vector<Parameter<float>*>& ps) {
  Reference out;
  for (const auto* p : ps) {
    std::vector<double> v, m;
    for (size_t r = 0; r < p->grad.rows(); ++r) {
      for (size_t c = 0; c < p->grad.cols(); ++c) {
        const double g = p->grad_is_zero ? 0.0 : double(p->grad(r, c));
        v.push_back(g);
        m.push_back(std::abs(g));
      }
    }
    mpi_session->allreduce_sum(v);
    mpi_session->allreduce_sum(m);
    out.sum.push_back(v);
    out.magnitude.push_back(m);
  }
  return out;
}

// The reduced gradient of parameter i is the sum over ranks within float rounding, on the
// elements `part` (all by default).
bool within_rounding(const Parameter<float>& p, const Reference& ref, size_t i,
                     IndexRange part = {0, size_t(-1)}) {
  const double bound = double(mpi_session->size() - 1) * 0x1p-24;
  const size_t last = std::min(part.end, p.grad.rows() * p.grad.cols());
  for (size_t k = part.begin; k < last; ++k) {
    if (std::abs(double(p.grad.data()[k]) - ref.sum[i][k]) > bound * ref.magnitude[i][k])
      return false;
  }
  return true;
}

std::vector<float> gradient_bits(const std::vector<std::unique_ptr<Parameter<float>>>& ps) {
  std::vector<float> out;
  for (const auto& p : ps) {
    for (size_t r = 0; r < p->grad.rows(); ++r)
      out.insert(out.end(), &p->grad(r, 0), &p->grad(r, 0) + p->grad.cols());
  }
  return out;
}

}  // namespace

TEST_CASE("bucketed sums and shares equal each gradient's own sum over ranks", "[mpi]") {
  const size_t bucket_bytes = GENERATE(size_t(0), size_t(4096), size_t(1) << 20, size_t(1) << 30);
  const auto update = GENERATE(Update::kReplicated, Update::kShared);
  const bool shares = update == Update::kShared;
  INFO("bucket_bytes " << bucket_bytes << (shares ? ", shares" : ", sums"));
  auto ps = parameters();
  GradientReducer reducer(*mpi_session, pointers(ps), update, bucket_bytes);
  if (bucket_bytes == 0) REQUIRE(reducer.buckets() == ps.size());
  // 4096: {the weight}, then packed {784 + 33 biases, 33 x 7}, {1 x 1, 5 x 3}.
  if (bucket_bytes == 4096) REQUIRE(reducer.buckets() == 3);
  if (bucket_bytes == (size_t(1) << 30)) REQUIRE(reducer.buckets() == 1);
  std::vector<float> first_step;
  for (int step : {0, 1, 0}) {  // the reducer serves step after step; a repeat gives the same bits
    fill_gradients(ps, step);
    const Reference want = reference_sums(pointers(ps));
    for (const auto& p : ps) reducer.ready(*p);
    REQUIRE(reducer.started() == reducer.buckets());
    reducer.finish();
    for (size_t i = 0; i < ps.size(); ++i) {
      INFO("step " << step << ", " << ps[i]->name);
      REQUIRE(within_rounding(*ps[i], want, i, reducer.share(*ps[i])));
      REQUIRE_FALSE(ps[i]->grad_is_zero);
    }
    if (shares) {
      // Only the shares are sums: the bits compared are those.
      for (const auto& p : ps) {
        const IndexRange part = reducer.share(*p);
        std::fill(p->grad.data(), p->grad.data() + part.begin, 0.0f);
        std::fill(p->grad.data() + part.end, p->grad.data() + p->grad.rows() * p->grad.cols(),
                  0.0f);
      }
    }
    if (step == 0 && first_step.empty()) {
      first_step = gradient_bits(ps);
    } else if (step == 0) {
      const std::vector<float> again = gradient_bits(ps);
      REQUIRE(std::memcmp(first_step.data(), again.data(), again.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE(
    "buckets start in one order as their last gradients are ready, and finish starts the rest",
    "[mpi]") {
  auto ps = parameters();
  fill_gradients(ps, 0);
  const Reference want = reference_sums(pointers(ps));
  GradientReducer reducer(*mpi_session, pointers(ps), Update::kReplicated, 4096);
  REQUIRE(reducer.buckets() == 3);
  reducer.ready(*ps[0]);  // 784 biases (3,136 bytes): packed with the small ones that follow
  REQUIRE(reducer.started() == 0);
  reducer.ready(*ps[1]);  // the 784 x 784 weights: a bucket of their own, summed in place
  REQUIRE(reducer.started() == 1);
  REQUIRE_THROWS_WITH(reducer.ready(*ps[1]), Catch::Contains("marked ready twice"));
  Parameter<float> stranger("stranger", 1, 1);
  REQUIRE_THROWS_WITH(reducer.ready(stranger), Catch::Contains("not one of its parameters"));
  // Out of order: the last bucket is complete, but every rank starts the sums in one order,
  // so it waits for the one before.
  reducer.ready(*ps[4]);
  reducer.ready(*ps[5]);
  REQUIRE(reducer.started() == 1);
  reducer.ready(*ps[2]);
  REQUIRE(reducer.started() == 1);
  reducer.ready(*ps[3]);
  REQUIRE(reducer.started() == 3);
  reducer.finish();
  for (size_t i = 0; i < ps.size(); ++i) REQUIRE(within_rounding(*ps[i], want, i));
  // A step in which no gradient was reported: finish() starts every bucket.
  fill_gradients(ps, 1);
  const Reference again = reference_sums(pointers(ps));
  reducer.finish();
  for (size_t i = 0; i < ps.size(); ++i) REQUIRE(within_rounding(*ps[i], again, i));
}

TEST_CASE("fed by the tape, the reducer starts the last layers' sums during the backward pass",
          "[mpi]") {
  autograd::Sequential<float> model;
  for (int i = 0; i < 3; ++i) model.add_dense(64, 64, Activation::kRelu);
  autograd::Random rng(3);  // the same initial weights on every rank
  model.initialize(autograd::Initializer::kGlorotUniform, rng);
  Matrix<float> data(16, 64);
  autograd::Random data_rng(uint64_t(mpi_session->rank()) + 100);  // each rank its own batch
  for (size_t r = 0; r < 16; ++r) {
    for (size_t c = 0; c < 64; ++c) data(r, c) = float(data_rng.uniform());
  }
  std::vector<autograd::Parameter<float>*> backward_order = model.parameters();
  std::reverse(backward_order.begin(), backward_order.end());
  // One bucket per layer: 64 biases packed with 64 x 64 weights.
  GradientReducer reducer(*mpi_session, backward_order, Update::kReplicated,
                          64 * 65 * sizeof(float));
  REQUIRE(reducer.buckets() == 3);
  autograd::Tape<float> tape;
  autograd::Var<float> x = tape.constant(data.view());
  autograd::Var<float> loss = autograd::mse_loss(model.forward(tape, x), x);
  size_t started_when_first_layer_ready = 0;
  // The step's own gradients, kept as the tape makes them: once a bucket has started, its
  // gradients belong to MPI until finish().
  std::vector<std::unique_ptr<Parameter<float>>> copies;
  tape.backward(loss, [&](autograd::Parameter<float>& p) {
    if (p.name.rfind("dense_0.", 0) == 0 && started_when_first_layer_ready == 0) {
      started_when_first_layer_ready = reducer.started();
    }
    copies.push_back(std::make_unique<Parameter<float>>(p.name, p.grad.rows(), p.grad.cols()));
    std::copy(p.grad.data(), p.grad.data() + p.grad.rows() * p.grad.cols(),
              copies.back()->grad.data());
    reducer.ready(p);
  });
  REQUIRE(started_when_first_layer_ready == 2);  // layers 3 and 2 already on their way
  REQUIRE(copies.size() == backward_order.size());
  std::vector<Parameter<float>*> copies_in_order;  // as backward_order, by name
  for (const auto* p : backward_order) {
    for (const auto& c : copies) {
      if (c->name == p->name) copies_in_order.push_back(c.get());
    }
  }
  REQUIRE(copies_in_order.size() == backward_order.size());
  const Reference want = reference_sums(copies_in_order);
  reducer.finish();
  for (size_t i = 0; i < backward_order.size(); ++i)
    REQUIRE(within_rounding(*backward_order[i], want, i));
}

TEST_CASE("shares partition every parameter, and gather back whole on every rank", "[mpi]") {
  auto ps = parameters();
  for (size_t bucket_bytes : {size_t(0), size_t(4096), size_t(1) << 30}) {
    INFO("bucket_bytes " << bucket_bytes);
    GradientReducer reducer(*mpi_session, pointers(ps), Update::kShared, bucket_bytes);
    for (const auto& p : ps) {
      INFO(p->name);
      const size_t n = p->value.rows() * p->value.cols();
      // Each element owned by exactly one rank: the owners' counts add up to n, per element.
      std::vector<double> owners(n, 0.0);
      const IndexRange part = reducer.share(*p);
      REQUIRE(part.end <= n);
      for (size_t k = part.begin; k < part.end; ++k) owners[k] = 1;
      mpi_session->allreduce_sum(owners);
      REQUIRE(std::all_of(owners.begin(), owners.end(), [](double o) { return o == 1; }));
      // Each rank writes its rank into its share; the rest holds garbage until the gather.
      for (size_t k = 0; k < n; ++k)
        p->value.data()[k] = k >= part.begin && k < part.end ? float(mpi_session->rank()) : -1.0f;
    }
    reducer.gather_shares([](Parameter<float>& p) { return p.value.view(); });
    for (const auto& p : ps) {
      std::vector<double> owner(p->value.data(),
                                p->value.data() + p->value.rows() * p->value.cols());
      const IndexRange part = reducer.share(*p);
      for (size_t k = part.begin; k < part.end; ++k) REQUIRE(owner[k] == mpi_session->rank());
      REQUIRE(std::all_of(owner.begin(), owner.end(),
                          [&](double o) { return o >= 0 && o < mpi_session->size(); }));
      // The same values on every rank.
      std::vector<double> total = owner;
      mpi_session->allreduce_sum(total);
      for (size_t k = 0; k < owner.size(); ++k) REQUIRE(total[k] == owner[k] * mpi_session->size());
    }
  }
}

namespace {
// One step of a shared update on a parameter set: gradients for `step`, the reduction, each
// rank's share of the values set from the summed gradient (a stand-in for the optimizer), and
// the gather. Reports the gradients' parts as ready in backward order, or (a process without
// rows of the batch) none at all.
void shared_update_step(GradientReducer& reducer,
                        const std::vector<std::unique_ptr<Parameter<float>>>& ps, int step,
                        bool report) {
  fill_gradients(ps, step);
  if (report) {
    for (const auto& p : ps) reducer.ready(*p);
  }
  reducer.finish();
  for (const auto& p : ps) {
    const IndexRange part = reducer.share(*p);
    for (size_t k = part.begin; k < part.end; ++k) p->value.data()[k] -= 1e-3f * p->grad.data()[k];
  }
  reducer.gather_values();
}

std::vector<float> value_bits(const std::vector<std::unique_ptr<Parameter<float>>>& ps) {
  std::vector<float> out;
  for (const auto& p : ps)
    out.insert(out.end(), p->value.data(), p->value.data() + p->value.rows() * p->value.cols());
  return out;
}
}  // namespace

TEST_CASE("the shared-memory exchange gives the message exchange's bits, step after step",
          "[mpi]") {
  REQUIRE(GradientReducer::best_exchange(*mpi_session) == Exchange::kSharedMemory);  // one machine
  for (size_t bucket_bytes : {size_t(0), size_t(4096), size_t(1) << 20, size_t(1) << 30}) {
    INFO("bucket_bytes " << bucket_bytes);
    auto by_messages = parameters(), in_memory = parameters();
    for (size_t i = 0; i < by_messages.size(); ++i) {
      for (auto* ps : {&by_messages, &in_memory}) {
        Parameter<float>& p = *(*ps)[i];
        for (size_t k = 0; k < p.value.rows() * p.value.cols(); ++k)
          p.value.data()[k] = float(k % 7) - 3.0f;
      }
    }
    const std::vector<float> before = value_bits(in_memory);
    GradientReducer messages(*mpi_session, pointers(by_messages), Update::kShared, bucket_bytes,
                             Exchange::kMessages);
    GradientReducer shared(*mpi_session, pointers(in_memory), Update::kShared, bucket_bytes,
                           Exchange::kSharedMemory);
    REQUIRE(value_bits(in_memory) == before);  // moved into the shared memory, contents kept
    for (int step = 1; step <= 3; ++step) {
      INFO("step " << step);
      // In step 2 the last rank reports nothing, as a process without rows of the batch.
      const bool report = step != 2 || mpi_session->rank() + 1 < mpi_session->size();
      shared_update_step(messages, by_messages, step, report);
      shared_update_step(shared, in_memory, step, report);
      // Every share's sums, and the gathered values on every rank, to the bit.
      for (size_t i = 0; i < in_memory.size(); ++i) {
        INFO(in_memory[i]->name);
        const IndexRange part = shared.share(*in_memory[i]);
        REQUIRE(part.begin == messages.share(*by_messages[i]).begin);
        REQUIRE(part.end == messages.share(*by_messages[i]).end);
        REQUIRE(std::memcmp(in_memory[i]->grad.data() + part.begin,
                            by_messages[i]->grad.data() + part.begin,
                            part.size() * sizeof(float)) == 0);
      }
      REQUIRE(value_bits(in_memory) == value_bits(by_messages));
    }
  }
}

TEST_CASE("the shared-memory exchange refuses whole sums and a step without gather_values",
          "[mpi]") {
  auto ps = parameters();
  REQUIRE_THROWS_WITH(GradientReducer(*mpi_session, pointers(ps), Update::kReplicated, 4096,
                                      Exchange::kSharedMemory),
                      Catch::Contains("sums shares only"));
  GradientReducer reducer(*mpi_session, pointers(ps), Update::kShared, 4096,
                          Exchange::kSharedMemory);
  fill_gradients(ps, 1);
  reducer.finish();
  // Without gather_values() the next step would overwrite gradients other ranks may still read:
  // refused before the backward pass writes any, and again if a loop did not ask.
  const std::vector<float> written = gradient_bits(ps);
  REQUIRE_THROWS_WITH(reducer.begin_backward(),
                      Catch::Contains("gather_values() must end every step"));
  REQUIRE(gradient_bits(ps) == written);
  fill_gradients(ps, 2);
  REQUIRE_THROWS_WITH(reducer.finish(), Catch::Contains("gather_values() must end every step"));
  // Every rank is in the same state (all threw at the same point), so all end cleanly.
}

}  // namespace simdgrad::testing
