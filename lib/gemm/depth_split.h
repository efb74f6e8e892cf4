// A team that splits a GEMM by depth blocks instead of by tiles of C, with the bits of one
// thread.
//
// When op(B) is large and read in place (few rows of C: the input gradient dX = dZ W of a
// Dense layer), a split by tiles gives every member a band of C's columns, so every member
// reads a slice of every row of W. The forward pass (Cᵀ = W Xᵀ) and the optimizer give every
// member a band of W's rows instead, and a row that two cores have read must be taken back
// from the other core's cache before the update can write it: in the 4-layer training step on
// 2 cores (Zen 5) the update of a weight matrix that the input gradient had read took 0.19-0.20
// ms against 0.09 for the first layer's, which no input gradient reads. Split by depth, each
// member reads the rows of W of its depth blocks, the band the other passes give it.
//
// The bits stay those of one thread. One thread adds the depth blocks' products into C in
// block order, C = ((P0 + P1) + P2) + P3, each Pj = alpha * (its block's products) rounded, and
// each + rounded once (the beta = 1 store of the micro-kernel). Split, the first group of
// members does exactly that over its blocks; every later block's Pj goes to a buffer of its
// own, and after one barrier the team adds the buffers to C in block order. KC is a constant
// (blocking.h), so the split points are the same on every machine.
#pragma once

#include <cstddef>

#include "simdgrad/gemm.h"

namespace simdgrad::detail {

// How many groups of a team of `team` threads split a depth of k cut into blocks of kc: the
// largest g that divides the team, has at most one group per block and gives no group more
// than a tenth above an even share of the depth; 1 (no depth split) if none does.
size_t depth_groups(size_t k, size_t kc, size_t team);

// Whether a team of `team` threads splits C (m x n, depth k, blocks of kc) by depth: op(B) is
// read in place, there is no epilogue, depth_groups() > 1, and the buffers of the later
// groups' products stay small.
bool splits_depth(bool b_in_place, bool has_epilogue, size_t m, size_t n, size_t k, size_t kc,
                  size_t element_size, size_t team);

// C = alpha * op(A) * B + beta * C (B not transposed, A optionally masked) on a team split by
// depth; the team's groups follow depth_groups(), each group's members split C's column
// panels of width nr.
template <class T>
void gemm_split_depth(Transpose transpose_a, T alpha, MatrixView<const T> a, MatrixView<const T> b,
                      T beta, MatrixView<T> c, MatrixView<const T> a_relu_mask, size_t kc,
                      size_t nr);

}  // namespace simdgrad::detail
