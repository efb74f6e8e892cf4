#include "simdgrad/optimizer_updates.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "lib/parallel_segments.h"
#include "lib/vector_kernels.h"

namespace simdgrad {
namespace {

template <class T, class G, class... State>
bool check_shapes(const char* name, MatrixView<T> p, MatrixView<G> g, State... state) {
  require_same_shape(name, p, g);
  (require_same_shape(name, p, state), ...);
  return p.contiguous() && g.contiguous() && (state.contiguous() && ...);
}

// Runs kernel(segment of p, segment of g, segments of the state..., n) over fixed segments and
// returns the sum of the kernels' results in segment order (sum(g^2) for the fused kernels).
template <class T, class G, class Kernel, class... State>
T update(const char* name, Kernel kernel, MatrixView<T> p, MatrixView<G> g, State... state) {
  const bool flat = check_shapes(name, p, g, state...);
  return static_cast<T>(reduce_segments(
      p.rows(), p.cols(), flat,
      [&](const Segment& s) {
        return static_cast<double>(
            kernel(segment_start(p, s), segment_start(g, s), segment_start(state, s)..., s.length));
      },
      [](double a, double b) { return a + b; }));
}

template <class T>
T adam_rate(T lr, T beta1, T beta2, long step, const char* name) {
  if (step < 1) {
    throw std::invalid_argument(std::string(name) + ": step must be >= 1, got " +
                                std::to_string(step));
  }
  const double t = static_cast<double>(step);
  return static_cast<T>(lr * std::sqrt(1.0 - std::pow(double(beta2), t)) /
                        (1.0 - std::pow(double(beta1), t)));
}

}  // namespace

template <class T>
void sgd_momentum_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> velocity, T lr,
                         T momentum, bool nesterov) {
  const auto& k = detail::vector_kernels<T>();
  update(
      "sgd_momentum_update",
      [&](T* ps, const T* gs, T* vs, size_t n) {
        return k.sgd_momentum(ps, gs, vs, n, lr, momentum, nesterov);
      },
      p, g, velocity);
}

template <class T>
T sgd_momentum_update_and_square_sum(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> velocity,
                                     T lr, T momentum, bool nesterov) {
  const auto& k = detail::vector_kernels<T>();
  return update(
      "sgd_momentum_update_and_square_sum",
      [&](T* ps, const T* gs, T* vs, size_t n) {
        return k.sgd_momentum_and_square_sum(ps, gs, vs, n, lr, momentum, nesterov);
      },
      p, g, velocity);
}

template <class T>
void rmsprop_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> accumulator, T lr, T rho,
                    T eps) {
  const auto& k = detail::vector_kernels<T>();
  update(
      "rmsprop_update",
      [&](T* ps, const T* gs, T* as, size_t n) { return k.rmsprop(ps, gs, as, n, lr, rho, eps); },
      p, g, accumulator);
}

template <class T>
T rmsprop_update_and_square_sum(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> accumulator,
                                T lr, T rho, T eps) {
  const auto& k = detail::vector_kernels<T>();
  return update(
      "rmsprop_update_and_square_sum",
      [&](T* ps, const T* gs, T* as, size_t n) {
        return k.rmsprop_and_square_sum(ps, gs, as, n, lr, rho, eps);
      },
      p, g, accumulator);
}

template <class T>
void adam_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> m, MatrixView<T> v, T lr,
                 T beta1, T beta2, T eps, long step) {
  const T lr_t = adam_rate(lr, beta1, beta2, step, "adam_update");
  const auto& k = detail::vector_kernels<T>();
  update(
      "adam_update",
      [&](T* ps, const T* gs, T* ms, T* vs, size_t n) {
        return k.adam(ps, gs, ms, vs, n, lr_t, beta1, beta2, eps);
      },
      p, g, m, v);
}

template <class T>
T adam_update_and_square_sum(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> m,
                             MatrixView<T> v, T lr, T beta1, T beta2, T eps, long step) {
  const T lr_t = adam_rate(lr, beta1, beta2, step, "adam_update_and_square_sum");
  const auto& k = detail::vector_kernels<T>();
  return update(
      "adam_update_and_square_sum",
      [&](T* ps, const T* gs, T* ms, T* vs, size_t n) {
        return k.adam_and_square_sum(ps, gs, ms, vs, n, lr_t, beta1, beta2, eps);
      },
      p, g, m, v);
}

#define SIMDGRAD_INSTANTIATE(T)                                                                  \
  template void sgd_momentum_update<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, T, T,  \
                                       bool);                                                    \
  template void rmsprop_update<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, T, T, T);   \
  template void adam_update<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, MatrixView<T>, \
                               T, T, T, T, long);                                                \
  template T sgd_momentum_update_and_square_sum<T>(MatrixView<T>, MatrixView<const T>,           \
                                                   MatrixView<T>, T, T, bool);                   \
  template T rmsprop_update_and_square_sum<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>, \
                                              T, T, T);                                          \
  template T adam_update_and_square_sum<T>(MatrixView<T>, MatrixView<const T>, MatrixView<T>,    \
                                           MatrixView<T>, T, T, T, T, long);
SIMDGRAD_INSTANTIATE(float)
SIMDGRAD_INSTANTIATE(double)
#undef SIMDGRAD_INSTANTIATE

}  // namespace simdgrad
