// General matrix multiply: C = act(alpha * op(A) * op(B) + beta * C + bias), float and double,
// with an optional ReLU mask on A (GemmPrologue).
//
// op(X) is X or its transpose; op(A) is M x K, op(B) is K x N, C is M x N, any sizes (0 too)
// and any row strides. beta == 0 never reads C, so garbage or NaN there cannot leak into the
// result. The optional epilogue adds a bias row (length N) and applies a ReLU in the same pass
// as the final store, so a Dense layer's forward is one call. C must not overlap A or B.
//
// Threaded with OpenMP over tiles of C, or (op(B) read in place, no epilogue) over the depth
// blocks of K, whose partial products are then added in the order one thread adds them: the
// result is bitwise identical for any thread count. Denormals are flushed to zero while it runs
// (inputs read as 0, results below the normal range written as 0), on every thread, then restored.
// Called from inside a parallel region it runs on the calling thread. Shape mismatches throw
// std::invalid_argument naming the shapes.
#pragma once

#include "simdgrad/matrix.h"

namespace simdgrad {

enum class Transpose { kNo, kYes };
enum class Activation { kNone, kRelu };

template <class T>
struct GemmEpilogue {
  MatrixView<const T> bias;  // empty, or 1 x N: added to every row of C
  Activation activation = Activation::kNone;
};

// Applied to A as it is packed, before any product. With a_relu_mask (A's stored shape, any
// row stride) every element of A whose mask element is not > 0 is read as 0: the backward of
// Y = relu(Z) feeds dZ = dY * [Y > 0] to both its GEMMs (dX = dZ W, dW = dZᵀ X) straight from
// dY and Y, bitwise the same as relu_backward() followed by gemm(), without writing dZ.
template <class T>
struct GemmPrologue {
  MatrixView<const T> a_relu_mask;
};

template <class T>
void gemm(Transpose transpose_a, Transpose transpose_b, T alpha, MatrixView<const T> a,
          MatrixView<const T> b, T beta, MatrixView<T> c, const GemmEpilogue<T>& epilogue = {},
          const GemmPrologue<T>& prologue = {});

// C = op(A) * op(B), the common case.
template <class T>
void matmul(MatrixView<const T> a, Transpose transpose_a, MatrixView<const T> b,
            Transpose transpose_b, MatrixView<T> c) {
  gemm(transpose_a, transpose_b, T(1), a, b, T(0), c);
}

}  // namespace simdgrad
