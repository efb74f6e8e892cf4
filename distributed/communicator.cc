#include "simdgrad/distributed/communicator.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "distributed/launcher.h"
#include "distributed/mpi_support.h"
#include "distributed/peer_wait.h"
#include "simdgrad/elementwise.h"

namespace simdgrad::distributed {
namespace {

// One outstanding operation, by its opaque handle (0 once done): MPI_Test it and say whether it
// is done, or wait for it.
bool test_handle(long& handle) {
  if (handle == 0) return true;
  MPI_Request r = from_opaque<MPI_Request>(handle);
  int done = 0;
  check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), "MPI_Test");
  handle = done ? 0 : to_opaque(r);
  return done != 0;
}

void wait_handle(long& handle) {
  if (handle == 0) return;
  MPI_Request r = from_opaque<MPI_Request>(handle);
  check(MPI_Wait(&r, MPI_STATUS_IGNORE), "MPI_Wait");
  handle = 0;
}

}  // namespace

Communicator::Communicator(int* argc, char*** argv) {
  int initialized = 0;
  check(MPI_Initialized(&initialized), "MPI_Initialized");
  // Not launched by mpiexec: a run of its own, which need not start MPI (Open MPI's singleton
  // start forks a daemon and may print warnings).
  if (!initialized && launched_processes() == 0) return;
  if (!initialized) {
    // Open MPI's non-blocking all-reduce (libnbc) picks a binomial tree or recursive doubling
    // for two ranks, where every rank adds the whole message: 4.1 ms for the identity
    // network's 9.8 MB between 2 local ranks, against 2.1 ms for the ring (reduce-scatter, then
    // all-gather), which is also what the blocking MPI_Allreduce takes. The ring, unless the
    // user chose (an MCA setting is read from the environment by MPI_Init; other MPIs ignore it).
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "ring", 0);
    int provided = 0;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    finalize_ = true;
    if (provided < MPI_THREAD_FUNNELED) {
      throw std::runtime_error("this MPI does not support MPI_THREAD_FUNNELED");
    }
  }
  // A communicator of its own, so no message of the user's (an MPI_ANY_TAG receive on
  // MPI_COMM_WORLD, say) can match one of ours, with errors returned as codes that check()
  // turns into exceptions naming the process.
  MPI_Comm own;
  check(MPI_Comm_dup(MPI_COMM_WORLD, &own), "MPI_Comm_dup");
  check(MPI_Comm_set_errhandler(own, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  comm_ = to_opaque(own);
  uses_mpi_ = true;
  check(MPI_Comm_rank(own, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(own, &size_), "MPI_Comm_size");
}

Communicator::~Communicator() {
  if (!uses_mpi_) return;
  // Unwinding an exception past the communicator of a run whose other ranks go on: freeing the
  // communicator and MPI_Finalize wait for them, who wait for this rank. End the run instead.
  if (std::uncaught_exceptions() > 0 && size_ > 1) {
    abort(1, "an exception ended this process in the middle of the run; ending the run");
  }
  MPI_Comm own = from_opaque<MPI_Comm>(comm_);
  MPI_Comm_free(&own);
  if (finalize_) MPI_Finalize();
}

namespace {
template <class T>
long start_allreduce(std::span<T> values, MPI_Datatype type, MPI_Comm comm) {
  const int count = mpi_count(values.size(), "MPI_Iallreduce");
  MPI_Request r;
  check(MPI_Iallreduce(MPI_IN_PLACE, values.data(), count, type, MPI_SUM, comm, &r),
        "MPI_Iallreduce");
  return to_opaque(r);
}
}  // namespace

void Communicator::set_peer_timeout(double seconds) {
  if (!(seconds > 0)) {
    throw std::invalid_argument("the peer timeout must be above 0 s, got " +
                                std::to_string(seconds));
  }
  peer_timeout_seconds_ = seconds;
}

std::string Communicator::other_ranks() const {
  if (size_ == 2) return "rank " + std::to_string(1 - rank_);
  return "the other " + std::to_string(size_ - 1) + " ranks";
}

void Communicator::await(long& handle, const char* what) const {
  wait_for_peer(
      *this, [&] { return test_handle(handle); },
      [&] {
        return other_ranks() + ": " + what +
               (step_ > 0 ? " in step " + std::to_string(step_) : std::string());
      });
}

Communicator::Request Communicator::started(long handle, const char* what) const {
  Request out;
  out.handle_ = handle;
  out.owner_ = this;
  out.what_ = what;
  return out;
}

// The blocking collectives are non-blocking ones waited for within the peer timeout: a rank
// stopped before a collective must not hold the others in MPI forever.
void Communicator::allreduce_sum(std::span<float> values) const {
  start_allreduce_sum(values).wait();
}

void Communicator::allreduce_sum(std::span<double> values) const {
  start_allreduce_sum(values).wait();
}

Communicator::Request Communicator::start_allreduce_sum(std::span<float> values) const {
  if (size_ == 1) return Request();  // done already
  return started(start_allreduce(values, MPI_FLOAT, from_opaque<MPI_Comm>(comm_)), "an all-reduce");
}

Communicator::Request Communicator::start_allreduce_sum(std::span<double> values) const {
  if (size_ == 1) return Request();
  return started(start_allreduce(values, MPI_DOUBLE, from_opaque<MPI_Comm>(comm_)),
                 "an all-reduce");
}

const Communicator::Layout& Communicator::layout_of(size_t n) const {
  // Counts and offsets are ints: checked before anything is kept.
  mpi_count(n, "Communicator: a share of a sum or gather");
  auto [it, fresh] = layouts_.try_emplace(n);
  if (fresh) {
    for (int r = 0; r < size_; ++r) {
      const IndexRange s = share_of(n, r);
      it->second.counts.push_back(int(s.size()));
      it->second.offsets.push_back(int(s.begin));
    }
  }
  return it->second;
}

void Communicator::start_reduce_scatter_sum(std::span<float> values, std::span<float> scratch,
                                            ReduceScatter& into) const {
  into.wait();
  const Layout& layout = layout_of(values.size());
  const size_t mine = size_t(layout.counts[size_t(rank_)]);
  if (scratch.size() < size_t(size_ - 1) * mine) {
    throw std::invalid_argument("Communicator::start_reduce_scatter_sum: scratch of " +
                                std::to_string(scratch.size()) + " elements, " +
                                std::to_string(size_t(size_ - 1) * mine) + " needed");
  }
  into.share_ = values.data() + layout.offsets[size_t(rank_)];
  into.count_ = mine;
  into.arrived_ = scratch.data();
  into.contributions_ = size_t(size_ - 1);
  // One tag for all: MPI matches messages from one rank in the order they were sent, and every
  // rank starts its reduce-scatters in the same order.
  constexpr int kTag = 0x5c;
  const MPI_Comm comm = from_opaque<MPI_Comm>(comm_);
  // Rank r sends to r + 1 first, then r + 2, ... (mod P): no rank is everyone's first target.
  // The arrivals still lie in rank order (rank q's in slot q, or q - 1 past this rank), the
  // order wait() adds them in.
  for (int k = 1; k < size_; ++k) {
    const int q = (rank_ + k) % size_;
    const size_t slot = size_t(q < rank_ ? q : q - 1);
    MPI_Request receive, send;
    check(MPI_Irecv(scratch.data() + slot * mine, int(mine), MPI_FLOAT, q, kTag, comm, &receive),
          "MPI_Irecv");
    check(MPI_Isend(values.data() + layout.offsets[size_t(q)], layout.counts[size_t(q)], MPI_FLOAT,
                    q, kTag, comm, &send),
          "MPI_Isend");
    into.owner_ = this;
    into.requests_.push_back(to_opaque(receive));
    into.requests_.push_back(to_opaque(send));
  }
}

Communicator::ReduceScatter::ReduceScatter(ReduceScatter&& other) noexcept {
  *this = std::move(other);
}

Communicator::ReduceScatter& Communicator::ReduceScatter::operator=(
    ReduceScatter&& other) noexcept {
  if (this != &other) {
    wait();
    requests_ = std::exchange(other.requests_, {});
    owner_ = other.owner_;
    share_ = other.share_;
    count_ = other.count_;
    arrived_ = other.arrived_;
    contributions_ = other.contributions_;
  }
  return *this;
}

Communicator::ReduceScatter::~ReduceScatter() { wait(); }

bool Communicator::ReduceScatter::test() {
  bool all = true;
  for (long& handle : requests_) all = test_handle(handle) && all;
  return all;
}

void Communicator::ReduceScatter::wait() {
  if (requests_.empty()) return;
  for (long& handle : requests_) {
    if (owner_) {
      owner_->await(handle, "a reduce-scatter of gradient shares");
    } else {
      wait_handle(handle);
    }
  }
  requests_.clear();
  const MatrixView<float> share(share_, 1, count_, count_);
  for (size_t k = 0; k < contributions_; ++k) {
    add<float>(share, MatrixView<const float>(arrived_ + k * count_, 1, count_, count_), share);
  }
}

void Communicator::allgather_shares(std::span<float> values) const {
  start_allgather_shares(values).wait();
}

Communicator::Request Communicator::start_allgather_shares(std::span<float> values) const {
  if (size_ == 1) return Request();
  const Layout& layout = layout_of(values.size());
  MPI_Request r;
  check(MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values.data(), layout.counts.data(),
                        layout.offsets.data(), MPI_FLOAT, from_opaque<MPI_Comm>(comm_), &r),
        "MPI_Iallgatherv");
  return started(to_opaque(r), "a gather of updated shares");
}

Communicator::Request::Request(Request&& other) noexcept
    : handle_(std::exchange(other.handle_, 0)), owner_(other.owner_), what_(other.what_) {}

Communicator::Request& Communicator::Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    if (pending()) wait();
    handle_ = std::exchange(other.handle_, 0);
    owner_ = other.owner_;
    what_ = other.what_;
  }
  return *this;
}

Communicator::Request::~Request() {
  if (pending()) wait();
}

void Communicator::Request::wait() {
  if (owner_) return owner_->await(handle_, what_);
  wait_handle(handle_);
}

bool Communicator::Request::test() { return test_handle(handle_); }

void Communicator::barrier() const {
  if (size_ == 1) return;
  MPI_Request r;
  check(MPI_Ibarrier(from_opaque<MPI_Comm>(comm_), &r), "MPI_Ibarrier");
  long handle = to_opaque(r);
  await(handle, "a barrier");
}

void Communicator::abort(int code, const std::string& reason) const {
  std::fprintf(stderr, "rank %d of %d: %s\n", rank_, size_, reason.c_str());
  std::fflush(stderr);
  if (!uses_mpi_) std::exit(code);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest if it did
}

}  // namespace simdgrad::distributed
