#include "simdgrad/distributed/shared_segments.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "distributed/mpi_support.h"
#include "simdgrad/index_range.h"

namespace simdgrad::distributed {
bool SharedSegments::available(const Communicator& communicator) {
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, communicator.rank(),
                            MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int node_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_free(&node);
  // Every rank answers the same, even if the ranks' views of "this machine" differed.
  int here = node_size == communicator.size(), everywhere = 0;
  check(MPI_Allreduce(&here, &everywhere, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
  return everywhere != 0;
}

SharedSegments::SharedSegments(const Communicator& communicator, size_t bytes) {
  if (!available(communicator)) {
    throw std::runtime_error("SharedSegments: the " + std::to_string(communicator.size()) +
                             " processes do not all run on one machine");
  }
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  bytes_ = std::max(page, round_up(bytes, page));
  // Open MPI puts a header of its own before the first segment, so a segment need not start
  // on any boundary: each rank gets 64 bytes more and starts its segment on the first 64-byte
  // boundary. Not contiguous: a rank's segment is then on pages of its own (and, touched first
  // by its rank below, on that rank's NUMA node).
  constexpr size_t kAlign = 64;
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  void* own = nullptr;
  MPI_Win window;
  const int status =
      MPI_Win_allocate_shared(MPI_Aint(bytes_ + kAlign), 1, info, MPI_COMM_WORLD, &own, &window);
  MPI_Info_free(&info);
  check(status, "MPI_Win_allocate_shared");
  window_ = to_opaque(window);
  bases_.resize(size_t(communicator.size()));
  for (int r = 0; r < communicator.size(); ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    void* base = nullptr;
    check(MPI_Win_shared_query(window, r, &size, &unit, &base), "MPI_Win_shared_query");
    const uintptr_t address = reinterpret_cast<uintptr_t>(base);
    const size_t skip = (kAlign - address % kAlign) % kAlign;
    if (size_t(size) < bytes_ + skip) {
      throw std::runtime_error("SharedSegments: rank " + std::to_string(r) + "'s segment has " +
                               std::to_string(size_t(size)) + " bytes, not " +
                               std::to_string(bytes_ + skip));
    }
    bases_[size_t(r)] = static_cast<std::byte*>(base) + skip;
  }
  own = bases_[size_t(communicator.rank())];
  std::memset(own, 0, bytes_);
  communicator.barrier();  // every segment is zero before anyone reads it
}

SharedSegments::~SharedSegments() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  MPI_Win window = from_opaque<MPI_Win>(window_);
  MPI_Win_free(&window);
}

}  // namespace simdgrad::distributed
