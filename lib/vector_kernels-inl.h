// SIMD bodies of the VectorKernels table (vector_kernels.h), compiled once per Highway target.
//
// Assumptions: pointers may be unaligned and n may be any size. Full vectors use LoadU/StoreU;
// the ragged tail is staged through aligned stack buffers, because Highway 1.0.3's MaskedLoad
// is a full Load plus a mask and faults on a tail that ends at a page boundary (SSSE3/SSE4).
// Staging keeps the tail on the same vector arithmetic (same FMAs) as the body, so a result
// never depends on where an element falls relative to the vector boundary.

// Per-target include guard, as Highway's foreach_target.h requires.
#if defined(SIMDGRAD_LIB_VECTOR_KERNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDGRAD_LIB_VECTOR_KERNELS_INL_H_
#undef SIMDGRAD_LIB_VECTOR_KERNELS_INL_H_
#else
#define SIMDGRAD_LIB_VECTOR_KERNELS_INL_H_
#endif

#include <array>
#include <cmath>
#include <cstring>

#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "lib/fixed_order_sum-inl.h"
#include "lib/vector_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace simdgrad::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Calls body(in, out) with pointers to each successive vector of the kIn inputs and kOut
// outputs; the last, partial vector goes through aligned buffers whose unused input lanes hold
// `pad` (0 unless a reduction needs its own neutral element).
template <size_t kIn, size_t kOut, class D, class Body>
HWY_INLINE void StreamLanes(D d, size_t n, const std::array<const hn::TFromD<D>*, kIn>& in,
                            const std::array<hn::TFromD<D>*, kOut>& out, const Body& body,
                            hn::TFromD<D> pad = 0) {
  using T = hn::TFromD<D>;
  const size_t lanes = hn::Lanes(d);
  std::array<const T*, kIn> in_at;
  std::array<T*, kOut> out_at;
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    for (size_t k = 0; k < kIn; ++k) in_at[k] = in[k] + i;
    for (size_t k = 0; k < kOut; ++k) out_at[k] = out[k] + i;
    body(in_at, out_at);
  }
  if (i == n) return;
  const size_t rest = n - i;
  constexpr size_t kMaxLanes = hn::MaxLanes(D());
  HWY_ALIGN T in_buffer[kIn == 0 ? 1 : kIn][kMaxLanes] = {};
  HWY_ALIGN T out_buffer[kOut == 0 ? 1 : kOut][kMaxLanes] = {};
  for (size_t k = 0; k < kIn; ++k) {
    for (size_t lane = rest; lane < kMaxLanes; ++lane) in_buffer[k][lane] = pad;
    std::memcpy(in_buffer[k], in[k] + i, rest * sizeof(T));
    in_at[k] = in_buffer[k];
  }
  for (size_t k = 0; k < kOut; ++k) {
    std::memcpy(out_buffer[k], out[k] + i, rest * sizeof(T));
    out_at[k] = out_buffer[k];
  }
  body(in_at, out_at);
  for (size_t k = 0; k < kOut; ++k) std::memcpy(out[k] + i, out_buffer[k], rest * sizeof(T));
}

template <class T>
void Fill(T value, T* y, size_t n) {
  const hn::ScalableTag<T> d;
  const auto v = hn::Set(d, value);
  StreamLanes<0, 1>(d, n, {}, {y},
                    [&](const auto&, const auto& out) HWY_ATTR { hn::StoreU(v, d, out[0]); });
}

template <class T>
void Copy(const T* x, T* y, size_t n) {
  if (n != 0 && x != y) std::memmove(y, x, n * sizeof(T));
}

// y = op(a, b) elementwise, for the binary arithmetic kernels.
template <class T, class Op>
HWY_INLINE void Binary(const T* a, const T* b, T* y, size_t n, const Op& op) {
  const hn::ScalableTag<T> d;
  StreamLanes<2, 1>(d, n, {a, b}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    hn::StoreU(op(hn::LoadU(d, in[0]), hn::LoadU(d, in[1])), d, out[0]);
  });
}

template <class T>
void Add(const T* a, const T* b, T* y, size_t n) {
  Binary(a, b, y, n, [](auto u, auto v) HWY_ATTR { return hn::Add(u, v); });
}
template <class T>
void Sub(const T* a, const T* b, T* y, size_t n) {
  Binary(a, b, y, n, [](auto u, auto v) HWY_ATTR { return hn::Sub(u, v); });
}
template <class T>
void Mul(const T* a, const T* b, T* y, size_t n) {
  Binary(a, b, y, n, [](auto u, auto v) HWY_ATTR { return hn::Mul(u, v); });
}

