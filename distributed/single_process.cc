// distributed/ in a build without MPI: the communicator is always a process of its own (rank 0
// of 1), whose sums over the ranks are the values themselves, and no memory is shared between
// processes. Code written for a data-parallel run then runs unchanged as one process.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

#include "distributed/launcher.h"
#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/shared_segments.h"

namespace simdgrad::distributed {

Communicator::Communicator(int*, char***) {
  if (const int launched = launched_processes(); launched > 1) {
    throw std::runtime_error("launched as one of " + std::to_string(launched) +
                             " processes, but simdgrad was built without MPI: install "
                             "libopenmpi-dev and openmpi-bin, then rebuild");
  }
}

Communicator::~Communicator() = default;

void Communicator::allreduce_sum(std::span<float>) const {}
void Communicator::allreduce_sum(std::span<double>) const {}
Communicator::Request Communicator::start_allreduce_sum(std::span<float>) const { return {}; }
Communicator::Request Communicator::start_allreduce_sum(std::span<double>) const { return {}; }
Communicator::Request Communicator::start_allgather_shares(std::span<float>) const { return {}; }
void Communicator::set_peer_timeout(double seconds) {
  if (!(seconds > 0)) throw std::invalid_argument("the peer timeout must be above 0 s");
  peer_timeout_seconds_ = seconds;
}
std::string Communicator::other_ranks() const { return "no other rank"; }
void Communicator::start_reduce_scatter_sum(std::span<float>, std::span<float>,
                                            ReduceScatter&) const {}
void Communicator::allgather_shares(std::span<float>) const {}
void Communicator::barrier() const {}

void Communicator::abort(int code, const std::string& reason) const {
  std::fprintf(stderr, "%s\n", reason.c_str());
  std::exit(code);
}

// Nothing is ever pending: every operation above is done when it returns.
Communicator::Request::Request(Request&&) noexcept {}
Communicator::Request& Communicator::Request::operator=(Request&&) noexcept { return *this; }
Communicator::Request::~Request() = default;
void Communicator::Request::wait() {}
bool Communicator::Request::test() { return true; }

Communicator::ReduceScatter::ReduceScatter(ReduceScatter&&) noexcept {}
Communicator::ReduceScatter& Communicator::ReduceScatter::operator=(ReduceScatter&&) noexcept {
  return *this;
}
Communicator::ReduceScatter::~ReduceScatter() = default;
bool Communicator::ReduceScatter::test() { return true; }
void Communicator::ReduceScatter::wait() {}

bool SharedSegments::available(const Communicator&) { return false; }

SharedSegments::SharedSegments(const Communicator&, size_t) {
  throw std::runtime_error("SharedSegments: simdgrad was built without MPI");
}

SharedSegments::~SharedSegments() = default;
size_t SharedSegments::footprint(const Communicator&, size_t) { return 0; }
std::string SharedSegments::room_shortage(const Communicator&, size_t) {
  return "simdgrad was built without MPI";
}
void SharedSegments::sync() const {}

}  // namespace simdgrad::distributed
