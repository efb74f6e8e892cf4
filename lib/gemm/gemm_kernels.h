// The per-target GEMM micro-kernel behind gemm.h (BLIS anatomy: the only per-ISA piece).
//
// The driver (gemm.cc) packs op(A) into panels of MR rows and op(B) into panels of NR columns
// (pack_panel.h) and calls micro_kernel once per MR x NR tile of C.
#pragma once

#include <cstddef>
#include <cstdint>

namespace simdgrad::detail {

// Where and how a micro-kernel writes its MR x NR tile of accumulated products `acc`.
template <class T>
struct TileOutput {
  T* c;         // top-left element of the tile in C
  size_t ldc;   // row stride of C
  size_t rows;  // valid rows (<= MR); the rest of the tile is padding
  size_t cols;  // valid columns (<= NR)
  T alpha;
  T beta;         // C = alpha*acc + beta*C; beta == 0: C is not read
  const T* bias;  // nullptr, or the bias entries of the tile's columns
  bool relu;      // apply max(., 0) after the bias
};

// A strip of op(A) or op(B) to pack: its first element and the row stride that is not 1, and
// optionally a ReLU mask laid out like it (with its own row stride): an element whose mask
// element is not > 0 packs as 0. That forms dZ = dY * [Y > 0] of a ReLU layer's backward while
// dY is packed, without writing dZ.
template <class T>
struct PackStrip {
  const T* src;
  size_t stride;
  const T* relu_mask = nullptr;
  size_t mask_stride = 0;
};

template <class T>
struct GemmKernels {
  int64_t target;  // HWY_TARGET the table was compiled for
  size_t mr;       // rows of a tile (and of a packed A panel)
  size_t nr;       // columns of a tile (and of a packed B panel), a multiple of the lanes
  size_t lanes;    // columns of the one-vector tile of micro_kernel_one_vector
  // micro_kernels[a_layout][tile]: C's MR x NR tile (tile 0) or MR x lanes tile (tile 1, for
  // a last panel of C with at most `lanes` valid columns; it reads the first `lanes` columns
  // of the B panel) += A's tile times B's, over kc depths.
  // A's element (k, r): a_layout 0 at a[k*a_stride + r], a packed panel (a_stride = MR,
  // padding rows zero) or op(A) = Aᵀ read in place (lda); a_layout 1 at a[r*a_stride + k],
  // op(A) = A read in place. In place only for full tiles: every row is read.
  // B's element (k, c) at b_panel[k*b_stride + c]: a packed panel (b_stride = NR, padding
  // columns zero) or, for a full-width strip of a row-major op(B), B itself (its row stride).
  using MicroKernel = void (*)(size_t kc, const T* a, size_t a_stride, const T* b_panel,
                               size_t b_stride, const TileOutput<T>& out);
  MicroKernel micro_kernels[2][2];
  // Packs a strip whose lanes are contiguous in memory (the copying case of pack_panel.h):
  // dst[k*width + w] = src[k*stride + w] for w < valid, 0 for valid <= w < width. `valid` may
  // exceed `width`: then ceil(valid / width) neighbouring panels are packed, panel j at
  // dst + j*width*depth, all in one pass over the source.
  void (*pack_contiguous)(const PackStrip<T>& strip, size_t valid, size_t width, size_t depth,
                          T* dst);
  // Packs a strip whose lanes run along memory rows (the transposing case of pack_panel.h):
  // dst[k*width + w] = src[w*stride + k] for w < valid, 0 for valid <= w < width.
  void (*pack_transposed)(const PackStrip<T>& strip, size_t valid, size_t width, size_t depth,
                          T* dst);
  // out.c = act(alpha * Sᵀ + beta * out.c + bias) over out.rows x out.cols of C, where S is
  // out.cols x out.rows (row stride lds) and bias holds the entries of out's columns: the
  // output pass of a GEMM computed transposed.
  void (*transpose_epilogue)(const T* s, size_t lds, const TileOutput<T>& out);
};

const GemmKernels<float>& gemm_kernels_f32();
const GemmKernels<double>& gemm_kernels_f64();

template <class T>
const GemmKernels<T>& gemm_kernels() {
  if constexpr (sizeof(T) == 4) {
    return gemm_kernels_f32();
  } else {
    return gemm_kernels_f64();
  }
}

}  // namespace simdgrad::detail
