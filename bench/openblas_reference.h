// OpenBLAS as the reference measured in the same run, when libopenblas-dev is installed.
#pragma once

#ifdef SIMDGRAD_HAVE_OPENBLAS
#include <cblas.h>

#include <string>

#include "simdgrad/gemm.h"

namespace simdgrad::bench {

inline std::string openblas_core() { return openblas_get_corename(); }

inline CBLAS_TRANSPOSE cblas_transpose(Transpose t) {
  return t == Transpose::kYes ? CblasTrans : CblasNoTrans;
}

// The same contract as simdgrad::gemm (row-major, strides from the views).
inline void openblas_gemm(Transpose ta, Transpose tb, float alpha, MatrixView<const float> a,
                          MatrixView<const float> b, float beta, MatrixView<float> c) {
  const int k = int(ta == Transpose::kYes ? a.rows() : a.cols());
  cblas_sgemm(CblasRowMajor, cblas_transpose(ta), cblas_transpose(tb), int(c.rows()), int(c.cols()),
              k, alpha, a.data(), int(a.stride()), b.data(), int(b.stride()), beta, c.data(),
              int(c.stride()));
}
inline void openblas_gemm(Transpose ta, Transpose tb, double alpha, MatrixView<const double> a,
                          MatrixView<const double> b, double beta, MatrixView<double> c) {
  const int k = int(ta == Transpose::kYes ? a.rows() : a.cols());
  cblas_dgemm(CblasRowMajor, cblas_transpose(ta), cblas_transpose(tb), int(c.rows()), int(c.cols()),
              k, alpha, a.data(), int(a.stride()), b.data(), int(b.stride()), beta, c.data(),
              int(c.stride()));
}

}  // namespace simdgrad::bench
#endif
