// The bucketed gradient all-reducer against a plain sum of each gradient over the ranks: the
// same bits, whatever the bucketing, the order buckets are marked ready in, or zero-flagged
// gradients; buckets start exactly when their last gradient is ready. Runs under mpiexec.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <vector>

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

// Each gradient summed on its own with a blocking all-reduce: the reference.
std::vector<std::vector<float>> plain_sums(const std::vector<std::unique_ptr<Parameter<float>>>& ps) {
  std::vector<std::vector<float>> out;
  for (const auto& p : ps) {
    std::vector<float> v;
    for (size_t r = 0; r < p->grad.rows(); ++r) {
      for (size_t c = 0; c < p->grad.cols(); ++c) v.push_back(p->grad_is_zero ? 0.0f : p->grad(r, c));
    }
    mpi_session->allreduce_sum(v);
    out.push_back(v);
  }
  return out;
}

bool equals(const Parameter<float>& p, const std::vector<float>& want) {
  size_t i = 0;
  for (size_t r = 0; r < p.grad.rows(); ++r) {
    for (size_t c = 0; c < p.grad.cols(); ++c) {
      if (std::memcmp(&p.grad(r, c), &want[i++], sizeof(float)) != 0) return false;
    }
  }
  return true;
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
  for (int step = 0; step < 2; ++step) {  // the reducer serves step after step
    fill_gradients(ps, step);
    const auto want = plain_sums(ps);
    for (const auto& p : ps) reducer.ready(*p);
    REQUIRE(reducer.started() == reducer.buckets());
    reducer.finish();
    for (size_t i = 0; i < ps.size(); ++i) {
      INFO("step " << step << ", " << ps[i]->name);
      REQUIRE(equals(*ps[i], want[i]));
      REQUIRE_FALSE(ps[i]->grad_is_zero);
    }
  }
}

TEST_CASE("a bucket starts when its last gradient is ready, and finish starts the rest", "[mpi]") {
  auto ps = parameters();
  fill_gradients(ps, 0);
  const auto want = plain_sums(ps);
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
  for (size_t i = 0; i < ps.size(); ++i) REQUIRE(equals(*ps[i], want[i]));
}

}  // namespace simdgrad::testing