template <class T>
void Scale(T s, const T* x, T* y, size_t n) {
  const hn::ScalableTag<T> d;
  const auto vs = hn::Set(d, s);
  StreamLanes<1, 1>(d, n, {x}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    hn::StoreU(hn::Mul(vs, hn::LoadU(d, in[0])), d, out[0]);
  });
}

template <class T>
void Axpy(T a, const T* x, T* y, size_t n) {
  const hn::ScalableTag<T> d;
  const auto va = hn::Set(d, a);
  StreamLanes<1, 1>(d, n, {x}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    hn::StoreU(hn::MulAdd(va, hn::LoadU(d, in[0]), hn::LoadU(d, out[0])), d, out[0]);
  });
}

template <class T>
void Relu(const T* x, T* y, size_t n) {
  const hn::ScalableTag<T> d;
  const auto zero = hn::Zero(d);
  StreamLanes<1, 1>(d, n, {x}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    const auto v = hn::LoadU(d, in[0]);
    hn::StoreU(hn::IfThenElseZero(hn::Gt(v, zero), v), d, out[0]);
  });
}

template <class T>
void ReluBackward(const T* x, const T* g, T* y, size_t n) {
  const hn::ScalableTag<T> d;
  const auto zero = hn::Zero(d);
  StreamLanes<2, 1>(d, n, {x, g}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    const auto active = hn::Gt(hn::LoadU(d, in[0]), zero);
    hn::StoreU(hn::IfThenElseZero(active, hn::LoadU(d, in[1])), d, out[0]);
  });
}

// acc + g*[x > 0], the same select and add as relu_backward then add, fused.
template <class T>
void AddReluBackward(const T* x, const T* g, T* acc, size_t n) {
  const hn::ScalableTag<T> d;
  const auto zero = hn::Zero(d);
  StreamLanes<2, 1>(d, n, {x, g}, {acc}, [&](const auto& in, const auto& out) HWY_ATTR {
    const auto active = hn::Gt(hn::LoadU(d, in[0]), zero);
    const auto masked = hn::IfThenElseZero(active, hn::LoadU(d, in[1]));
    hn::StoreU(hn::Add(hn::LoadU(d, out[0]), masked), d, out[0]);
  });
}

// Sums and maxima add (or compare) in the fixed order of fixed_order_sum.h.
template <class T>
T Sum(const T* x, size_t n) {
  return ReduceInFixedOrder(
      x, n, [](auto acc, auto v) HWY_ATTR { return hn::Add(acc, v); },
      [](T a, T b) { return a + b; });
}

template <class T>
T SumSquares(const T* x, size_t n) {
  return ReduceInFixedOrder(
      x, n, [](auto acc, auto v) HWY_ATTR { return hn::MulAdd(v, v, acc); },
      [](T a, T b) { return a + b; });
}

template <class T>
T MaxAbs(const T* x, size_t n) {
  return ReduceInFixedOrder(
      x, n, [](auto acc, auto v) HWY_ATTR { return hn::Max(acc, hn::Abs(v)); },
      [](T a, T b) { return a < b ? b : a; });
}

template <class T>
T Max(const T* x, size_t n) {
  return ReduceInFixedOrder(
      x, n, [](auto acc, auto v) HWY_ATTR { return hn::Max(acc, v); },
      [](T a, T b) { return a < b ? b : a; }, -std::numeric_limits<T>::infinity());
}

// y = op(x) elementwise, for the unary kernels.
template <class T, class Op>
HWY_INLINE void Unary(const T* x, T* y, size_t n, const Op& op) {
  const hn::ScalableTag<T> d;
  StreamLanes<1, 1>(d, n, {x}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    hn::StoreU(op(d, hn::LoadU(d, in[0])), d, out[0]);
  });
}

template <class T>
void Div(const T* a, const T* b, T* y, size_t n) {
  Binary(a, b, y, n, [](auto u, auto v) HWY_ATTR { return hn::Div(u, v); });
}

template <class T>
void Abs(const T* x, T* y, size_t n) {
  Unary(x, y, n, [](auto, auto v) HWY_ATTR { return hn::Abs(v); });
}

template <class T>
void Sign(const T* x, T* y, size_t n) {
  Unary(x, y, n, [](auto d, auto v) HWY_ATTR {
    const auto zero = hn::Zero(d);
    const auto positive = hn::IfThenElseZero(hn::Gt(v, zero), hn::Set(d, T(1)));
    return hn::IfThenElse(hn::Lt(v, zero), hn::Set(d, T(-1)), positive);
  });
}

