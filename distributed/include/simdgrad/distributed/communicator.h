// The processes of a data-parallel run: MPI_COMM_WORLD (through a duplicate of its own, so a
// user's messages and ours never meet), held for the life of the object, or a
// process of its own when no MPI launcher started it (then MPI is never called, and every sum
// over the ranks is the values themselves). Only the thread that made it calls MPI
// (MPI_THREAD_FUNNELED): OpenMP's workers inside a rank never do. Sums over ranks give every
// rank the same bits, and the same bits run to run for a given number of ranks (Open MPI picks
// its reduction algorithm from the rank count and message size only). A build without MPI has
// the single process only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "simdgrad/index_range.h"

namespace simdgrad::distributed {

class Communicator {
 public:
  // Joins the processes an MPI launcher started (mpiexec sets OMPI_COMM_WORLD_SIZE, PMI_SIZE or
  // PMIX_SIZE), initializing MPI unless it already is (then this object finalizes nothing).
  // Started otherwise, with MPI not initialized, the process is a run of its own: rank 0 of 1.
  // Throws std::runtime_error if MPI cannot start, or if a launcher started several processes
  // of a build without MPI.
  Communicator(int* argc, char*** argv);
  // This process alone (as MPI_COMM_SELF is), whoever launched it: MPI is never called.
  Communicator() = default;
  // Frees its MPI communicator and finalizes MPI if it started it. Destroyed by an exception
  // unwinding in a run of several ranks, it ends the whole run instead (abort(), exit code 1):
  // the other ranks, still at work, could not join the teardown.
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  // How long a wait on other ranks may last: every collective, message and shared-memory wait
  // of this communicator and of the GradientReducer over it. Past it the whole run ends
  // (abort(), exit code kPeerTimeoutExitCode) with one line naming this rank, the rank waited
  // for (or "the other P - 1 ranks") and what was awaited. Throws std::invalid_argument
  // unless seconds > 0.
  static constexpr double kDefaultPeerTimeoutSeconds = 120;
  static constexpr int kPeerTimeoutExitCode = 4;
  void set_peer_timeout(double seconds);
  double peer_timeout_seconds() const { return peer_timeout_seconds_; }
  // The step a training loop is in (counted from 1; 0 for none), named by the line of a wait
  // that times out: "waited 120 s for rank 1: an all-reduce in step 5031". GradientReducer
  // keeps it current. A label for that line only, so it may be set on a const communicator.
  void name_step(uint64_t step) const { step_ = step; }
  // Who a wait on a collective waits for: "rank q" when there are two, else "the other P - 1
  // ranks".
  std::string other_ranks() const;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // The process that prints and writes files.
  bool leads() const { return rank_ == 0; }

  // Elementwise sum over every rank, in place.
  void allreduce_sum(std::span<float> values) const;
  void allreduce_sum(std::span<double> values) const;

  // A sum started without waiting for it (MPI_Iallreduce); wait() before reading the values.
  class Request {
   public:
    Request() = default;
    Request(Request&& other) noexcept;
    Request& operator=(Request&& other) noexcept;
    ~Request();  // waits, so the buffer is never written after its owner is gone
    void wait();
    // Lets MPI advance the sum (most MPIs progress a non-blocking collective only inside MPI
    // calls); true, and no longer pending, once it is done.
    bool test();
    bool pending() const { return handle_ != 0; }

   private:
    friend class Communicator;
    long handle_ = 0;  // an MPI_Request, kept opaque so this header needs no mpi.h
    const Communicator* owner_ = nullptr;  // whose peer timeout bounds wait()
    const char* what_ = "";                // what wait() waits for, for its timeout line
  };
  Request start_allreduce_sum(std::span<float> values) const;
  Request start_allreduce_sum(std::span<double> values) const;

