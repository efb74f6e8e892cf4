// Sums over ranks: the values expected, the same bits on every rank and on every repetition,
// blocking and non-blocking alike. Runs under mpiexec with 2 and 3 ranks.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/distributed/mpi_session.h"

namespace simdgrad::testing {
namespace {

// Every rank's copy of `values` is the same to the bit: a 20-bit hash of the bits, h, has
// Σh = P·h and Σh² = P·h² over the ranks only if every rank's h is the same (exact in double).
bool same_on_every_rank(const std::vector<float>& values) {
  const auto& comm = *mpi_session;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a over the bytes
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (size_t i = 0; i < values.size() * sizeof(float); ++i)
    hash = (hash ^ bytes[i]) * 1099511628211ull;
  const double h = double(hash % (1u << 20));
  std::vector<double> moments = {h, h * h};
  comm.allreduce_sum(moments);
  return moments[0] == h * comm.size() && moments[1] == h * h * comm.size();
}

// Values whose float sum depends on the order of additions: large and tiny terms mixed.
std::vector<float> awkward_values(int rank, size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = (i + size_t(rank)) % 3 == 0 ? 1e7f + float(i % 7)
                                       : 0.1f * float(rank + 1) + 1e-3f * float(i % 11);
  }
  return v;
}

}  // namespace

TEST_CASE("allreduce_sum adds every rank's values", "[mpi]") {
  const auto& comm = *mpi_session;
  REQUIRE(comm.size() >= 2);
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(comm.rank() + 1) * float(i);
  comm.allreduce_sum(v);
  const float ranks = float(comm.size() * (comm.size() + 1) / 2);  // 1 + 2 + ... + P
  for (size_t i = 0; i < v.size(); ++i) REQUIRE(v[i] == ranks * float(i));
  std::vector<double> d = {double(comm.rank()), 0.5};
  comm.allreduce_sum(d);
  REQUIRE(d[0] == double(comm.size() * (comm.size() - 1) / 2));
  REQUIRE(d[1] == 0.5 * comm.size());
}

TEST_CASE("a sum over ranks has the same bits on every rank and on every repetition", "[mpi]") {
  const auto& comm = *mpi_session;
  for (size_t n : {size_t(1), size_t(1000), size_t(1) << 20}) {  // small, medium, large messages
    INFO(n << " floats");
    std::vector<float> first = awkward_values(comm.rank(), n), second = first;
    comm.allreduce_sum(first);
    comm.allreduce_sum(second);
    REQUIRE(std::memcmp(first.data(), second.data(), n * sizeof(float)) == 0);
    std::vector<float> started = awkward_values(comm.rank(), n);
    auto request = comm.start_allreduce_sum(started);
    request.wait();
    REQUIRE_FALSE(request.pending());
    REQUIRE(same_on_every_rank(first));
    REQUIRE(same_on_every_rank(started));
  }
}

}  // namespace simdgrad::testing
