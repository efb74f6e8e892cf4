// The MR x NR GEMM micro-kernel, compiled once per Highway target.
//
// Assumptions (see GemmKernels in gemm_kernels.h): A arrives packed as kc x MR (the MR values
// of a depth contiguous), B as kc x NR with NR = kVectors full vectors per depth, either packed
// or read in place from a row-major B (any alignment: unaligned loads cost nothing extra on
// current x86 when the data is aligned). Every tile is computed in full; padding rows and columns
// of the panels are zero, so an edge tile computes zeros there and only its store is partial.
//
// Tile shape per target: MR x (kVectors * lanes) accumulators must stay in registers next to
// the kVectors B vectors and one broadcast A value. AVX-512 has 32 vector registers: 8 x 2
// vectors uses 16 accumulators + 3; the 16-register targets (AVX2, SSE4, SSSE3) use 6 x 2 = 12;
// aarch64 (NEON, SVE: 32 registers) 8 x 3 = 24.
//
// SVE: its vectors are sizeless, so no arrays of them. The accumulators are named variables;
// the register transposes of the transposing pack and of the Cᵀ epilogue, which hold square
// blocks in arrays, are compiled for fixed-width targets only, and SVE packs those strips
// element by element (pack_panel.h), with the same results.

#if defined(SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_
#undef SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_
#else
#define SIMDGRAD_LIB_GEMM_MICRO_KERNEL_INL_H_
#endif

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "lib/gemm/gemm_kernels.h"
#include "lib/gemm/pack_panel.h"
#include "lib/inline_lambda.h"
#include "lib/prefetch.h"
#include "simdgrad/index_range.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// SIMDGRAD_AVX3_TILE_ROWS / _VECTORS let bench builds try other AVX-512 tiles (up to 8 x 3).
#ifndef SIMDGRAD_AVX3_TILE_ROWS
#define SIMDGRAD_AVX3_TILE_ROWS 8
#endif
#ifndef SIMDGRAD_AVX3_TILE_VECTORS
#define SIMDGRAD_AVX3_TILE_VECTORS 2
#endif
#if HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
inline constexpr size_t kTileRows = SIMDGRAD_AVX3_TILE_ROWS;
inline constexpr size_t kTileVectors = SIMDGRAD_AVX3_TILE_VECTORS;
#elif HWY_ARCH_ARM_A64
// NEON and SVE have 32 vector registers: 8 x 3 accumulators + 3 B vectors + 1 broadcast.
inline constexpr size_t kTileRows = 8;
inline constexpr size_t kTileVectors = 3;
#else
inline constexpr size_t kTileRows = 6;
inline constexpr size_t kTileVectors = 2;
#endif
static_assert(kTileRows <= 8 && kTileVectors <= 3, "the named accumulators cover 8 x 3");

// The tile's accumulators are named variables, not an array: SVE vectors are sizeless and
// cannot form one. ForEachTileRow(f) calls f(row, x0, x1, x2) with row a compile-time
// std::integral_constant and x0..x2 that row's accumulators, for every row of the largest tile
// (8 x 3); f acts on rows below kMR and vectors below kNV only, so the others are never
// touched and the compiler drops them.
template <size_t kRow>
using TileRow = std::integral_constant<size_t, kRow>;

#define SIMDGRAD_TILE_ACCUMULATORS(V, zero)                                             \
  V c00 = zero, c01 = zero, c02 = zero, c10 = zero, c11 = zero, c12 = zero, c20 = zero, \
    c21 = zero, c22 = zero, c30 = zero, c31 = zero, c32 = zero, c40 = zero, c41 = zero, \
    c42 = zero, c50 = zero, c51 = zero, c52 = zero, c60 = zero, c61 = zero, c62 = zero, \
    c70 = zero, c71 = zero, c72 = zero;                                                 \
  const auto for_each_tile_row = [&](const auto& f) SIMDGRAD_INLINE_LAMBDA {            \
    f(TileRow<0>(), c00, c01, c02);                                                     \
    f(TileRow<1>(), c10, c11, c12);                                                     \
    f(TileRow<2>(), c20, c21, c22);                                                     \
    f(TileRow<3>(), c30, c31, c32);                                                     \
    f(TileRow<4>(), c40, c41, c42);                                                     \
    f(TileRow<5>(), c50, c51, c52);                                                     \
    f(TileRow<6>(), c60, c61, c62);                                                     \
    f(TileRow<7>(), c70, c71, c72);                                                     \
  }

