// Fused optimizer updates: one pass over memory per parameter tensor, float and double.
// The parameter, its gradient and its state tensors must have the same shape.
#pragma once

#include "simdgrad/matrix.h"

namespace simdgrad {

// Keras 2 SGD: v = momentum*v - lr*g; p += v (Nesterov: p += momentum*v - lr*g).
template <class T>
void sgd_momentum_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> velocity, T lr,
                         T momentum, bool nesterov);

// Keras 2 RMSprop (no momentum, eps outside the square root, accumulator starts at 0):
// a = rho*a + (1-rho)*g^2; p -= lr*g / (sqrt(a) + eps).
template <class T>
void rmsprop_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> accumulator, T lr, T rho,
                    T eps);

// Adam as Keras 2: step t >= 1, lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t);
// m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g^2; p -= lr_t*m / (sqrt(v) + eps).
template <class T>
void adam_update(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> m, MatrixView<T> v, T lr,
                 T beta1, T beta2, T eps, long step);

// The same three updates that also return sum(g^2) of the gradient they used, from the same
// pass over memory — bitwise what sum_squares(g) returns — for diagnostics that would otherwise
// read every gradient once more.
template <class T>
T sgd_momentum_update_and_square_sum(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> velocity,
                                     T lr, T momentum, bool nesterov);
template <class T>
T rmsprop_update_and_square_sum(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> accumulator,
                                T lr, T rho, T eps);
template <class T>
T adam_update_and_square_sum(MatrixView<T> p, MatrixView<const T> g, MatrixView<T> m,
                             MatrixView<T> v, T lr, T beta1, T beta2, T eps, long step);

}  // namespace simdgrad
