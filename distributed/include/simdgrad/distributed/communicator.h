// The processes of a data-parallel run: MPI_COMM_WORLD, held for the life of the object. Only
// the thread that made it calls MPI (MPI_THREAD_FUNNELED): OpenMP's workers inside a rank never
// do. Sums over ranks give every rank the same bits, and the same bits run to run for a given
// number of ranks (Open MPI picks its reduction algorithm from the rank count and message size
// only).
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace simdgrad::distributed {

class Communicator {
 public:
  // Initializes MPI unless it already is (then this object finalizes nothing). Throws
  // std::runtime_error if MPI cannot start.
  Communicator(int* argc, char*** argv);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

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
  };
  Request start_allreduce_sum(std::span<float> values) const;

  // Rank r's share of n elements split in rank order: [n r / P, n (r + 1) / P).
  struct Share {
    size_t first = 0, count = 0;
  };
  Share share_of(size_t n, int rank) const;
  Share share_of(size_t n) const { return share_of(n, rank_); }
  // Sums `values` over the ranks and leaves this rank its share of the sums in `share`
  // (MPI_Ireduce_scatter): each rank adds only its share, as the first half of a ring
  // all-reduce does. `values` must stay unchanged until the sum is done.
  Request start_reduce_scatter_sum(std::span<const float> values, std::span<float> share) const;
  // Gives every rank the whole of `values`, each rank's share taken from that rank's copy
  // (MPI_Allgatherv in place).
  void allgather_shares(std::span<float> values) const;

  void barrier() const;
  // Ends every rank of the job: prints "rank R of P: reason" on stderr, then MPI_Abort(code).
  [[noreturn]] void abort(int code, const std::string& reason) const;

 private:
  // The per-rank counts and offsets of shares of n elements, kept for the communicator's life:
  // a non-blocking collective reads them until it completes.
  struct Layout {
    std::vector<int> counts, offsets;
  };
  const Layout& layout_of(size_t n) const;

  int rank_ = 0, size_ = 1;
  bool finalize_ = false;
  mutable std::map<size_t, Layout> layouts_;
};

}  // namespace simdgrad::distributed
