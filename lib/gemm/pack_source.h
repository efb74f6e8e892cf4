// The packing view of an operand: where op(X)'s lanes and depths are in memory (and in its
// optional ReLU mask), and the call that packs neighbouring panels of it with the target's
// vector packs. Used by the GEMM driver (gemm.cc).
#pragma once

#include <algorithm>
#include <cstddef>

#include "lib/gemm/gemm_kernels.h"
#include "lib/gemm/pack_panel.h"
#include "simdgrad/matrix.h"

namespace simdgrad::detail {

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
void pack_panels(const GemmKernels<T>& kernels, const PackSource<T>& source, size_t w, size_t k,
                 size_t valid, size_t width, size_t depth, T* dst) {
  if (source.stride_w == 1) {
    kernels.pack_contiguous(
        {source.at(w, k), source.stride_k, source.mask_at(w, k), source.mask_stride_k}, valid,
        width, depth, dst);
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
      pack_panel(source.at(w + done, k), source.stride_w, source.stride_k, lanes, width, depth,
                 panel, source.mask_at(w + done, k), source.mask_stride_w, source.mask_stride_k);
    }
  }
}

// Panels per packing task: enough that a copying pack reads at least 4 cache lines of each
// source row in one run.
constexpr size_t panels_per_pack_task(size_t width, size_t element_size) {
  return std::max<size_t>(1, 256 / (width * element_size));
}

}  // namespace simdgrad::detail
