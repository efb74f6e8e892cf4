#include "simdgrad/distributed/communicator.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <stdexcept>
#include <utility>

namespace simdgrad::distributed {
namespace {

static_assert(sizeof(MPI_Request) <= sizeof(long), "an MPI_Request must fit the opaque handle");

MPI_Request to_mpi(long handle) {
  MPI_Request r;
  static_assert(sizeof r <= sizeof handle);
  std::memcpy(&r, &handle, sizeof r);
  return r;
}

long from_mpi(MPI_Request r) {
  long handle = 0;
  std::memcpy(&handle, &r, sizeof r);
  return handle;
}

void check(int status, const char* call) {
  if (status != MPI_SUCCESS) throw std::runtime_error(std::string(call) + " failed with MPI error " + std::to_string(status));
}

}  // namespace

Communicator::Communicator(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    finalize_ = true;
    if (provided < MPI_THREAD_FUNNELED) {
      throw std::runtime_error("this MPI does not support MPI_THREAD_FUNNELED");
    }
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Communicator::~Communicator() {
  if (finalize_) MPI_Finalize();
}

void Communicator::allreduce_sum(std::span<float> values) const {
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
        "MPI_Allreduce");
}

void Communicator::allreduce_sum(std::span<double> values) const {
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
        "MPI_Allreduce");
}

Communicator::Request Communicator::start_allreduce_sum(std::span<float> values) const {
  MPI_Request r;
  check(MPI_Iallreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r),
        "MPI_Iallreduce");
  Request out;
  out.handle_ = from_mpi(r);
  return out;
}

Communicator::Request::Request(Request&& other) noexcept : handle_(std::exchange(other.handle_, 0)) {}

Communicator::Request& Communicator::Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    if (pending()) wait();
    handle_ = std::exchange(other.handle_, 0);
  }
  return *this;
}

Communicator::Request::~Request() {
  if (pending()) wait();
}

void Communicator::Request::wait() {
  if (!pending()) return;
  MPI_Request r = to_mpi(handle_);
  MPI_Wait(&r, MPI_STATUS_IGNORE);
  handle_ = 0;
}

void Communicator::barrier() const { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void Communicator::abort(int code, const std::string& reason) const {
  std::fprintf(stderr, "rank %d of %d: %s\n", rank_, size_, reason.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest if it did
}

}  // namespace simdgrad::distributed