// The output rules of a tile (TileOutput without its place), copied into locals: C is written
// through a T*, which could alias `out` as far as the compiler knows, and would make it reload
// them for every vector.
template <class T>
struct TileRules {
  T alpha, beta;
  const T* bias;
  bool relu;
};

// Writes one row of a tile: dst[v*lanes...] = act(alpha*x_v + beta*dst + bias_v), v < kNV.
template <size_t kNV, class D, class V = hn::Vec<D>>
HWY_INLINE void StoreTileRow(D d, V x0, V x1, V x2, hn::TFromD<D>* HWY_RESTRICT dst,
                             const TileRules<hn::TFromD<D>>& rules) {
  using T = hn::TFromD<D>;
  const size_t lanes = hn::Lanes(d);
  const auto store = [&](V x, size_t v) SIMDGRAD_INLINE_LAMBDA {
    T* at = dst + v * lanes;
    x = hn::Mul(hn::Set(d, rules.alpha), x);
    if (rules.beta != T(0)) x = hn::MulAdd(hn::Set(d, rules.beta), hn::LoadU(d, at), x);
    if (rules.bias) x = hn::Add(x, hn::LoadU(d, rules.bias + v * lanes));
    if (rules.relu) x = hn::Max(x, hn::Zero(d));
    hn::StoreU(x, d, at);
  };
  store(x0, 0);
  if constexpr (kNV > 1) store(x1, 1);
  if constexpr (kNV > 2) store(x2, 2);
}

// Edge tile: the accumulators arrive spilled to `spilled` (kMR x kNV vectors, row-major); C's
// valid part (and the bias) is staged in an aligned full tile, the whole tile stored there
// with the same arithmetic as a full tile, and the valid part copied back. Out of line and
// fed from memory, so the full-tile path keeps its accumulators in registers.
template <size_t kMR, size_t kNV, class D>
HWY_NOINLINE void StoreEdgeTile(D d, const hn::TFromD<D>* HWY_RESTRICT spilled,
                                const TileOutput<hn::TFromD<D>>& out) {
  using T = hn::TFromD<D>;
  constexpr size_t kMaxLanes = hn::MaxLanes(D());
  const size_t lanes = hn::Lanes(d);
  const size_t nr = kNV * lanes;
  HWY_ALIGN T tile[kMR * kNV * kMaxLanes] = {};
  HWY_ALIGN T bias[kNV * kMaxLanes] = {};
  if (out.bias) std::memcpy(bias, out.bias, out.cols * sizeof(T));
  if (out.beta != 0) {
    for (size_t r = 0; r < out.rows; ++r) {
      std::memcpy(tile + r * nr, out.c + r * out.ldc, out.cols * sizeof(T));
    }
  }
  const TileRules<T> rules{out.alpha, out.beta, out.bias ? bias : nullptr, out.relu};
  for (size_t r = 0; r < kMR; ++r) {
    const T* row = spilled + r * nr;
    const auto x0 = hn::Load(d, row);
    const auto x1 = kNV > 1 ? hn::Load(d, row + lanes) : x0;
    const auto x2 = kNV > 2 ? hn::Load(d, row + 2 * lanes) : x0;
    StoreTileRow<kNV>(d, x0, x1, x2, tile + r * nr, rules);
  }
  for (size_t r = 0; r < out.rows; ++r) {
    std::memcpy(out.c + r * out.ldc, tile + r * nr, out.cols * sizeof(T));
  }
}

