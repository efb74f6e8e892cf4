// The symmetric eigendecomposition the study and the whitening transform need, from LAPACK
// (Debian's liblapack3, or OpenBLAS' LAPACK through the alternatives system): divide and
// conquer, dsyevd. A 785 x 785 matrix once per run does not justify an eigensolver of our own.
#pragma once

#include <vector>

#include "simdgrad/matrix.h"

namespace simdgrad::identity {

// Eigenvalues in descending order; `a` (symmetric, n x n) is replaced by the eigenvectors, row i
// the eigenvector of eigenvalue i. Runs OpenBLAS, when that is the LAPACK loaded, on one
// thread: its threaded BLAS could otherwise make the result depend on the thread count, and a
// whitening transform fed to training must not. Throws std::runtime_error if LAPACK fails.
std::vector<double> symmetric_eigen(Matrix<double>& a);

}  // namespace simdgrad::identity
