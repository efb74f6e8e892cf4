// The MR x NR GEMM micro-kernel, compiled once per Highway target.
//
// Assumptions (see GemmKernels in gemm_kernels.h): A arrives packed as kc x MR (the MR values
// of a depth contiguous), B as kc x NR with NR = kVectors full vectors per depth, either packed
// or read in place from a row-major B (any alignment: unaligned loads cost nothing extra on
// current x86 when the data is aligned). Every tile is computed in full; padding rows and columns of the
// panels are zero, so an edge tile computes zeros there and only its store is partial.
//
// Tile shape per target: MR x (kVectors * lanes) accumulators must stay in registers next to
// the kVectors B vectors and one broadcast A value. AVX-512 has 32 vector registers: 8 x 2
// vectors uses 16 accumulators + 3; the 16-register targets (AVX2, SSE4, SSSE3) use 6 x 2 = 12.

#if defined(SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_
#undef SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_
#else
#define SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "lib/gemm/gemm_kernels.h"
#include "lib/gemm/pack_panel.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// SIMDGRAD_AVX3_TILE_ROWS / _VECTORS let bench builds try other AVX-512 tiles.
#ifndef SIMDGRAD_AVX3_TILE_ROWS
#define SIMDGRAD_AVX3_TILE_ROWS 8
#endif
#ifndef SIMDGRAD_AVX3_TILE_VECTORS
#define SIMDGRAD_AVX3_TILE_VECTORS 2
#endif
#if HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
inline constexpr size_t kTileRows = SIMDGRAD_AVX3_TILE_ROWS;
inline constexpr size_t kTileVectors = SIMDGRAD_AVX3_TILE_VECTORS;
#else
inline constexpr size_t kTileRows = 6;
inline constexpr size_t kTileVectors = 2;
#endif

// Writes one full MR x NR tile of accumulators to c (row stride ldc) with the output rules of
// TileOutput. Edge tiles call it on an aligned scratch tile instead of C.
template <size_t kMR, size_t kNV, class D, class V>
HWY_INLINE void StoreTile(D d, const V (&acc)[kMR][kNV], hn::TFromD<D>* c, size_t ldc,
                          const TileOutput<hn::TFromD<D>>& out) {
  const size_t lanes = hn::Lanes(d);
  const V alpha = hn::Set(d, out.alpha);
  const V beta = hn::Set(d, out.beta);
  V bias[kNV];
  for (size_t v = 0; v < kNV; ++v) {
    bias[v] = out.bias ? hn::LoadU(d, out.bias + v * lanes) : hn::Zero(d);
  }
  for (size_t r = 0; r < kMR; ++r) {
    for (size_t v = 0; v < kNV; ++v) {
      hn::TFromD<D>* dst = c + r * ldc + v * lanes;
      V x = hn::Mul(alpha, acc[r][v]);
      if (out.beta != 0) x = hn::MulAdd(beta, hn::LoadU(d, dst), x);
      if (out.bias) x = hn::Add(x, bias[v]);
      if (out.relu) x = hn::Max(x, hn::Zero(d));
      hn::StoreU(x, d, dst);
    }
  }
}

// Edge tile: stage C's valid part (and the bias) in an aligned full tile, store the whole tile
// there with the same arithmetic as a full tile, and copy the valid part back. Out of line, so
// the full-tile path keeps its stack frame (and its zeroing) small.
template <size_t kMR, size_t kNV, class D, class V>
HWY_NOINLINE void StoreEdgeTile(D d, const V (&acc)[kMR][kNV],
                                const TileOutput<hn::TFromD<D>>& out) {
  using T = hn::TFromD<D>;
  constexpr size_t kMaxLanes = hn::MaxLanes(D());
  const size_t nr = kNV * hn::Lanes(d);
  HWY_ALIGN T tile[kMR * kNV * kMaxLanes] = {};
  HWY_ALIGN T bias[kNV * kMaxLanes] = {};
  TileOutput<T> staged = out;
  if (out.bias) {
    std::memcpy(bias, out.bias, out.cols * sizeof(T));
    staged.bias = bias;
  }
  if (out.beta != 0) {
    for (size_t r = 0; r < out.rows; ++r) {
      std::memcpy(tile + r * nr, out.c + r * out.ldc, out.cols * sizeof(T));
    }
  }
  StoreTile(d, acc, tile, nr, staged);
  for (size_t r = 0; r < out.rows; ++r) {
    std::memcpy(out.c + r * out.ldc, tile + r * nr, out.cols * sizeof(T));
  }
}

template <class T>
void MicroKernel(size_t kc, const T* HWY_RESTRICT a_panel, const T* HWY_RESTRICT b_panel,
                 size_t b_stride, const TileOutput<T>& out) {
  constexpr size_t kMR = kTileRows;
  constexpr size_t kNV = kTileVectors;
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t lanes = hn::Lanes(d);
  const size_t nr = kNV * lanes;

  V acc[kMR][kNV];
  for (size_t r = 0; r < kMR; ++r) {
    for (size_t v = 0; v < kNV; ++v) acc[r][v] = hn::Zero(d);
  }
  for (size_t k = 0; k < kc; ++k) {
    V b[kNV];
    for (size_t v = 0; v < kNV; ++v) b[v] = hn::LoadU(d, b_panel + k * b_stride + v * lanes);
    const T* a = a_panel + k * kMR;
#pragma GCC unroll 16
    for (size_t r = 0; r < kMR; ++r) {
      const V a_r = hn::Set(d, a[r]);
      for (size_t v = 0; v < kNV; ++v) acc[r][v] = hn::MulAdd(a_r, b[v], acc[r][v]);
    }
  }
  if (out.rows == kMR && out.cols == nr) {
    StoreTile(d, acc, out.c, out.ldc, out);
  } else {
    StoreEdgeTile(d, acc, out);
  }
}