// kNV vectors wide: kTileVectors for the full tile, 1 for a last B panel no wider than one
// vector (784 columns = 24 full panels of 32 + 16: computing that panel at full width wasted
// 2% of the 128x784x784 GEMMs).
//
// kRowMajorA: A's element (k, r) is at a[r * a_stride + k] (op(A) = A read in place); else at
// a[k * a_stride + r] (a packed panel, a_stride = MR, or op(A) = Aᵀ read in place, lda). Two
// instantiations rather than two runtime strides: with both strides variable the compiler
// ran out of registers in the depth loop (2% slower).
//
// Every element of the tile adds its kc products in depth order in one accumulator lane,
// whatever the tile's shape: the shape never changes a result (docs/reproducibility.md).
template <class T, size_t kNV, bool kRowMajorA>
void MicroKernel(size_t kc, const T* HWY_RESTRICT a, size_t a_stride, const T* HWY_RESTRICT b_panel,
                 size_t b_stride, const TileOutput<T>& out) {
  constexpr size_t kMR = kTileRows;
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t lanes = hn::Lanes(d);
  const size_t nr = kNV * lanes;

  SIMDGRAD_TILE_ACCUMULATORS(V, hn::Zero(d));
  // C's tile is needed only after the whole depth loop: ask for its lines now, with intent to
  // write, so the store (and the read when beta != 0) does not wait on L2/L3.
  for (size_t r = 0; r < out.rows; ++r) prefetch_lines<1>(out.c + r * out.ldc, nr * sizeof(T));
  const size_t a_row_stride = kRowMajorA ? a_stride : 1;
  const size_t a_depth_stride = kRowMajorA ? 1 : a_stride;
  for (size_t k = 0; k < kc; ++k) {
    const T* b_k = b_panel + k * b_stride;
    const V b0 = hn::LoadU(d, b_k);
    const V b1 = kNV > 1 ? hn::LoadU(d, b_k + lanes) : b0;
    const V b2 = kNV > 2 ? hn::LoadU(d, b_k + 2 * lanes) : b0;
    const T* a_k = a + k * a_depth_stride;
    for_each_tile_row([&](auto row, V& x0, V& x1, V& x2) SIMDGRAD_INLINE_LAMBDA {
      if constexpr (decltype(row)::value < kMR) {
        const V a_r = hn::Set(d, a_k[decltype(row)::value * a_row_stride]);
        x0 = hn::MulAdd(a_r, b0, x0);
        if constexpr (kNV > 1) x1 = hn::MulAdd(a_r, b1, x1);
        if constexpr (kNV > 2) x2 = hn::MulAdd(a_r, b2, x2);
      }
    });
  }
  if (out.rows == kMR && out.cols == nr) {
    const TileRules<T> rules{out.alpha, out.beta, out.bias, out.relu};
    T* const c = out.c;
    const size_t ldc = out.ldc;
    for_each_tile_row([&](auto row, V& x0, V& x1, V& x2) SIMDGRAD_INLINE_LAMBDA {
      if constexpr (decltype(row)::value < kMR) {
        StoreTileRow<kNV>(d, x0, x1, x2, c + decltype(row)::value * ldc, rules);
      }
    });
  } else {
    HWY_ALIGN T spilled[kMR * kNV * hn::MaxLanes(d)];
    for_each_tile_row([&](auto row, V& x0, V& x1, V& x2) SIMDGRAD_INLINE_LAMBDA {
      if constexpr (decltype(row)::value < kMR) {
        T* to = spilled + decltype(row)::value * nr;
        hn::Store(x0, d, to);
        if constexpr (kNV > 1) hn::Store(x1, d, to + lanes);
        if constexpr (kNV > 2) hn::Store(x2, d, to + 2 * lanes);
      }
    });
    StoreEdgeTile<kMR, kNV>(d, spilled, out);
  }
}

#undef SIMDGRAD_TILE_ACCUMULATORS

