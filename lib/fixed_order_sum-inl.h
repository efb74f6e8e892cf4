// SIMD accumulation into the fixed partial sums of fixed_order_sum.h, compiled once per target.
//
// Two ways to feed the partials, with the same arithmetic:
// - AccumulateInFixedOrder(d, x, n, ...) reduces an array: on fixed-width targets the partials
//   live in kPartialSums / Lanes(d) registers; on scalable ones (SVE, whose vectors cannot form
//   arrays) in memory.
// - PartialSums takes one vector at a time, for kernels that sum as they stream (the
//   optimizer's sum of g², the loss's sums): the partials live in memory, the vector at
//   position v of the stream goes to partials [(v * lanes) mod P, + lanes).
// A last, partial vector is padded with the reduction's neutral element: a partial sum starts
// at +0 and can never become -0, so adding +0 padding leaves it unchanged, and a padded block
// and a padded vector give the same bits.

#if defined(SIMDGRAD_LIB_FIXED_ORDER_SUM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDGRAD_LIB_FIXED_ORDER_SUM_INL_H_
#undef SIMDGRAD_LIB_FIXED_ORDER_SUM_INL_H_
#else
#define SIMDGRAD_LIB_FIXED_ORDER_SUM_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "lib/fixed_order_sum.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Adds x[0, n) into partials[0, kPartialSums<T>) (already holding their start values) with
// step(partial, v) per vector; the tail is padded with `pad`.
template <class D, class Step>
HWY_INLINE void AccumulateInFixedOrder(D d, const hn::TFromD<D>* HWY_RESTRICT x, size_t n,
                                       const Step& step, hn::TFromD<D>* HWY_RESTRICT partials,
                                       hn::TFromD<D> pad) {
  using T = hn::TFromD<D>;
  constexpr size_t kP = kPartialSums<T>;
  const size_t lanes = hn::Lanes(d);
  HWY_DASSERT(kP % lanes == 0);
  HWY_ALIGN T tail[kP];
  const size_t whole = n / kP * kP;
  if (whole < n) {
    std::memcpy(tail, x + whole, (n - whole) * sizeof(T));
    for (size_t i = n - whole; i < kP; ++i) tail[i] = pad;
  }
#if HWY_HAVE_SCALABLE
  const auto add_block = [&](const T* block) HWY_ATTR {
    for (size_t j = 0; j < kP; j += lanes) {
      hn::Store(step(hn::Load(d, partials + j), hn::LoadU(d, block + j)), d, partials + j);
    }
  };
  for (size_t i = 0; i < whole; i += kP) add_block(x + i);
  if (whole < n) add_block(tail);
#else
  constexpr size_t kAccumulators = kP / hn::MaxLanes(D());
  hn::Vec<D> acc[kAccumulators];
#pragma GCC unroll 64
  for (size_t j = 0; j < kAccumulators; ++j) acc[j] = hn::Load(d, partials + j * lanes);
  for (size_t i = 0; i < whole; i += kP) {
#pragma GCC unroll 64
    for (size_t j = 0; j < kAccumulators; ++j)
      acc[j] = step(acc[j], hn::LoadU(d, x + i + j * lanes));
  }
  if (whole < n) {
#pragma GCC unroll 64
    for (size_t j = 0; j < kAccumulators; ++j) acc[j] = step(acc[j], hn::Load(d, tail + j * lanes));
  }
#pragma GCC unroll 64
  for (size_t j = 0; j < kAccumulators; ++j) hn::Store(acc[j], d, partials + j * lanes);
#endif
}

// step per vector, then the fixed fold with the scalar `combine`; every partial starts at
// `start` and the tail is padded with it.
template <class T, class Step, class Combine>
HWY_INLINE T ReduceInFixedOrder(const T* x, size_t n, const Step& step, const Combine& combine,
                                T start = 0) {
  const hn::ScalableTag<T> d;
  HWY_ALIGN T partials[kPartialSums<T>];
  for (T& p : partials) p = start;
  AccumulateInFixedOrder(d, x, n, step, partials, start);
  return fold_partials(partials, combine);
}

// Partial sums fed one vector at a time (the stream's vectors in order, the last one padded
// with zeros): Total() is bitwise ReduceInFixedOrder over the same elements.
template <class D>
class PartialSums {
 public:
  using T = hn::TFromD<D>;
  explicit PartialSums(D d) : lanes_(hn::Lanes(d)) {
    for (T& p : partials_) p = T(0);
  }
  // Adds v*v (as sum_squares does) or v (as sum does) to the next vector of partials.
  template <class V>
  HWY_INLINE void AddSquare(D d, V v) {
    T* p = Next();
    hn::Store(hn::MulAdd(v, v, hn::Load(d, p)), d, p);
  }
  template <class V>
  HWY_INLINE void Add(D d, V v) {
    T* p = Next();
    hn::Store(hn::Add(hn::Load(d, p), v), d, p);
  }
  // Adds the squares of x[0, whole), whole being n rounded down to whole blocks of the
  // partials, and calls each(i, v) on every vector v = x[i, i + lanes); returns whole. Only at
  // the start of a stream. AccumulateInFixedOrder keeps the partials in registers through the
  // blocks: through memory, a square waited on the store of the partial it adds to, and the
  // RMSprop pass took 1.3-1.4x as long as without its sum.
  template <class Each>
  HWY_INLINE size_t AddSquaresOfBlocks(D d, const T* HWY_RESTRICT x, size_t n, const Each& each) {
    const size_t whole = n / kPartialSums<T> * kPartialSums<T>;
    size_t at = 0;  // the blocks' vectors come in stream order
    const auto square_step = [&](hn::Vec<D> partial, hn::Vec<D> v) HWY_ATTR {
      each(at, v);
      at += lanes_;
      return hn::MulAdd(v, v, partial);
    };
    AccumulateInFixedOrder(d, x, whole, square_step, partials_, T(0));
    return whole;
  }
  T Total() {
    return fold_partials(partials_, [](T a, T b) { return a + b; });
  }

 private:
  HWY_INLINE T* Next() {
    T* p = partials_ + offset_;
    offset_ += lanes_;
    if (offset_ == kPartialSums<T>) offset_ = 0;
    return p;
  }

  HWY_ALIGN T partials_[kPartialSums<T>];
  size_t lanes_;
  size_t offset_ = 0;
};

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
