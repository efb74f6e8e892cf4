// The bucketed gradient all-reducer against each gradient's exact sum over the ranks (within
// the rounding of a P-term float sum, whatever order MPI adds in), for any bucketing and with
// zero-flagged gradients; the same bits on a repeated step; buckets start exactly when their
// last gradient is ready, also when the tape's backward pass reports them. Runs under mpiexec.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "simdgrad/autograd/layers.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/autograd/random.h"
#include "simdgrad/distributed/gradient_allreducer.h"
#include "tests/distributed/mpi_session.h"

namespace simdgrad::testing {
namespace {

using autograd::Parameter;

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
      for (size_t c = 0; c < p->grad.cols(); ++c) p->grad(r, c) = float(rng.uniform(-1, 1)) * (c % 5 == 0 ? 1e4f : 1.0f);
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

// The reduced gradient of parameter i is the sum over ranks, within float rounding.
bool within_rounding(const Parameter<float>& p, const Reference& ref, size_t i) {
  const double bound = double(mpi_session->size() - 1) * 0x1p-24;
  size_t k = 0;
  for (size_t r = 0; r < p.grad.rows(); ++r) {
    for (size_t c = 0; c < p.grad.cols(); ++c, ++k) {
      if (std::abs(double(p.grad(r, c)) - ref.sum[i][k]) > bound * ref.magnitude[i][k]) return false;
    }
  }
  return true;
}

std::vector<float> gradient_bits(const std::vector<std::unique_ptr<Parameter<float>>>& ps) {
  std::vector<float> out;
  for (const auto& p : ps) {
    for (size_t r = 0; r < p->grad.rows(); ++r) out.insert(out.end(), &p->grad(r, 0), &p->grad(r, 0) + p->grad.cols());
  }
  return out;
}

}  // namespace

TEST_CASE("bucketed sums equal each gradient's own sum over ranks", "[mpi]") {
  const size_t bucket_bytes = GENERATE(size_t(0), size_t(4096), size_t(1) << 20, size_t(1) << 30);
  INFO("bucket_bytes " << bucket_bytes);
  auto ps = parameters();
  distributed::GradientAllReducer reducer(*mpi_session, pointers(ps), bucket_bytes);
  if (bucket_bytes == 0) REQUIRE(reducer.buckets() == ps.size());
  if (bucket_bytes == 4096) REQUIRE(reducer.buckets() == 2);  // {784 biases, weight}, {the rest}
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
      REQUIRE(within_rounding(*ps[i], want, i));
      REQUIRE_FALSE(ps[i]->grad_is_zero);
    }
    if (step == 0 && first_step.empty()) {
      first_step = gradient_bits(ps);
    } else if (step == 0) {
      const std::vector<float> again = gradient_bits(ps);
      REQUIRE(std::memcmp(first_step.data(), again.data(), again.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("a bucket starts when its last gradient is ready, and finish starts the rest", "[mpi]") {
  auto ps = parameters();
  fill_gradients(ps, 0);
  const Reference want = reference_sums(pointers(ps));
  distributed::GradientAllReducer reducer(*mpi_session, pointers(ps), 4096);
  REQUIRE(reducer.buckets() == 2);
  reducer.ready(*ps[0]);  // the first bucket holds the 784 biases (3,136 bytes) and the weights
  REQUIRE(reducer.started() == 0);
  reducer.ready(*ps[1]);
  REQUIRE(reducer.started() == 1);
  REQUIRE_THROWS_WITH(reducer.ready(*ps[1]), Catch::Contains("marked ready twice"));
  Parameter<float> stranger("stranger", 1, 1);
  REQUIRE_THROWS_WITH(reducer.ready(stranger), Catch::Contains("not one of its parameters"));
  reducer.finish();  // the other buckets had no ready() at all
  for (size_t i = 0; i < ps.size(); ++i) REQUIRE(within_rounding(*ps[i], want, i));
}

TEST_CASE("fed by the tape, the reducer starts the last layers' sums during the backward pass", "[mpi]") {
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
  // One bucket per layer: 64 x 64 weights and 64 biases.
  distributed::GradientAllReducer reducer(*mpi_session, backward_order, 64 * 65 * sizeof(float));
  REQUIRE(reducer.buckets() == 3);
  autograd::Tape<float> tape;
  autograd::Var<float> x = tape.constant(data.view());
  autograd::Var<float> loss = autograd::mse_loss(model.forward(tape, x), x);
  size_t started_when_first_layer_ready = 0;
  tape.backward(loss, [&](autograd::Parameter<float>& p) {
    if (p.name.rfind("dense_0.", 0) == 0 && started_when_first_layer_ready == 0) {
      started_when_first_layer_ready = reducer.started();
    }
    reducer.ready(p);
  });
  REQUIRE(started_when_first_layer_ready == 2);  // layers 3 and 2 already on their way
  const Reference want = reference_sums(backward_order);  // the step's own gradients, summed
  reducer.finish();
  for (size_t i = 0; i < backward_order.size(); ++i) REQUIRE(within_rounding(*backward_order[i], want, i));
}

}  // namespace simdgrad::testing