#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
// Transposes a square block held in kL vectors of kL lanes: rows[i][j] -> columns[j][i]. The
// steps interleave single lanes (within each 128-bit half), then lane pairs (for 8 lanes),
// then combine vector halves.
template <class D, class V, size_t kL>
HWY_INLINE void TransposeBlock(D d, const V (&rows)[kL], V (&columns)[kL]) {
  if constexpr (kL == 2) {
    columns[0] = hn::InterleaveLower(d, rows[0], rows[1]);
    columns[1] = hn::InterleaveUpper(d, rows[0], rows[1]);
  } else if constexpr (kL == 4) {
    const V t0 = hn::InterleaveLower(d, rows[0], rows[1]);
    const V t1 = hn::InterleaveLower(d, rows[2], rows[3]);
    const V t2 = hn::InterleaveUpper(d, rows[0], rows[1]);
    const V t3 = hn::InterleaveUpper(d, rows[2], rows[3]);
    if constexpr (sizeof(hn::TFromD<D>) == 4) {  // 128 bits: each half of t is one depth
      columns[0] = hn::ConcatLowerLower(d, t1, t0);
      columns[1] = hn::ConcatUpperUpper(d, t1, t0);
      columns[2] = hn::ConcatLowerLower(d, t3, t2);
      columns[3] = hn::ConcatUpperUpper(d, t3, t2);
    } else {  // 256 bits: interleaving is per 128-bit half, so t0's halves hold depths 0 and 2
      columns[0] = hn::ConcatLowerLower(d, t1, t0);
      columns[1] = hn::ConcatLowerLower(d, t3, t2);
      columns[2] = hn::ConcatUpperUpper(d, t1, t0);
      columns[3] = hn::ConcatUpperUpper(d, t3, t2);
    }
  } else {
    static_assert(kL == 8, "8 x 32-bit lanes in 256 bits");
    const hn::Repartition<uint64_t, D> d64;
    const auto lower_pairs = [&](V x, V y) {
      return hn::BitCast(d, hn::InterleaveLower(d64, hn::BitCast(d64, x), hn::BitCast(d64, y)));
    };
    const auto upper_pairs = [&](V x, V y) {
      return hn::BitCast(d, hn::InterleaveUpper(d64, hn::BitCast(d64, x), hn::BitCast(d64, y)));
    };
    V t[8], u[8];
    for (size_t i = 0; i < 8; i += 2) {
      t[i] = hn::InterleaveLower(d, rows[i], rows[i + 1]);      // lanes 0,1 | 4,5 of the pair
      t[i + 1] = hn::InterleaveUpper(d, rows[i], rows[i + 1]);  // lanes 2,3 | 6,7
    }
    for (size_t h = 0; h < 8; h += 4) {            // rows 0-3, then 4-7
      u[h + 0] = lower_pairs(t[h + 0], t[h + 2]);  // k = 0 | 4
      u[h + 1] = upper_pairs(t[h + 0], t[h + 2]);  // k = 1 | 5
      u[h + 2] = lower_pairs(t[h + 1], t[h + 3]);  // k = 2 | 6
      u[h + 3] = upper_pairs(t[h + 1], t[h + 3]);  // k = 3 | 7
    }
    for (size_t k = 0; k < 4; ++k) {
      columns[k] = hn::ConcatLowerLower(d, u[4 + k], u[k]);
      columns[k + 4] = hn::ConcatUpperUpper(d, u[4 + k], u[k]);
    }
  }
}
#endif

// Loads one vector of a strip; with kMasked, lanes whose ReLU mask is not > 0 read as 0 (the
// same select as relu_backward, so the packed values are bitwise those of dY * [Y > 0]).
template <bool kMasked, class D>
HWY_INLINE hn::Vec<D> LoadStrip(D d, const PackStrip<hn::TFromD<D>>& strip, size_t offset,
                                size_t mask_offset) {
  const auto x = hn::LoadU(d, strip.src + offset);
  if constexpr (!kMasked) return x;
  const auto active = hn::Gt(hn::LoadU(d, strip.relu_mask + mask_offset), hn::Zero(d));
  return hn::IfThenElseZero(active, x);
}

