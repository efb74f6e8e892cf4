// What the distributed code promises about MPI itself: counts MPI cannot hold are refused, not
// truncated; the library's messages travel on a communicator of its own, where a user's
// receive on MPI_COMM_WORLD cannot take them; shared memory without room is refused, or
// replaced by messages when the exchange was left to choose. Runs under mpiexec.
#include <mpi.h>
#include <sys/mman.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "simdgrad/distributed/gradient_reducer.h"
#include "simdgrad/distributed/shared_segments.h"
#include "tests/distributed/mpi_session.h"

namespace simdgrad::testing {
namespace {

using distributed::Exchange;
using distributed::GradientReducer;
using distributed::SharedSegments;
using distributed::Update;

// 2^31 + 64 floats of address space, never touched (so never backed by memory): a span MPI's
// int count cannot describe.
class Untouched {
 public:
  static constexpr size_t kElements = (size_t(1) << 31) + 64;
  Untouched() {
    void* at = mmap(nullptr, kElements * sizeof(float), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    REQUIRE(at != MAP_FAILED);
    data_ = static_cast<float*>(at);
  }
  ~Untouched() { munmap(data_, kElements * sizeof(float)); }
  std::span<float> span() const { return {data_, kElements}; }
  float* data() const { return data_; }

 private:
  float* data_ = nullptr;
};

// Sets an environment variable for one scope, on this rank.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedVariable() { unsetenv(name_); }

 private:
  const char* name_;
};

std::vector<std::unique_ptr<autograd::Parameter<float>>> small_model() {
  std::vector<std::unique_ptr<autograd::Parameter<float>>> out;
  out.push_back(std::make_unique<autograd::Parameter<float>>("w", 300, 200));
  out.push_back(std::make_unique<autograd::Parameter<float>>("b", 1, 200));
  return out;
}

std::vector<autograd::Parameter<float>*> pointers(
    const std::vector<std::unique_ptr<autograd::Parameter<float>>>& ps) {
  std::vector<autograd::Parameter<float>*> out;
  for (const auto& p : ps) out.push_back(p.get());
  return out;
}

}  // namespace

TEST_CASE("counts past 2^31 - 1 are refused with a clear error, never truncated", "[mpi]") {
  const Untouched huge;
  const auto says_why = Catch::Contains("2^31 - 1");
  REQUIRE_THROWS_AS(mpi_session->start_allreduce_sum(huge.span()), std::length_error);
  REQUIRE_THROWS_WITH(mpi_session->start_allreduce_sum(huge.span()), says_why);
  REQUIRE_THROWS_WITH(mpi_session->start_allgather_shares(huge.span()), says_why);
  std::vector<float> scratch(1);
  distributed::Communicator::ReduceScatter into;
  REQUIRE_THROWS_WITH(mpi_session->start_reduce_scatter_sum(huge.span(), scratch, into), says_why);
  // A parameter whose gradient alone is past the limit: refused when the reducer is made.
  autograd::Parameter<float> p("embedding", 1, 1);
  p.grad = Matrix<float>::borrowing(huge.data(), Untouched::kElements / 64, 64);
  REQUIRE_THROWS_WITH(
      GradientReducer(*mpi_session, {&p}, Update::kShared, 1 << 20, Exchange::kMessages),
      Catch::Contains("'embedding'") && says_why);
}

TEST_CASE("a user's receive on MPI_COMM_WORLD never takes the library's messages", "[mpi]") {
  const int rank = mpi_session->rank(), size = mpi_session->size();
  // Any source, any tag: on a shared communicator it would match the first message to arrive.
  // Checked by hand: with MPI_COMM_WORLD in place of the library's duplicate, it takes a piece
  // of the reduce-scatter, which then never completes (the job ends at the peer timeout).
  int user_message = -1;
  MPI_Request user;
  REQUIRE(MPI_Irecv(&user_message, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD,
                    &user) == MPI_SUCCESS);
  std::vector<float> values(1000, float(rank + 1));
  std::vector<float> scratch(mpi_session->reduce_scatter_scratch(values.size()));
  {
    distributed::Communicator::ReduceScatter sum;
    mpi_session->start_reduce_scatter_sum(values, scratch, sum);
  }  // waited for
  mpi_session->allreduce_sum(values);
  mpi_session->barrier();
  int done = 1;
  REQUIRE(MPI_Test(&user, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS);
  mpi_session->barrier();  // every rank has looked before any user message leaves
  REQUIRE(done == 0);      // none of ours reached it
  // The user's own message does, from the rank before.
  const int sent = 1000 + rank;
  REQUIRE(MPI_Send(&sent, 1, MPI_INT, (rank + 1) % size, 7, MPI_COMM_WORLD) == MPI_SUCCESS);
  REQUIRE(MPI_Wait(&user, MPI_STATUS_IGNORE) == MPI_SUCCESS);
  REQUIRE(user_message == 1000 + (rank + size - 1) % size);
}

TEST_CASE("shared memory without room is refused, or replaced by messages when left to choose",
          "[mpi]") {
  auto ps = small_model();
  REQUIRE(SharedSegments::room_shortage(*mpi_session, 1 << 20).empty());  // /dev/shm has room
  const ScopedVariable tiny(SharedSegments::kRoomVariable, "100000");     // 100 kB free
  const std::string shortage = SharedSegments::room_shortage(*mpi_session, 1 << 20);
  INFO(shortage);
  REQUIRE(shortage.find("needs") != std::string::npos);
  REQUIRE(shortage.find("which has 1 MB free") != std::string::npos);
  const GradientReducer automatic(*mpi_session, pointers(ps), Update::kShared, 1 << 20,
                                  Exchange::kAuto);
  REQUIRE(automatic.exchange() == Exchange::kMessages);
  REQUIRE_THROWS_WITH(
      GradientReducer(*mpi_session, pointers(ps), Update::kShared, 1 << 20,
                      Exchange::kSharedMemory),
      Catch::Contains("the shared-memory exchange cannot start") && Catch::Contains("MB free"));
  REQUIRE_THROWS_WITH(SharedSegments(*mpi_session, 1 << 20), Catch::Contains("needs"));
}

}  // namespace simdgrad::testing