template <class T>
void ClampMin(T low, const T* x, T* y, size_t n) {
  Unary(x, y, n, [low](auto d, auto v) HWY_ATTR { return hn::Max(v, hn::Set(d, low)); });
}

template <class T>
void Exp(const T* x, T* y, size_t n) {
  Unary(x, y, n, [](auto d, auto v) HWY_ATTR { return hn::Exp(d, v); });
}

template <class T>
void Tanh(const T* x, T* y, size_t n) {
  Unary(x, y, n, [](auto d, auto v) HWY_ATTR { return hn::Tanh(d, v); });
}

// 1/(1+e^-x) from e = exp(-|x|) <= 1, which never overflows: x >= 0 gives 1/(1+e), x < 0
// gives e/(1+e).
template <class T>
void Sigmoid(const T* x, T* y, size_t n) {
  Unary(x, y, n, [](auto d, auto v) HWY_ATTR {
    const auto e = hn::Exp(d, hn::Neg(hn::Abs(v)));
    const auto inverse = hn::Div(hn::Set(d, T(1)), hn::Add(hn::Set(d, T(1)), e));
    return hn::IfThenElse(hn::Lt(v, hn::Zero(d)), hn::Mul(e, inverse), inverse);
  });
}

template <class T>
void TanhBackward(const T* y, const T* g, T* out, size_t n) {
  Binary(y, g, out, n, [](auto u, auto v) HWY_ATTR {
    const auto one = hn::Set(hn::DFromV<decltype(u)>(), T(1));
    return hn::Mul(v, hn::NegMulAdd(u, u, one));
  });
}

template <class T>
void SigmoidBackward(const T* y, const T* g, T* out, size_t n) {
  Binary(y, g, out, n, [](auto u, auto v) HWY_ATTR {
    const auto one = hn::Set(hn::DFromV<decltype(u)>(), T(1));
    return hn::Mul(hn::Mul(v, u), hn::Sub(one, u));
  });
}

template <class T>
void SoftmaxRow(const T* x, T* y, size_t n) {
  if (n == 0) return;
  const hn::ScalableTag<T> d;
  const auto shift = hn::Set(d, Max(x, n));
  StreamLanes<1, 1>(d, n, {x}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    hn::StoreU(hn::Exp(d, hn::Sub(hn::LoadU(d, in[0]), shift)), d, out[0]);
  });
  Scale(T(1) / Sum(y, n), y, y, n);
}

template <class T>
void LogSoftmaxRow(const T* x, T* y, size_t n) {
  if (n == 0) return;
  const hn::ScalableTag<T> d;
  const T max = Max(x, n);
  const auto shift = hn::Set(d, max);
  StreamLanes<1, 1>(d, n, {x}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    hn::StoreU(hn::Exp(d, hn::Sub(hn::LoadU(d, in[0]), shift)), d, out[0]);
  });
  // log softmax = x - (max + log(sum of exp(x - max))): one scalar log per row.
  const auto log_normalizer = hn::Set(d, max + std::log(Sum(y, n)));
  StreamLanes<1, 1>(d, n, {x}, {y}, [&](const auto& in, const auto& out) HWY_ATTR {
    hn::StoreU(hn::Sub(hn::LoadU(d, in[0]), log_normalizer), d, out[0]);
  });
}

// Runs an optimizer's vector update `update(grad, state)` over n elements, where state points
// to the parameter and its kState - 1 state tensors. With kSumSquares the same pass also sums
// grad² in sum_squares' order (fixed_order_sum.h) and returns it (0 otherwise); the gradient is
// only read.
template <bool kSumSquares, size_t kState, class D, class Update>
HWY_INLINE hn::TFromD<D> StreamUpdate(D d, size_t n, const hn::TFromD<D>* g,
                                      const std::array<hn::TFromD<D>*, kState>& state,
                                      const Update& update) {
  using T = hn::TFromD<D>;
  PartialSums<D> squares(d);
  const auto state_at = [&](size_t i) {
    std::array<T*, kState> at;
    for (size_t k = 0; k < kState; ++k) at[k] = state[k] + i;
    return at;
  };
  size_t done = 0;
  if constexpr (kSumSquares) {
    done = squares.AddSquaresOfBlocks(
        d, g, n, [&](size_t i, const auto grad) HWY_ATTR { update(grad, state_at(i)); });
  }
  StreamLanes<1, kState>(d, n - done, {g + done}, state_at(done),
                         [&](const auto& in, const auto& out) HWY_ATTR {
                           const auto grad = hn::LoadU(d, in[0]);
                           if constexpr (kSumSquares) squares.AddSquare(d, grad);
                           update(grad, out);
                         });
  return kSumSquares ? squares.Total() : T(0);
}

