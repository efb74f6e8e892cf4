#include <array>
#include <stdexcept>

#include "simdgrad/distributed/communicator.h"

namespace simdgrad::distributed {

void Communicator::require_same_everywhere(uint64_t fingerprint, const std::string& what) const {
  if (size_ == 1) return;
  // In 16-bit pieces, so every sum is exact in a double. The ranks agree exactly when, per
  // piece, the sum is size x the piece and the sum of squares size x its square (the pieces'
  // variance over ranks is then 0).
  std::array<double, 8> sums{};
  for (int i = 0; i < 4; ++i) {
    const double piece = double((fingerprint >> (16 * i)) & 0xffff);
    sums[size_t(i)] = piece;
    sums[size_t(4 + i)] = piece * piece;
  }
  const std::array<double, 8> mine = sums;
  allreduce_sum(sums);
  for (size_t i = 0; i < sums.size(); ++i) {
    if (sums[i] != double(size_) * mine[i]) {
      throw std::runtime_error(what +
                               " differ from another process's: every process of a run "
                               "needs the same flags and the same data files");
    }
  }
}

}  // namespace simdgrad::distributed
