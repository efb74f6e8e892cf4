// The per-target SIMD kernels behind elementwise.h, reductions.h and optimizer_updates.h.
//
// Each compiled Highway target fills one VectorKernels<T> table (vector_kernels-inl.h); the
// public functions fetch the table of the target chosen at run time (HWY_DYNAMIC_DISPATCH) and
// call it per segment, so threading stays in plain C++ and dispatch happens once per call.
// Every kernel works on n contiguous elements at any alignment; outputs may alias inputs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace simdgrad::detail {

template <class T>
struct VectorKernels {
  int64_t target;  // HWY_TARGET the table was compiled for

  void (*fill)(T value, T* y, size_t n);
  void (*copy)(const T* x, T* y, size_t n);
  void (*add)(const T* a, const T* b, T* y, size_t n);
  void (*sub)(const T* a, const T* b, T* y, size_t n);
  void (*mul)(const T* a, const T* b, T* y, size_t n);
  void (*scale)(T s, const T* x, T* y, size_t n);                       // y = s*x
  void (*axpy)(T a, const T* x, T* y, size_t n);                        // y += a*x
  void (*relu)(const T* x, T* y, size_t n);                             // y = max(x, 0)
  void (*relu_backward)(const T* x, const T* g, T* y, size_t n);        // y = g*[x > 0]
  void (*add_relu_backward)(const T* x, const T* g, T* acc, size_t n);  // acc += g*[x > 0]
  void (*div)(const T* a, const T* b, T* y, size_t n);
  void (*abs)(const T* x, T* y, size_t n);
  void (*sign)(const T* x, T* y, size_t n);              // -1, 0 or +1
  void (*clamp_min)(T low, const T* x, T* y, size_t n);  // y = max(x, low)
  void (*exp)(const T* x, T* y, size_t n);
  void (*tanh)(const T* x, T* y, size_t n);
  void (*sigmoid)(const T* x, T* y, size_t n);
  void (*tanh_backward)(const T* y, const T* g, T* out, size_t n);     // g*(1 - y^2)
  void (*sigmoid_backward)(const T* y, const T* g, T* out, size_t n);  // g*y*(1 - y)
  // One row: y = softmax(x), or y = log(softmax(x)), computed from x - max(x).
  void (*softmax_row)(const T* x, T* y, size_t n);
  void (*log_softmax_row)(const T* x, T* y, size_t n);

  T (*sum)(const T* x, size_t n);
  T (*sum_squares)(const T* x, size_t n);
  T (*max_abs)(const T* x, size_t n);

  // Keras 2 SGD: v = momentum*v - lr*g; p += v, or with Nesterov p += momentum*v - lr*g.
  T (*sgd_momentum)(T* p, const T* g, T* v, size_t n, T lr, T momentum, bool nesterov);
  // Keras 2 RMSprop: a = rho*a + (1-rho)*g^2; p -= lr*g / (sqrt(a) + eps).
  T (*rmsprop)(T* p, const T* g, T* a, size_t n, T lr, T rho, T eps);
  // Adam with the bias correction folded into lr_t (Keras 2):
  // m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lr_t*m / (sqrt(v) + eps).
  T (*adam)(T* p, const T* g, T* m, T* v, size_t n, T lr_t, T beta1, T beta2, T eps);
  // The same updates that also return sum(g^2) from the same pass, bitwise what sum_squares
  // returns for the segment. (The plain updates above return 0.)
  T(*sgd_momentum_and_square_sum)
  (T* p, const T* g, T* v, size_t n, T lr, T momentum, bool nesterov);
  T (*rmsprop_and_square_sum)(T* p, const T* g, T* a, size_t n, T lr, T rho, T eps);
  T (*adam_and_square_sum)(T* p, const T* g, T* m, T* v, size_t n, T lr_t, T beta1, T beta2, T eps);

  // diff = p - t; *squared = sum(diff^2), *relative = sum(|diff| / max(|t|, eps)), each bitwise
  // the sum_squares / sum kernels over the same elements: a loss and a metric in one pass.
  void (*squared_and_relative_errors)(const T* p, const T* t, T eps, T* diff, size_t n, T* squared,
                                      T* relative);
  // y = T(x) * scale for n bytes x (image pixels to a batch), exactly the scalar conversion.
  void (*bytes_to)(const uint8_t* x, T scale, T* y, size_t n);
};

// The table of the target that runs now (honours a pinned target, see targets.h).
const VectorKernels<float>& vector_kernels_f32();
const VectorKernels<double>& vector_kernels_f64();

template <class T>
const VectorKernels<T>& vector_kernels() {
  if constexpr (sizeof(T) == 4) {
    return vector_kernels_f32();
  } else {
    return vector_kernels_f64();
  }
}

}  // namespace simdgrad::detail
