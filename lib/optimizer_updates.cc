#include "simdgrad/optimizer_updates.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "lib/parallel_segments.h"
#include "lib/vector_kernels.h"

namespace simdgrad {
namespace {

template <class T, class... State>
bool check_shapes(const char* name, MatrixView<T> p, MatrixView<const T> g, State... state) {
  require_same_shape(name, p, g);
  (require_same_shape(name, p, state), ...);
  return p.contiguous() && g.contiguous() && (state.contiguous() && ...);
}

}  // namespace

template <class T>
void sgd_momentum_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> velocity, T lr,
                         T momentum, bool nesterov) {
  const bool flat = check_shapes("sgd_momentum_update", p, g, velocity);
  const auto& k = detail::vector_kernels<T>();
  for_each_segment(p.rows(), p.cols(), flat, [&](const Segment& s) {
    k.sgd_momentum(segment_start(p, s), segment_start(g, s), segment_start(velocity, s), s.length, lr, momentum, nesterov);
  });
}

template <class T>
void rmsprop_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> accumulator, T lr,
                    T rho, T eps) {
  const bool flat = check_shapes("rmsprop_update", p, g, accumulator);
  const auto& k = detail::vector_kernels<T>();
  for_each_segment(p.rows(), p.cols(), flat, [&](const Segment& s) {
    k.rmsprop(segment_start(p, s), segment_start(g, s), segment_start(accumulator, s), s.length, lr, rho, eps);
  });
}

template <class T>
void adam_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> m, MatrixView<T> v, T lr,
                 T beta1, T beta2, T eps, long step) {
  if (step < 1) throw std::invalid_argument("adam_update: step must be >= 1, got " + std::to_string(step));
  const bool flat = check_shapes("adam_update", p, g, m, v);
  const double t = static_cast<double>(step);
  const T lr_t = static_cast<T>(lr * std::sqrt(1.0 - std::pow(double(beta2), t)) /
                                (1.0 - std::pow(double(beta1), t)));
  const auto& k = detail::vector_kernels<T>();
  for_each_segment(p.rows(), p.cols(), flat, [&](const Segment& s) {
    k.adam(segment_start(p, s), segment_start(g, s), segment_start(m, s), segment_start(v, s), s.length, lr_t, beta1, beta2, eps);
  });
}

#define SIMDGRAD_INSTANTIATE(T)                                                                   \
  template void sgd_momentum_update<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, T, T,   \
                                       bool);                                                     \
  template void rmsprop_update<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, T, T, T);    \
  template void adam_update<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, MatrixView<T>,  \
                               T, T, T, T, long);
SIMDGRAD_INSTANTIATE(float)
SIMDGRAD_INSTANTIATE(double)
#undef SIMDGRAD_INSTANTIATE

}  // namespace simdgrad
