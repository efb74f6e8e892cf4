#include "apps/identity/data/symmetric_eigen.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

extern "C" {
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
// Present only when the LAPACK loaded is OpenBLAS'; weak, so reference LAPACK links too.
void openblas_set_num_threads(int threads) __attribute__((weak));
int openblas_get_num_threads() __attribute__((weak));
}

namespace simdgrad::identity {

std::vector<double> symmetric_eigen(Matrix<double>& a) {
  if (a.rows() != a.cols())
    throw std::invalid_argument("symmetric_eigen: the matrix is not square");
  const int n = int(a.rows()), lda = int(a.stride());
  const bool openblas = openblas_set_num_threads != nullptr && openblas_get_num_threads != nullptr;
  const int threads = openblas ? openblas_get_num_threads() : 0;
  if (openblas) openblas_set_num_threads(1);
  std::vector<double> w(static_cast<size_t>(n));
  int lwork = -1, liwork = -1, info = 0, iwork_size = 0;
  double work_size = 0;
  dsyevd_("V", "U", &n, a.data(), &lda, w.data(), &work_size, &lwork, &iwork_size, &liwork, &info);
  lwork = int(work_size);
  liwork = iwork_size;
  std::vector<double> work(static_cast<size_t>(std::max(lwork, 1)));
  std::vector<int> iwork(static_cast<size_t>(std::max(liwork, 1)));
  if (info == 0) {
    dsyevd_("V", "U", &n, a.data(), &lda, w.data(), work.data(), &lwork, iwork.data(), &liwork,
            &info);
  }
  if (openblas) openblas_set_num_threads(threads);
  if (info != 0) throw std::runtime_error("LAPACK dsyevd failed with info " + std::to_string(info));
  // LAPACK returns ascending eigenvalues and, read row-major, the eigenvectors as rows.
  std::reverse(w.begin(), w.end());
  for (int i = 0; i < n / 2; ++i) {
    for (int j = 0; j < n; ++j) std::swap(a(size_t(i), size_t(j)), a(size_t(n - 1 - i), size_t(j)));
  }
  return w;
}

}  // namespace simdgrad::identity