  // Rank r's share of n elements split in rank order: [n r / P, n (r + 1) / P).
  IndexRange share_of(size_t n, int rank) const {
    return balanced_part(n, size_t(rank), size_t(size_));
  }
  IndexRange share_of(size_t n) const { return share_of(n, rank_); }
  // A reduce-scatter in flight: every other rank's contribution to this rank's share arrives
  // in its own part of a scratch buffer while this rank's contributions to theirs leave.
  class ReduceScatter {
   public:
    ReduceScatter() = default;
    ReduceScatter(ReduceScatter&& other) noexcept;
    ReduceScatter& operator=(ReduceScatter&& other) noexcept;
    ~ReduceScatter();  // waits
    // Lets MPI move the messages along; true once all have arrived and left.
    bool test();
    // Waits for every message, then adds the arrivals into the share in rank order.
    void wait();
    bool pending() const { return !requests_.empty(); }

   private:
    friend class Communicator;
    std::vector<long> requests_;  // MPI_Requests, opaque; 0 once done
    const Communicator* owner_ = nullptr;
    float* share_ = nullptr;
    size_t count_ = 0;
    const float* arrived_ = nullptr;  // P - 1 contributions of count_ each, in rank order
    size_t contributions_ = 0;
  };
  // Elements of scratch a reduce-scatter of n values needs: P - 1 times this rank's share.
  size_t reduce_scatter_scratch(size_t n) const { return size_t(size_ - 1) * share_of(n).size(); }
  // Starts summing `values` over the ranks into this rank's share of them (share_of): each rank
  // sends every other rank that rank's share of its values and adds what arrives for its own
  // share, in rank order, so the sums are the same run to run. The same bytes as half a ring
  // all-reduce, in one round: the ranks meet once, in wait(), not at every ring step. Until
  // `into` is done, `values` and `scratch` (reduce_scatter_scratch elements) belong to MPI.
  // Open MPI 4.1's MPI_Reduce_scatter took 0.49-0.53 ms for a 2.46 MB weight between 2 local
  // ranks, more than its whole all-reduce (0.35 ms), and its non-blocking one 3x as long.
  void start_reduce_scatter_sum(std::span<float> values, std::span<float> scratch,
                                ReduceScatter& into) const;
  // Gives every rank the whole of `values`, each rank's share taken from that rank's copy
  // (MPI_Allgatherv in place).
  void allgather_shares(std::span<float> values) const;
  // The same, started without waiting for it: wait() (or test() until true) before reading.
  Request start_allgather_shares(std::span<float> values) const;

  void barrier() const;
  // Ends every rank of the job: prints "rank R of P: reason" on stderr, then MPI_Abort(code)
  // (a process of its own prints the reason and exits with `code`).
  [[noreturn]] void abort(int code, const std::string& reason) const;

  // Throws std::runtime_error on every rank whose `fingerprint` differs from another's, naming
  // `what` ("the flags"): the ranks of one run must hold the same configuration and data.
  void require_same_everywhere(uint64_t fingerprint, const std::string& what) const;

 private:
  // The per-rank counts and offsets of shares of n elements, kept for the communicator's life:
  // a non-blocking collective reads them until it completes.
  struct Layout {
    std::vector<int> counts, offsets;
  };
  const Layout& layout_of(size_t n) const;
  // Waits for an MPI request (opaque; 0 when done) within the peer timeout; `what` names it.
  void await(long& handle, const char* what) const;
  Request started(long handle, const char* what) const;

  friend class SharedSegments;  // allocates its window over comm_
  long comm_ = 0;               // the run's own MPI_Comm (a duplicate of MPI_COMM_WORLD), opaque
  int rank_ = 0, size_ = 1;
  bool uses_mpi_ = false;  // false for a process of its own
  bool finalize_ = false;
  double peer_timeout_seconds_ = kDefaultPeerTimeoutSeconds;
  mutable uint64_t step_ = 0;
  mutable std::map<size_t, Layout> layouts_;
};

}  // namespace simdgrad::distributed
