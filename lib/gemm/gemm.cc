// The GEMM driver: blocking, packing and threading around the per-target micro-kernel.
//
// The five loops of BLIS: JC (NC columns of C) > PC (KC of the depth) > IC (MC rows) > JR (NR)
// > IR (MR). B's KC x NC block is packed once per (JC, PC), A's MC x KC block once per IC, and
// the team splits the packing and the JR x IR tiles. PC is never split: every element of C
// sums its K products in the same order, whatever the thread count.
#include "lib/gemm/gemm.h"

#include <omp.h>

#include <algorithm>
#include <string>

#include "lib/aligned_memory.h"
#include "lib/denormals.h"
#include "lib/elementwise.h"
#include "lib/gemm/blocking.h"
#include "lib/gemm/gemm_kernels.h"
#include "lib/gemm/pack_panel.h"
#include "lib/threading.h"

namespace simdgrad {
namespace {

// Below this many multiply-adds a fork/join costs more than it saves; the tiles are the same.
constexpr size_t kParallelMinMultiplyAdds = size_t{1} << 18;

// A row-major op(B) is read in place, without packing its full-width panels, when few A panels
// reuse each B panel (M small): then copying B costs more than the strided reads it saves.
#ifndef SIMDGRAD_B_IN_PLACE_MAX_ROWS
#define SIMDGRAD_B_IN_PLACE_MAX_ROWS 256
#endif
constexpr size_t kBInPlaceMaxRows = SIMDGRAD_B_IN_PLACE_MAX_ROWS;

// Packing buffers of the calling thread; they only grow, so steady-state training does not
// allocate here.
template <class T>
class PackBuffer {
 public:
  T* reserve(size_t elements) {
    if (elements > capacity_) {
      data_ = allocate_aligned<T>(elements);
      capacity_ = elements;
    }
    return data_.get();
  }

 private:
  hwy::AlignedFreeUniquePtr<T[]> data_;
  size_t capacity_ = 0;
};

// op(X) as (pointer, stride along the panel's width, stride along the depth K), and an
// optional ReLU mask laid out like X (its own row stride, the same roles).
template <class T>
struct PackSource {
  const T* data;
  size_t stride_w;
  size_t stride_k;
  const T* relu_mask = nullptr;
  size_t mask_stride_w = 0;
  size_t mask_stride_k = 0;
  const T* at(size_t w, size_t k) const { return data + w * stride_w + k * stride_k; }
  const T* mask_at(size_t w, size_t k) const {
    return relu_mask ? relu_mask + w * mask_stride_w + k * mask_stride_k : nullptr;
  }
};

// The packing view of a stored matrix (and its optional mask): its panels' lanes run along
// its rows in memory (lanes_contiguous: op(A) = Aᵀ, op(B) = B) or down its columns.
template <class T>
PackSource<T> pack_source(MatrixView<const T> x, bool lanes_contiguous,
                          MatrixView<const T> relu_mask) {
  const size_t s = x.stride(), ms = relu_mask.empty() ? 0 : relu_mask.stride();
  return PackSource<T>{x.data(),
                       lanes_contiguous ? 1 : s,
                       lanes_contiguous ? s : 1,
                       relu_mask.empty() ? nullptr : relu_mask.data(),
                       lanes_contiguous ? 1 : ms,
                       lanes_contiguous ? ms : 1};
}

// Packs the panels of `valid` lanes starting at lane w (ceil(valid / width) panels, the last
// zero-padded) with the target's vector packs: neighbouring panels in one pass when their
// lanes are contiguous in memory, a transpose per panel when they run along memory rows.
template <class T>
void pack_panels(const detail::GemmKernels<T>& kernels, const PackSource<T>& source, size_t w,
                 size_t k, size_t valid, size_t width, size_t depth, T* dst) {
  if (source.stride_w == 1) {
    kernels.pack_contiguous({source.at(w, k), source.stride_k, source.mask_at(w, k),
                             source.mask_stride_k},
                            valid, width, depth, dst);
    return;
  }
  for (size_t done = 0; done < valid; done += width) {
    const size_t lanes = std::min(width, valid - done);
    T* const panel = dst + done * depth;
    if (source.stride_k == 1) {
      kernels.pack_transposed({source.at(w + done, k), source.stride_w, source.mask_at(w + done, k),
                               source.mask_stride_w},
                              lanes, width, depth, panel);
    } else {
      detail::pack_panel(source.at(w + done, k), source.stride_w, source.stride_k, lanes, width,
                         depth, panel, source.mask_at(w + done, k), source.mask_stride_w,
                         source.mask_stride_k);
    }
  }
}

// Panels per packing task: enough that a copying pack reads at least 4 cache lines of each
// source row in one run.
constexpr size_t panels_per_pack_task(size_t width, size_t element_size) {
  return std::max<size_t>(1, 256 / (width * element_size));
}

template <class T>
std::string operand_shape(const char* name, Transpose t, MatrixView<const T> x) {
  return std::string(name) + " " + shape_string(x) + (t == Transpose::kYes ? " transposed" : "");
}

// C = act(beta*C + bias) for the cases with no products to add (K == 0 or alpha == 0).
template <class T>
void scale_and_epilogue(T beta, MatrixView<T> c, const GemmEpilogue<T>& epilogue) {
  if (beta == T(0)) {
    fill(c, T(0));
  } else if (beta != T(1)) {
    scale(beta, MatrixView<const T>(c), c);
  }
  if (!epilogue.bias.empty()) add_row_vector(epilogue.bias, c);
  if (epilogue.activation == Activation::kRelu) relu(MatrixView<const T>(c), c);
}

}  // namespace

template <class T>
void gemm(Transpose transpose_a, Transpose transpose_b, T alpha, MatrixView<const T> a,
          MatrixView<const T> b, T beta, MatrixView<T> c, const GemmEpilogue<T>& epilogue,
          const GemmPrologue<T>& prologue) {
  const bool ta = transpose_a == Transpose::kYes;
  const bool tb = transpose_b == Transpose::kYes;
  const size_t m = ta ? a.cols() : a.rows();
  const size_t k = ta ? a.rows() : a.cols();
  const size_t kb = tb ? b.cols() : b.rows();
  const size_t n = tb ? b.rows() : b.cols();
  if (k != kb || c.rows() != m || c.cols() != n) {
    throw std::invalid_argument("gemm: shapes do not chain, " + operand_shape("A", transpose_a, a) +
                                " times " + operand_shape("B", transpose_b, b) + " into C " +
                                shape_string(c));
  }
  if (!epilogue.bias.empty() && (epilogue.bias.rows() != 1 || epilogue.bias.cols() != n)) {
    throw std::invalid_argument("gemm: bias must be 1x" + std::to_string(n) + ", got " +
                                shape_string(epilogue.bias));
  }
  const MatrixView<const T> mask = prologue.a_relu_mask;
  if (!mask.empty() && (mask.rows() != a.rows() || mask.cols() != a.cols())) {
    throw std::invalid_argument("gemm: the ReLU mask of A must have A's shape " + shape_string(a) +
                                ", got " + shape_string(mask));
  }
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) return scale_and_epilogue(beta, c, epilogue);

