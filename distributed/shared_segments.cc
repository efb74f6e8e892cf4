#include "simdgrad/distributed/shared_segments.h"

#include <mpi.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "distributed/mpi_support.h"
#include "simdgrad/index_range.h"

namespace simdgrad::distributed {
namespace {

constexpr size_t kAlign = 64;

// A segment of `bytes`: whole pages, one at the least.
size_t segment_bytes(size_t bytes) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  return std::max(page, round_up(bytes, page));
}

// Where Open MPI keeps the file behind a shared window (osc/sm's backing directory): the MCA
// setting if the environment gives one, else /dev/shm.
std::string backing_directory() {
  const char* chosen = std::getenv("OMPI_MCA_osc_sm_backing_directory");
  return chosen && *chosen ? chosen : "/dev/shm";
}

// Bytes free in the backing directory for an unprivileged writer; kRoomVariable overrides it.
uint64_t room_here() {
  if (const char* set = std::getenv(SharedSegments::kRoomVariable); set && *set)
    return std::strtoull(set, nullptr, 10);
  struct statvfs fs;
  if (statvfs(backing_directory().c_str(), &fs) != 0) return 0;
  return uint64_t(fs.f_bavail) * uint64_t(fs.f_frsize);
}

std::string megabytes(uint64_t bytes) { return std::to_string((bytes + 999999) / 1000000) + " MB"; }

}  // namespace

bool SharedSegments::available(const Communicator& communicator) {
  const MPI_Comm comm = from_opaque<MPI_Comm>(communicator.comm_);
  MPI_Comm node;
  check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, communicator.rank(), MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int node_size = 0;
  const int sized = MPI_Comm_size(node, &node_size);
  check(MPI_Comm_free(&node), "MPI_Comm_free");
  check(sized, "MPI_Comm_size");
  // Every rank answers the same, even if the ranks' views of "this machine" differed.
  int here = node_size == communicator.size(), everywhere = 0;
  check(MPI_Allreduce(&here, &everywhere, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  return everywhere != 0;
}

size_t SharedSegments::footprint(const Communicator& communicator, size_t bytes) {
  // Each rank's window is its segment and the alignment slack, in whole pages.
  return size_t(communicator.size()) * segment_bytes(segment_bytes(bytes) + kAlign);
}

std::string SharedSegments::room_shortage(const Communicator& communicator, size_t bytes) {
  uint64_t room = room_here(), least = 0;
  check(MPI_Allreduce(&room, &least, 1, MPI_UINT64_T, MPI_MIN,
                      from_opaque<MPI_Comm>(communicator.comm_)),
        "MPI_Allreduce");
  const uint64_t needed = footprint(communicator, bytes);
  // A quarter more: MPI's own shared-memory transport keeps its buffers there too.
  if (least >= needed + needed / 4) return "";
  return "shared memory for " + std::to_string(communicator.size()) + " processes needs " +
         megabytes(needed) + " (and a quarter more to spare) in " + backing_directory() +
         ", which has " + megabytes(least) + " free";
}

SharedSegments::SharedSegments(const Communicator& communicator, size_t bytes) {
  if (!available(communicator)) {
    throw std::runtime_error("SharedSegments: the " + std::to_string(communicator.size()) +
                             " processes do not all run on one machine");
  }
  if (const std::string shortage = room_shortage(communicator, bytes); !shortage.empty())
    throw std::runtime_error("SharedSegments: " + shortage);
  bytes_ = segment_bytes(bytes);
  allocate(communicator);
  std::memset(bases_[size_t(communicator.rank())], 0, bytes_);
  sync();
  communicator.barrier();  // every segment is zero before anyone reads it
  sync();
}

void SharedSegments::allocate(const Communicator& communicator) {
  // Open MPI puts a header of its own before the first segment, so a segment need not start
  // on any boundary: each rank gets 64 bytes more and starts its segment on the first 64-byte
  // boundary. Not contiguous: a rank's segment is then on pages of its own (and, touched first
  // by its rank below, on that rank's NUMA node).
  MPI_Info info;
  check(MPI_Info_create(&info), "MPI_Info_create");
  check(MPI_Info_set(info, "alloc_shared_noncontig", "true"), "MPI_Info_set");
  void* own = nullptr;
  MPI_Win window;
  const int status = MPI_Win_allocate_shared(
      MPI_Aint(bytes_ + kAlign), 1, info, from_opaque<MPI_Comm>(communicator.comm_), &own, &window);
  MPI_Info_free(&info);
  check(status, "MPI_Win_allocate_shared");
  window_ = to_opaque(window);
  require_unified_model();
  // One passive-target epoch for the window's whole life, so that MPI_Win_sync may be called
  // (NOCHECK: no rank ever takes a conflicting lock).
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, window), "MPI_Win_lock_all");
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
}

void SharedSegments::require_unified_model() const {
  // Loads and stores of another rank's segment see each other only in the unified model
  // (MPI-3 §11.4): a separate public copy would need MPI calls for every access.
  int* model = nullptr;
  int found = 0;
  MPI_Win window = from_opaque<MPI_Win>(window_);
  check(MPI_Win_get_attr(window, MPI_WIN_MODEL, &model, &found), "MPI_Win_get_attr");
  if (!found || *model != MPI_WIN_UNIFIED) {
    throw std::runtime_error(
        "SharedSegments: this MPI's shared windows are not in the unified memory model, which "
        "sharing gradients through memory needs; exchange them by messages instead");
  }
}

void SharedSegments::sync() const {
  check(MPI_Win_sync(from_opaque<MPI_Win>(window_)), "MPI_Win_sync");
}

SharedSegments::~SharedSegments() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  // Freeing the window is collective: a rank unwinding an exception must not wait for the
  // others, who may be waiting for it. Its mapping goes with the process.
  if (finalized || std::uncaught_exceptions() > 0) return;
  MPI_Win window = from_opaque<MPI_Win>(window_);
  MPI_Win_unlock_all(window);
  MPI_Win_free(&window);
}

}  // namespace simdgrad::distributed