template <bool kSumSquares, class T>
T SgdMomentum(T* p, const T* g, T* v, size_t n, T lr, T momentum, bool nesterov) {
  const hn::ScalableTag<T> d;
  const auto vlr = hn::Set(d, lr);
  const auto vmomentum = hn::Set(d, momentum);
  return StreamUpdate<kSumSquares, 2>(
      d, n, g, {p, v}, [&](const auto grad, const auto& out) HWY_ATTR {
        const auto velocity = hn::NegMulAdd(vlr, grad, hn::Mul(vmomentum, hn::LoadU(d, out[1])));
        const auto step =
            nesterov ? hn::NegMulAdd(vlr, grad, hn::Mul(vmomentum, velocity)) : velocity;
        hn::StoreU(hn::Add(hn::LoadU(d, out[0]), step), d, out[0]);
        hn::StoreU(velocity, d, out[1]);
      });
}

// The adaptive optimizers' denominator sqrt(a) + eps, without taking the square root of a
// subnormal a (2.3x the cost of a normal one on AMD Zen 5): an accumulator whose gradient stays
// zero decays as rho^n a into the subnormals and stops at the smallest, and a deep ReLU network
// has many. Raising a in [0, floor) to `floor` changes no bit when fl(sqrt(floor) + eps) == eps:
// rounding is monotone, so every a in between gives eps too. 0 (no raising) if no such normal
// floor exists for this eps.
template <class T>
T SqrtFloorBelowEps(T eps) {
  const T root = eps * std::ldexp(T(1), -(std::numeric_limits<T>::digits + 2));  // < ulp(eps)/2
  const T floor = root * root;
  const bool exact = floor >= std::numeric_limits<T>::min() && std::sqrt(floor) + eps == eps;
  return exact ? floor : T(0);
}

// sqrt(a) + eps, bitwise, with SqrtFloorBelowEps's raising; NaN and negative a stay as they are.
template <class D, class V = hn::VFromD<D>>
HWY_INLINE V SqrtPlusEps(D d, V a, V floor, V eps) {
  const auto raise = hn::And(hn::Lt(a, floor), hn::Ge(a, hn::Zero(d)));
  return hn::Add(hn::Sqrt(hn::IfThenElse(raise, floor, a)), eps);
}

template <bool kSumSquares, class T>
T Rmsprop(T* p, const T* g, T* a, size_t n, T lr, T rho, T eps) {
  const hn::ScalableTag<T> d;
  const auto vlr = hn::Set(d, lr);
  const auto vrho = hn::Set(d, rho);
  const auto vone_minus_rho = hn::Set(d, T(1) - rho);
  const auto veps = hn::Set(d, eps);
  const auto vfloor = hn::Set(d, SqrtFloorBelowEps(eps));
  return StreamUpdate<kSumSquares, 2>(
      d, n, g, {p, a}, [&](const auto grad, const auto& out) HWY_ATTR {
        const auto accumulator =
            hn::MulAdd(vrho, hn::LoadU(d, out[1]), hn::Mul(vone_minus_rho, hn::Mul(grad, grad)));
        const auto step = hn::Div(hn::Mul(vlr, grad), SqrtPlusEps(d, accumulator, vfloor, veps));
        hn::StoreU(hn::Sub(hn::LoadU(d, out[0]), step), d, out[0]);
        hn::StoreU(accumulator, d, out[1]);
      });
}

template <bool kSumSquares, class T>
T Adam(T* p, const T* g, T* m, T* v, size_t n, T lr_t, T beta1, T beta2, T eps) {
  const hn::ScalableTag<T> d;
  const auto vlr = hn::Set(d, lr_t);
  const auto vb1 = hn::Set(d, beta1);
  const auto vone_minus_b1 = hn::Set(d, T(1) - beta1);
  const auto vb2 = hn::Set(d, beta2);
  const auto vone_minus_b2 = hn::Set(d, T(1) - beta2);
  const auto veps = hn::Set(d, eps);
  const auto vfloor = hn::Set(d, SqrtFloorBelowEps(eps));
  return StreamUpdate<kSumSquares, 3>(
      d, n, g, {p, m, v}, [&](const auto grad, const auto& out) HWY_ATTR {
        const auto first = hn::MulAdd(vb1, hn::LoadU(d, out[1]), hn::Mul(vone_minus_b1, grad));
        const auto second =
            hn::MulAdd(vb2, hn::LoadU(d, out[2]), hn::Mul(vone_minus_b2, hn::Mul(grad, grad)));
        const auto step = hn::Div(hn::Mul(vlr, first), SqrtPlusEps(d, second, vfloor, veps));
        hn::StoreU(hn::Sub(hn::LoadU(d, out[0]), step), d, out[0]);
        hn::StoreU(first, d, out[1]);
        hn::StoreU(second, d, out[2]);
      });
}