// Prefetches the line at column k0 of `rows` rows of x from row `row` on. Past the matrix's
// last row the address is formed as an integer: a prefetch never faults.
template <class T>
HWY_INLINE void PrefetchRowLines(const T* x, size_t stride, size_t row, size_t k0, size_t rows) {
  const uintptr_t base = reinterpret_cast<uintptr_t>(x);
  for (size_t i = 0; i < rows; ++i) {
    hwy::Prefetch(reinterpret_cast<const T*>(base + ((row + i) * stride + k0) * sizeof(T)));
  }
}

#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
// Transposes lanes [0, width) x depths [0, k_end) of the panel in square blocks of d's lane
// count; k_end is a multiple of it, a last block of lanes may be narrower (stores staged).
template <bool kMasked, class D>
HWY_INLINE void PackTransposedBlocks(D d, const PackStrip<hn::TFromD<D>>& strip, size_t valid,
                                     size_t width, size_t k_end, hn::TFromD<D>* HWY_RESTRICT dst) {
  using T = hn::TFromD<D>;
  using V = hn::Vec<D>;
  constexpr size_t kL = hn::MaxLanes(D());
  for (size_t w0 = 0; w0 < width; w0 += kL) {
    const size_t written = width - w0 < kL ? width - w0 : kL;  // lanes of dst in the panel
    for (size_t k0 = 0; k0 < k_end; k0 += kL) {
      V rows[kL], columns[kL];
      // Each source row gives a short run (kc elements), often from its own page, which the
      // hardware prefetcher picks up late: fetch the same line of the next group of rows, and
      // of the mask's. +2-4% on 1024^3 NT, +1% on 128x784x784 NT.
      if (k0 % (64 / sizeof(T)) == 0) {
        PrefetchRowLines(strip.src, strip.stride, w0 + kL, k0, kL);
        if constexpr (kMasked)
          PrefetchRowLines(strip.relu_mask, strip.mask_stride, w0 + kL, k0, kL);
      }
      for (size_t i = 0; i < kL; ++i) {
        const size_t w = w0 + i;
        rows[i] = w < valid ? LoadStrip<kMasked>(d, strip, w * strip.stride + k0,
                                                 w * strip.mask_stride + k0)
                            : hn::Zero(d);
      }
      TransposeBlock(d, rows, columns);
      for (size_t k = 0; k < kL; ++k) {
        T* out = dst + (k0 + k) * width + w0;
        if (written == kL) {
          hn::StoreU(columns[k], d, out);
        } else {
          HWY_ALIGN T staged[kL];
          hn::Store(columns[k], d, staged);
          for (size_t c = 0; c < written; ++c) out[c] = staged[c];
        }
      }
    }
  }
}
#endif

// The transposing pack, a square block at a time: as many rows as a vector has lanes and as
// many depths are loaded row by row, transposed in registers and stored depth by depth. The
// first version moved 128 bits (4 x 4 floats) at a time and took 13% of the NT 128x784x784
// GEMM, bound by instruction count; 8 x 8 blocks in 256 bits need 5 instructions per 8
// elements instead of 4 per 4 (9% of that GEMM). 16 x 16 blocks in 512 bits were no faster
// there and 20% slower on a 1024-float row stride: 16 rows 4 KiB apart overflow the 12 ways of
// an L1 set. The last few depths (on SVE all of them) go to the scalar pack.
template <bool kMasked, class T>
void PackTransposedStrip(const PackStrip<T>& strip, size_t valid, size_t width, size_t depth,
                         T* HWY_RESTRICT dst) {
#if HWY_TARGET == HWY_SCALAR || HWY_HAVE_SCALABLE
  const size_t block_depth = 0;
#else
#if HWY_TARGET <= HWY_AVX2 && HWY_ARCH_X86
  const hn::CappedTag<T, 32 / sizeof(T)> d;
#else
  const hn::Full128<T> d;
#endif
  constexpr size_t kL = hn::MaxLanes(decltype(d)());
  const size_t block_depth = depth / kL * kL;
  PackTransposedBlocks<kMasked>(d, strip, valid, width, block_depth, dst);
#endif
  if (block_depth < depth) {
    pack_panel(strip.src + block_depth, strip.stride, size_t{1}, valid, width, depth - block_depth,
               dst + block_depth * width, kMasked ? strip.relu_mask + block_depth : nullptr,
               strip.mask_stride, size_t{1});
  }
}

