// The MR x NR GEMM micro-kernel, compiled once per Highway target.
//
// Assumptions (see GemmKernels in gemm_kernels.h): A and B arrive packed, A as kc x MR
// (column of a panel contiguous per k), B as kc x NR with NR = kVectors full vectors, B panels
// aligned to the vector size. Every tile is computed in full; padding rows and columns of the
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
                 const TileOutput<T>& out) {
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
    for (size_t v = 0; v < kNV; ++v) b[v] = hn::Load(d, b_panel + k * nr + v * lanes);
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

template <class T>
GemmKernels<T> MakeGemmKernels() {
  const hn::ScalableTag<T> d;
  return GemmKernels<T>{HWY_TARGET, kTileRows, kTileVectors * hn::Lanes(d), &MicroKernel<T>};
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