// y = T(x) * scale for bytes x: u8 -> i32 -> T is exact, so every lane equals the scalar
// conversion, tail included.
template <class T>
void BytesTo(const uint8_t* x, T scale, T* y, size_t n) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  const auto vscale = hn::Set(d, scale);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    if constexpr (sizeof(T) == 4) {
      const hn::Rebind<uint8_t, decltype(d)> d8;
      const hn::Rebind<int32_t, decltype(d)> d32;
      const auto ints = hn::PromoteTo(d32, hn::LoadU(d8, x + i));
      hn::StoreU(hn::Mul(hn::ConvertTo(d, ints), vscale), d, y + i);
    } else {
      const hn::Rebind<uint8_t, decltype(d)> d8;
      const hn::Rebind<int32_t, decltype(d)> d32;
      const auto ints = hn::PromoteTo(d32, hn::LoadU(d8, x + i));
      hn::StoreU(hn::Mul(hn::PromoteTo(d, ints), vscale), d, y + i);
    }
  }
  for (; i < n; ++i) y[i] = T(x[i]) * scale;
}

// diff = p - t, stored; returns Σdiff² and Σ|diff| / max(|t|, eps) in Sum's and SumSquares'
// orders: bitwise SumSquares(diff) and Sum(Div(Abs(diff), Max(Abs(t), eps))).
template <class T>
void SquaredAndRelativeErrors(const T* p, const T* t, T eps, T* diff, size_t n, T* squared,
                              T* relative) {
  const hn::ScalableTag<T> d;
  const auto veps = hn::Set(d, eps);
  PartialSums<decltype(d)> squares(d), ratios(d);
  StreamLanes<2, 1>(d, n, {p, t}, {diff}, [&](const auto& in, const auto& out) HWY_ATTR {
    const auto target = hn::LoadU(d, in[1]);
    const auto difference = hn::Sub(hn::LoadU(d, in[0]), target);
    hn::StoreU(difference, d, out[0]);
    squares.AddSquare(d, difference);
    ratios.Add(d, hn::Div(hn::Abs(difference), hn::Max(hn::Abs(target), veps)));
  });
  *squared = squares.Total();
  *relative = ratios.Total();
}

template <class T>
VectorKernels<T> MakeVectorKernels() {
  VectorKernels<T> k;
  k.target = HWY_TARGET;
  k.fill = &Fill<T>;
  k.copy = &Copy<T>;
  k.add = &Add<T>;
  k.sub = &Sub<T>;
  k.mul = &Mul<T>;
  k.scale = &Scale<T>;
  k.axpy = &Axpy<T>;
  k.relu = &Relu<T>;
  k.relu_backward = &ReluBackward<T>;
  k.add_relu_backward = &AddReluBackward<T>;
  k.div = &Div<T>;
  k.abs = &Abs<T>;
  k.sign = &Sign<T>;
  k.clamp_min = &ClampMin<T>;
  k.exp = &Exp<T>;
  k.tanh = &Tanh<T>;
  k.sigmoid = &Sigmoid<T>;
  k.tanh_backward = &TanhBackward<T>;
  k.sigmoid_backward = &SigmoidBackward<T>;
  k.softmax_row = &SoftmaxRow<T>;
  k.log_softmax_row = &LogSoftmaxRow<T>;
  k.sum = &Sum<T>;
  k.sum_squares = &SumSquares<T>;
  k.max_abs = &MaxAbs<T>;
  k.sgd_momentum = &SgdMomentum<false, T>;
  k.rmsprop = &Rmsprop<false, T>;
  k.adam = &Adam<false, T>;
  k.sgd_momentum_and_square_sum = &SgdMomentum<true, T>;
  k.rmsprop_and_square_sum = &Rmsprop<true, T>;
  k.adam_and_square_sum = &Adam<true, T>;
  k.squared_and_relative_errors = &SquaredAndRelativeErrors<T>;
  k.bytes_to = &BytesTo<T>;
  return k;
}

}  // namespace HWY_NAMESPACE
}  // namespace simdgrad::detail
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