// Calls pack(std::true_type) when the strip has a ReLU mask, pack(std::false_type) otherwise:
// the packs are instantiated both ways so the mask test stays out of their loops.
template <class T, class Pack>
HWY_INLINE void WithMaskFlag(const PackStrip<T>& strip, const Pack& pack) {
  if (strip.relu_mask) {
    pack(std::true_type());
  } else {
    pack(std::false_type());
  }
}

template <class T>
void PackTransposed(const PackStrip<T>& strip, size_t valid, size_t width, size_t depth,
                    T* HWY_RESTRICT dst) {
  WithMaskFlag(strip, [&](auto masked) {
    PackTransposedStrip<decltype(masked)::value>(strip, valid, width, depth, dst);
  });
}

// Copies one depth of a panel: `valid` lanes from the strip at `in` (the mask at `mask_in`),
// zeros up to `width`. Full A and B panels copy a fixed number of vectors or bytes, inlined;
// a variable-length copy becomes a memcpy call that costs more than a 32-byte copy.
template <bool kMasked, class T>
HWY_INLINE void CopyPanelDepth(const PackStrip<T>& strip, size_t in, size_t mask_in, size_t valid,
                               size_t width, T* HWY_RESTRICT out) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  if (valid == width && width == kTileVectors * lanes) {
    for (size_t v = 0; v < kTileVectors; ++v) {
      hn::StoreU(LoadStrip<kMasked>(d, strip, in + v * lanes, mask_in + v * lanes), d,
                 out + v * lanes);
    }
  } else if (!kMasked && valid == width && width == kTileRows) {
    std::memcpy(out, strip.src + in, kTileRows * sizeof(T));
  } else {
    // A ragged panel: whole vectors, then lanes one by one, then vectors of zeros (a plain
    // loop here is turned into memmove and memset calls, which cost more than the copy).
    size_t w = 0;
    for (; w + lanes <= valid; w += lanes) {
      hn::StoreU(LoadStrip<kMasked>(d, strip, in + w, mask_in + w), d, out + w);
    }
    for (; w < valid; ++w) {
      const T x = strip.src[in + w];
      out[w] = kMasked && !(strip.relu_mask[mask_in + w] > T(0)) ? T(0) : x;
    }
    for (; w < width && w % lanes != 0; ++w) out[w] = T(0);
    for (; w + lanes <= width; w += lanes) hn::StoreU(hn::Zero(d), d, out + w);
    for (; w < width; ++w) out[w] = T(0);
  }
}

// The copying pack for ceil(valid / width) neighbouring panels at once, depth by depth: each
// depth of the source is one run across all of them. Panel by panel, an A panel (8 floats,
// 32 bytes per depth) read a new line per depth at the source's row stride, and the lines were
// gone before the next panel wanted their other half: 1.3 elements/ns on a 1024 x 1024 TN.
template <bool kMasked, class T>
void PackContiguousStrip(const PackStrip<T>& strip, size_t valid, size_t width, size_t depth,
                         T* HWY_RESTRICT dst) {
  const size_t panels = valid == 0 ? 1 : div_ceil(valid, width);
  // Each depth is a run in a different source row, often in a different 4 KiB page, where the
  // hardware prefetcher does not follow: fetch the runs kPrefetchDepths ahead.
  constexpr size_t kPrefetchDepths = 16;
  const size_t run = panels * width;
  for (size_t k = 0; k < depth; ++k) {
    if (k + kPrefetchDepths < depth) {
      prefetch_lines(strip.src + (k + kPrefetchDepths) * strip.stride, run * sizeof(T));
      if constexpr (kMasked) {
        prefetch_lines(strip.relu_mask + (k + kPrefetchDepths) * strip.mask_stride,
                       run * sizeof(T));
      }
    }
    for (size_t j = 0; j < panels; ++j) {
      const size_t lanes_valid = valid > j * width ? std::min(width, valid - j * width) : 0;
      CopyPanelDepth<kMasked>(strip, k * strip.stride + j * width,
                              k * strip.mask_stride + j * width, lanes_valid, width,
                              dst + j * width * depth + k * width);
    }
  }
}

