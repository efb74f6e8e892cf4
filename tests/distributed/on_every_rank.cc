#include "tests/distributed/on_every_rank.h"

#include <mpi.h>

#include <vector>

namespace simdgrad::testing {

std::string failures_on_every_rank(const std::string& failure) {
  int ranks = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int length = int(failure.size());
  std::vector<int> lengths(static_cast<size_t>(ranks)), offsets(lengths.size());
  MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int q = 0; q < ranks; ++q) {
    offsets[size_t(q)] = total;
    total += lengths[size_t(q)];
  }
  std::string all(size_t(total), '\0');
  MPI_Allgatherv(failure.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                 MPI_CHAR, MPI_COMM_WORLD);
  std::string out;
  for (int q = 0; q < ranks; ++q) {
    if (lengths[size_t(q)] == 0) continue;
    out += "rank " + std::to_string(q) + ": " +
           all.substr(size_t(offsets[size_t(q)]), size_t(lengths[size_t(q)])) + "\n";
  }
  return out;
}

}  // namespace simdgrad::testing
