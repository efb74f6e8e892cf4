// Packing: copies a strip of op(A) or op(B) into the panel layout the micro-kernel streams.
//
// A panel is `width` lanes wide (MR for A, NR for B) and `depth` (kc) long, stored depth-major:
// dst[k * width + w]. Source element (w, k) is src[w * stride_w + k * stride_k], which covers
// both operands and both transposes:
//   op(A) = A:  stride_w = lda, stride_k = 1      op(A) = Aᵀ: stride_w = 1,   stride_k = lda
//   op(B) = B:  stride_w = 1,   stride_k = ldb    op(B) = Bᵀ: stride_w = ldb, stride_k = 1
// Lanes w >= valid are zero, so edge tiles compute zeros there. With a ReLU mask (laid out
// like the source, with its own strides) an element whose mask element is not > 0 packs as 0.
#pragma once

#include <cstddef>
#include <cstring>

namespace simdgrad::detail {

template <class T>
void pack_panel(const T* src, size_t stride_w, size_t stride_k, size_t valid, size_t width,
                size_t depth, T* dst, const T* relu_mask = nullptr, size_t mask_stride_w = 0,
                size_t mask_stride_k = 0) {
  const auto element = [&](size_t w, size_t k) {
    const T x = src[w * stride_w + k * stride_k];
    return relu_mask && !(relu_mask[w * mask_stride_w + k * mask_stride_k] > T(0)) ? T(0) : x;
  };
  if (stride_w == 1 && !relu_mask) {
    // Each k is a contiguous run of `valid` source elements.
    for (size_t k = 0; k < depth; ++k) {
      T* out = dst + k * width;
      std::memcpy(out, src + k * stride_k, valid * sizeof(T));
      for (size_t w = valid; w < width; ++w) out[w] = T(0);
    }
    return;
  }
  // Work in slabs of kSlab depths so the slab of dst being scattered into (kSlab x width)
  // stays in L1 while every lane's run is read contiguously (a whole-depth column of dst would
  // span up to depth x width elements).
  constexpr size_t kSlab = 16;
  for (size_t k0 = 0; k0 < depth; k0 += kSlab) {
    const size_t k1 = k0 + kSlab < depth ? k0 + kSlab : depth;
    for (size_t w = 0; w < valid; ++w) {
      for (size_t k = k0; k < k1; ++k) dst[k * width + w] = element(w, k);
    }
    for (size_t w = valid; w < width; ++w) {
      for (size_t k = k0; k < k1; ++k) dst[k * width + w] = T(0);
    }
  }
}

}  // namespace simdgrad::detail
