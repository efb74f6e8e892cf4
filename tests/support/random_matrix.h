// Seeded random test data. Views can be placed at an odd element offset inside a larger
// buffer with a padded stride, to exercise unaligned starts and strided rows.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

#include "simdgrad/matrix.h"

namespace simdgrad::testing {

template <class T>
void fill_uniform(MatrixView<T> m, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  for (size_t r = 0; r < m.rows(); ++r) {
    for (size_t c = 0; c < m.cols(); ++c) m(r, c) = static_cast<T>(dist(rng));
  }
}

// A rows x cols view into owned storage, starting `offset` elements past an aligned start,
// with row stride cols + pad. Storage outside the view is filled with `guard`.
template <class T>
class PlacedMatrix {
 public:
  PlacedMatrix(size_t rows, size_t cols, size_t offset, size_t pad, T guard = T(0))
      : storage_(offset + rows * (cols + pad) + 1, guard),
        rows_(rows),
        cols_(cols),
        offset_(offset),
        stride_(cols + pad) {}
  MatrixView<T> view() { return MatrixView<T>(storage_.data() + offset_, rows_, cols_, stride_); }
  MatrixView<const T> cview() const {
    return MatrixView<const T>(storage_.data() + offset_, rows_, cols_, stride_);
  }
  const std::vector<T>& storage() const { return storage_; }

 private:
  std::vector<T> storage_;
  size_t rows_, cols_, offset_, stride_;
};

}  // namespace simdgrad::testing
