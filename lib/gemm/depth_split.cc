#include "lib/gemm/depth_split.h"

#include <algorithm>

#include "lib/gemm/pack_buffer.h"
#include "lib/machine/denormals.h"
#include "lib/parallel_segments.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/index_range.h"

namespace simdgrad::detail {
namespace {

// The later groups' products take at most this much memory (all blocks but the first are
// provided for, whatever team the parallel region gets): the input gradient of training
// (128 x 784, 4 depth blocks) needs 1.2 MB in float.
constexpr size_t kMaxProductBytes = size_t{4} << 20;

// A group may take up to a tenth more than an even share of the depth.
bool balanced(size_t k, size_t kc, size_t blocks, size_t groups) {
  size_t deepest = 0;
  for (size_t g = 0; g < groups; ++g) {
    const IndexRange mine = balanced_part(blocks, g, groups);
    deepest = std::max(deepest, std::min(mine.end * kc, k) - mine.begin * kc);
  }
  return deepest * groups * 10 <= k * 11;
}

template <class T>
struct DepthSplit {
  Transpose transpose_a;
  T alpha;
  MatrixView<const T> a, b, mask;
  T beta;
  MatrixView<T> c;
  size_t kc, nr, blocks;
  T* products;  // blocks - 1 matrices of C's shape, dense
};

// The product of depth block `block` over C's columns [col, col + cols) into `to` (C or a
// buffer): gemm() on the calling thread alone, as it runs inside a parallel region.
template <class T>
void multiply_block(const DepthSplit<T>& s, size_t block, size_t col, size_t cols, T beta,
                    MatrixView<T> to) {
  const size_t m = s.c.rows(), k0 = block * s.kc;
  const size_t depth = std::min(s.kc, s.b.rows() - k0);
  const bool ta = s.transpose_a == Transpose::kYes;
  const auto slice = [&](MatrixView<const T> x) {
    return x.empty() ? x : ta ? x.block(k0, 0, depth, m) : x.block(0, k0, m, depth);
  };
  gemm(s.transpose_a, Transpose::kNo, s.alpha, slice(s.a), s.b.block(k0, col, depth, cols), beta,
       to.block(0, col, m, cols), {}, {slice(s.mask)});
}

template <class T>
MatrixView<T> product_buffer(const DepthSplit<T>& s, size_t index) {
  const size_t m = s.c.rows(), n = s.c.cols();
  return MatrixView<T>(s.products + index * m * n, m, n, n);
}

// Member `id` of `size`: its group's blocks over its share of the column panels, then (after
// the team's barrier) its rows of C plus the buffered products in block order.
template <class T>
void run_member(const DepthSplit<T>& s, int id, int size) {
  const size_t m = s.c.rows(), n = s.c.cols(), k = s.b.rows();
  const size_t groups = depth_groups(k, s.kc, size_t(size));
  const size_t group = size_t(id) * groups / size_t(size);  // groups divides the team
  const IndexRange members = balanced_part(size_t(size), group, groups);
  const IndexRange panels =
      balanced_part(div_ceil(n, s.nr), size_t(id) - members.begin, members.size());
  const size_t col = panels.begin * s.nr, cols = std::min(panels.end * s.nr, n) - col;
  const size_t first_group_blocks = balanced_part(s.blocks, 0, groups).size();
  const IndexRange blocks = balanced_part(s.blocks, group, groups);
  for (size_t block = blocks.begin; cols > 0 && block < blocks.end; ++block) {
    if (group == 0) {
      multiply_block(s, block, col, cols, block == 0 ? s.beta : T(1), s.c);
    } else {
      multiply_block(s, block, col, cols, T(0), product_buffer(s, block - first_group_blocks));
    }
  }
  if (groups == 1) return;  // the same on every member
#pragma omp barrier
  const FlushDenormals flush_denormals;  // as in the micro-kernel's stores
  const IndexRange rows = balanced_part(m, size_t(id), size_t(size));
  const MatrixView<T> mine = s.c.block(rows.begin, 0, rows.size(), n);
  for (size_t block = first_group_blocks; block < s.blocks; ++block) {
    const MatrixView<T> product = product_buffer(s, block - first_group_blocks);
    add<T>(mine, product.block(rows.begin, 0, rows.size(), n), mine);
  }
}

}  // namespace

size_t depth_groups(size_t k, size_t kc, size_t team) {
  const size_t blocks = div_ceil(k, kc);
  for (size_t g = std::min(team, blocks); g > 1; --g) {
    if (team % g == 0 && balanced(k, kc, blocks, g)) return g;
  }
  return 1;
}

bool splits_depth(bool b_in_place, bool has_epilogue, size_t m, size_t n, size_t k, size_t kc,
                  size_t element_size, size_t team) {
  // depth_groups() > 1 implies a team and at least two blocks.
  const size_t later_products = div_ceil(k, kc) - 1;
  return b_in_place && !has_epilogue && later_products * m * n * element_size <= kMaxProductBytes &&
         depth_groups(k, kc, team) > 1;
}

template <class T>
void gemm_split_depth(Transpose transpose_a, T alpha, MatrixView<const T> a, MatrixView<const T> b,
                      T beta, MatrixView<T> c, MatrixView<const T> a_relu_mask, size_t kc,
                      size_t nr) {
  const size_t blocks = div_ceil(b.rows(), kc);
  thread_local PackBuffer<T> products;
  const DepthSplit<T> split{transpose_a,
                            alpha,
                            a,
                            b,
                            a_relu_mask,
                            beta,
                            c,
                            kc,
                            nr,
                            blocks,
                            products.reserve((blocks - 1) * c.rows() * c.cols())};
  run_on_team(true, [&](int id, int size) { run_member(split, id, size); });
}

template void gemm_split_depth<float>(Transpose, float, MatrixView<const float>,
                                      MatrixView<const float>, float, MatrixView<float>,
                                      MatrixView<const float>, size_t, size_t);
template void gemm_split_depth<double>(Transpose, double, MatrixView<const double>,
                                       MatrixView<const double>, double, MatrixView<double>,
                                       MatrixView<const double>, size_t, size_t);

}  // namespace simdgrad::detail