// The transposing pack, 128 bits at a time: a block of as many rows as a 128-bit vector has
// lanes (4 floats, 2 doubles) and as many depths is loaded row by row, transposed in registers
// and stored depth by depth: about one instruction per element against three or four for the
// scalar element-by-element copy, which made the NT GEMM's packing a quarter of its time.
template <class T>
void PackTransposed(const T* HWY_RESTRICT src, size_t stride, size_t valid, size_t width,
                    size_t depth, T* HWY_RESTRICT dst) {
#if HWY_TARGET == HWY_SCALAR
  pack_panel(src, stride, size_t{1}, valid, width, depth, dst);
#else
  const hn::Full128<T> d;
  using V = hn::Vec<decltype(d)>;
  constexpr size_t kLanes = 16 / sizeof(T);
  const size_t full_depth = depth / kLanes * kLanes;
  for (size_t w0 = 0; w0 < width; w0 += kLanes) {
    const size_t columns = width - w0 < kLanes ? width - w0 : kLanes;  // of dst written
    V rows[kLanes];
    for (size_t k0 = 0; k0 < full_depth; k0 += kLanes) {
      for (size_t i = 0; i < kLanes; ++i) {
        rows[i] = w0 + i < valid ? hn::LoadU(d, src + (w0 + i) * stride + k0) : hn::Zero(d);
      }
      V columns_of[kLanes];
      if constexpr (kLanes == 4) {
        const V t0 = hn::InterleaveLower(d, rows[0], rows[1]);
        const V t1 = hn::InterleaveLower(d, rows[2], rows[3]);
        const V t2 = hn::InterleaveUpper(d, rows[0], rows[1]);
        const V t3 = hn::InterleaveUpper(d, rows[2], rows[3]);
        columns_of[0] = hn::ConcatLowerLower(d, t1, t0);
        columns_of[1] = hn::ConcatUpperUpper(d, t1, t0);
        columns_of[2] = hn::ConcatLowerLower(d, t3, t2);
        columns_of[3] = hn::ConcatUpperUpper(d, t3, t2);
      } else {
        columns_of[0] = hn::InterleaveLower(d, rows[0], rows[1]);
        columns_of[1] = hn::InterleaveUpper(d, rows[0], rows[1]);
      }
      for (size_t k = 0; k < kLanes; ++k) {
        T* out = dst + (k0 + k) * width + w0;
        if (columns == kLanes) {
          hn::StoreU(columns_of[k], d, out);
        } else {
          HWY_ALIGN T staged[kLanes];
          hn::Store(columns_of[k], d, staged);
          for (size_t c = 0; c < columns; ++c) out[c] = staged[c];
        }
      }
    }
  }
  if (full_depth < depth) {
    pack_panel(src + full_depth, stride, size_t{1}, valid, width, depth - full_depth,
               dst + full_depth * width);
  }
#endif
}

// The copying pack with vector loads and stores: a call to memcpy per depth of a 32-float
// panel cost more than the copy itself.
template <class T>
void PackContiguous(const T* HWY_RESTRICT src, size_t stride, size_t valid, size_t width,
                    size_t depth, T* HWY_RESTRICT dst) {
#if HWY_TARGET == HWY_SCALAR
  pack_panel(src, size_t{1}, stride, valid, width, depth, dst);
#else
  const hn::ScalableTag<T> d;
  const hn::Full128<T> d128;
  const size_t lanes = hn::Lanes(d), lanes128 = hn::Lanes(d128);
  if (valid == width && width == kTileVectors * lanes) {
    // A full B panel: a fixed number of vectors per depth (a variable-length copy loop is
    // turned into a memcpy call by the compiler).
    for (size_t k = 0; k < depth; ++k) {
      for (size_t v = 0; v < kTileVectors; ++v) {
        hn::StoreU(hn::LoadU(d, src + k * stride + v * lanes), d, dst + k * width + v * lanes);
      }
    }
    return;
  }
  for (size_t k = 0; k < depth; ++k) {
    const T* in = src + k * stride;
    T* out = dst + k * width;
    size_t w = 0;
    for (; w + lanes <= valid; w += lanes) hn::StoreU(hn::LoadU(d, in + w), d, out + w);
    for (; w + lanes128 <= valid; w += lanes128) hn::StoreU(hn::LoadU(d128, in + w), d128, out + w);
    for (; w < valid; ++w) out[w] = in[w];
    for (; w < width; ++w) out[w] = T(0);
  }
#endif
}

template <class T>
GemmKernels<T> MakeGemmKernels() {
  const hn::ScalableTag<T> d;
  return GemmKernels<T>{HWY_TARGET,       kTileRows,          kTileVectors * hn::Lanes(d),
                        &MicroKernel<T>, &PackContiguous<T>, &PackTransposed<T>};
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