  const detail::GemmKernels<T>& kernels = detail::gemm_kernels<T>();
  const size_t mr = kernels.mr, nr = kernels.nr;
  const detail::Blocking block = detail::choose_blocking(m, n, k, mr, nr, sizeof(T));
  thread_local PackBuffer<T> a_buffer, b_buffer;
  T* const packed_a = a_buffer.reserve(block.mc * block.kc);
  T* const packed_b = b_buffer.reserve(block.nc * block.kc);

  const PackSource<T> source_a = pack_source(a, ta, prologue.a_relu_mask);
  const PackSource<T> source_b = pack_source(b, !tb, MatrixView<const T>());
  const T* const bias = epilogue.bias.empty() ? nullptr : epilogue.bias.data();
  const bool relu = epilogue.activation == Activation::kRelu;
  const bool parallel = !omp_in_parallel() && m * n * k >= kParallelMinMultiplyAdds;
  const bool b_in_place = source_b.stride_w == 1 && m <= kBInPlaceMaxRows;
  const size_t a_task = panels_per_pack_task(mr, sizeof(T));
  const size_t b_task = panels_per_pack_task(nr, sizeof(T));

#pragma omp parallel if (parallel)
  {
    const FlushDenormals flush_denormals;  // on every worker, restored when the team is done
#pragma omp single nowait
    record_team_size(omp_get_num_threads());

    for (size_t jc = 0; jc < n; jc += block.nc) {
      const size_t nc = std::min(block.nc, n - jc);
      const size_t n_panels = (nc + nr - 1) / nr;
      for (size_t pc = 0; pc < k; pc += block.kc) {
        const size_t kc = std::min(block.kc, k - pc);
        const bool first_depth_block = pc == 0;
        const bool last_depth_block = pc + kc == k;

        // Full panels of an in-place B are read by the micro-kernel; only a ragged last one
        // is packed.
        const size_t first_packed_b = b_in_place ? nc / nr : 0;
#pragma omp for schedule(static)
        for (size_t q = first_packed_b; q < n_panels; q += b_task) {
          const size_t col = q * nr;
          pack_panels(kernels, source_b, jc + col, pc, std::min(b_task * nr, nc - col), nr, kc,
                      packed_b + q * nr * kc);
        }

        for (size_t ic = 0; ic < m; ic += block.mc) {
          const size_t mc = std::min(block.mc, m - ic);
          const size_t m_panels = (mc + mr - 1) / mr;

#pragma omp for schedule(static)
          for (size_t p = 0; p < m_panels; p += a_task) {
            const size_t row = p * mr;
            pack_panels(kernels, source_a, ic + row, pc, std::min(a_task * mr, mc - row), mr, kc,
                        packed_a + p * mr * kc);
          }

          // Tiles in JR-major order: a thread's contiguous share reuses each B panel across
          // the A panels while it is hot in L1.
#pragma omp for schedule(static)
          for (size_t t = 0; t < n_panels * m_panels; ++t) {
            const size_t q = t / m_panels, p = t % m_panels;
            const size_t row = ic + p * mr, col = jc + q * nr;
            const detail::TileOutput<T> out{
                c.row(row) + col,
                c.stride(),
                std::min(mr, m - row),
                std::min(nr, n - col),
                alpha,
                first_depth_block ? beta : T(1),
                last_depth_block && bias ? bias + col : nullptr,
                last_depth_block && relu};
            const bool in_place = b_in_place && q * nr + nr <= nc;
            const auto micro_kernel = out.cols <= kernels.lanes ? kernels.micro_kernel_one_vector
                                                                : kernels.micro_kernel;
            micro_kernel(kc, packed_a + p * mr * kc,
                         in_place ? source_b.at(col, pc) : packed_b + q * nr * kc,
                         in_place ? source_b.stride_k : nr, out);
          }
        }
      }
    }
  }
}

template void gemm<float>(Transpose, Transpose, float, MatrixView<const float>,
                          MatrixView<const float>, float, MatrixView<float>,
                          const GemmEpilogue<float>&, const GemmPrologue<float>&);
template void gemm<double>(Transpose, Transpose, double, MatrixView<const double>,
                           MatrixView<const double>, double, MatrixView<double>,
                           const GemmEpilogue<double>&, const GemmPrologue<double>&);

}  // namespace simdgrad