template <class T>
void PackContiguous(const PackStrip<T>& strip, size_t valid, size_t width, size_t depth,
                    T* HWY_RESTRICT dst) {
  WithMaskFlag(strip, [&](auto masked) {
    PackContiguousStrip<decltype(masked)::value>(strip, valid, width, depth, dst);
  });
}

// out.c = act(alpha * Sᵀ + beta * out.c + bias) over out.rows x out.cols, S being out.cols x
// out.rows with row stride lds: the output pass of a GEMM computed as Cᵀ (gemm.cc). Square
// blocks go through the pack's register transpose and StoreTile's arithmetic; the ragged
// border element by element.
template <class T>
void TransposeEpilogue(const T* HWY_RESTRICT s, size_t lds, const TileOutput<T>& out) {
  const auto store = [&](size_t i, size_t j, T x) {
    T* dst = out.c + i * out.ldc + j;
    x = out.alpha * x;
    if (out.beta != T(0)) x = out.beta * *dst + x;
    if (out.bias) x = x + out.bias[j];
    if (out.relu) x = x > T(0) ? x : T(0);
    *dst = x;
  };
  size_t full_rows = 0, full_cols = 0;
#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
#if HWY_TARGET <= HWY_AVX2 && HWY_ARCH_X86
  const hn::CappedTag<T, 32 / sizeof(T)> d;
#else
  const hn::Full128<T> d;
#endif
  using V = hn::Vec<decltype(d)>;
  constexpr size_t kL = hn::MaxLanes(decltype(d)());
  full_rows = out.rows / kL * kL;
  full_cols = out.cols / kL * kL;
  const V alpha = hn::Set(d, out.alpha), beta = hn::Set(d, out.beta);
  for (size_t i0 = 0; i0 < full_rows; i0 += kL) {
    for (size_t j0 = 0; j0 < full_cols; j0 += kL) {
      V in[kL], rows[kL];
      for (size_t q = 0; q < kL; ++q) in[q] = hn::LoadU(d, s + (j0 + q) * lds + i0);
      TransposeBlock(d, in, rows);
      const V bias = out.bias ? hn::LoadU(d, out.bias + j0) : hn::Zero(d);
      for (size_t p = 0; p < kL; ++p) {
        T* dst = out.c + (i0 + p) * out.ldc + j0;
        V x = hn::Mul(alpha, rows[p]);
        if (out.beta != T(0)) x = hn::MulAdd(beta, hn::LoadU(d, dst), x);
        if (out.bias) x = hn::Add(x, bias);
        if (out.relu) x = hn::Max(x, hn::Zero(d));
        hn::StoreU(x, d, dst);
      }
    }
  }
#endif
  for (size_t i = 0; i < out.rows; ++i) {
    for (size_t j = i < full_rows ? full_cols : 0; j < out.cols; ++j) store(i, j, s[j * lds + i]);
  }
}

template <class T>
GemmKernels<T> MakeGemmKernels() {
  const hn::ScalableTag<T> d;
  return GemmKernels<T>{HWY_TARGET,
                        kTileRows,
                        kTileVectors * hn::Lanes(d),
                        hn::Lanes(d),
                        {{&MicroKernel<T, kTileVectors, false>, &MicroKernel<T, 1, false>},
                         {&MicroKernel<T, kTileVectors, true>, &MicroKernel<T, 1, true>}},
                        &PackContiguous<T>,
                        &PackTransposed<T>,
                        &TransposeEpilogue<T>};
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
