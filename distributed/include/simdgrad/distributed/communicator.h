// The processes of a data-parallel run: MPI_COMM_WORLD, held for the life of the object. Only
// the thread that made it calls MPI (MPI_THREAD_FUNNELED): OpenMP's workers inside a rank never
// do. Sums over ranks give every rank the same bits, and the same bits run to run for a given
// number of ranks (Open MPI picks its reduction algorithm from the rank count and message size
// only).
#pragma once

#include <span>
#include <string>

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
    bool pending() const { return handle_ != 0; }

   private:
    friend class Communicator;
    long handle_ = 0;  // an MPI_Request, kept opaque so this header needs no mpi.h
  };
  Request start_allreduce_sum(std::span<float> values) const;

  void barrier() const;
  // Ends every rank of the job: prints "rank R of P: reason" on stderr, then MPI_Abort(code).
  [[noreturn]] void abort(int code, const std::string& reason) const;

 private:
  int rank_ = 0, size_ = 1;
  bool finalize_ = false;
};

}  // namespace simdgrad::distributed
