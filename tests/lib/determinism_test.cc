// The determinism promise: bitwise-identical results for 1, 2, 3, 4, 8 and 16 threads
// (oversubscribed on a 2-core machine), with the team size that actually ran asserted.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "simdgrad/elementwise.h"
#include "simdgrad/gemm.h"
#include "simdgrad/reductions.h"
#include "simdgrad/threading.h"
#include "tests/support/random_matrix.h"

namespace simdgrad::testing {
namespace {

constexpr int kThreadCounts[] = {1, 2, 3, 4, 8, 16};

// Restores the thread count a test changed.
struct ThreadCountGuard {
  int saved = num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

template <class T>
bool bitwise_equal(const Matrix<T>& x, const Matrix<T>& y) {
  return x.rows() == y.rows() && x.cols() == y.cols() &&
         std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0;
}

template <class T>
void check_gemm_determinism(size_t m, size_t n, size_t k, Transpose ta, Transpose tb) {
  ThreadCountGuard guard;
  std::mt19937_64 rng(5);
  Matrix<T> a(ta == Transpose::kYes ? k : m, ta == Transpose::kYes ? m : k);
  Matrix<T> b(tb == Transpose::kYes ? n : k, tb == Transpose::kYes ? k : n);
  Matrix<T> bias(1, n);
  fill_uniform(a.view(), rng);
  fill_uniform(b.view(), rng);
  fill_uniform(bias.view(), rng);
  Matrix<T> first;
  for (int threads : kThreadCounts) {
    set_num_threads(threads);
    Matrix<T> c(m, n);
    fill_uniform(c.view(), rng);  // the same C each time would hide a missed beta
    gemm<T>(ta, tb, T(1), a, b, T(0), c, {bias.view(), Activation::kRelu});
    INFO(threads << " threads, " << m << "x" << n << "x" << k);
    REQUIRE(last_team_size() == threads);
    if (threads == 1) {
      first = c;
    } else {
      REQUIRE(bitwise_equal(first, c));
    }
  }
}

}  // namespace

TEST_CASE("GEMM results are bitwise identical for 1 to 16 threads", "[kernels][gemm]") {
  check_gemm_determinism<float>(128, 784, 784, Transpose::kNo, Transpose::kYes);
  check_gemm_determinism<float>(784, 784, 128, Transpose::kYes, Transpose::kNo);
  check_gemm_determinism<double>(200, 300, 400, Transpose::kNo, Transpose::kNo);
  // Packed operands too large to pack whole first: a team packs and waits block by block.
  check_gemm_determinism<double>(520, 610, 700, Transpose::kYes, Transpose::kNo);
}

TEST_CASE("reductions and elementwise kernels are bitwise identical for 1 to 16 threads",
          "[kernels]") {
  ThreadCountGuard guard;
  std::mt19937_64 rng(8);
  Matrix<float> x(1000, 1001), y(1000, 1001);
  fill_uniform(x.view(), rng);
  const MatrixView<const float> strided = MatrixView<const float>(x).block(1, 1, 999, 999);
  float first_sum = 0, first_squares = 0, first_strided = 0;
  Matrix<float> first_relu;
  for (int threads : kThreadCounts) {
    set_num_threads(threads);
    const float s = sum<float>(x), q = sum_squares<float>(x), t = sum(strided);
    relu<float>(x, y);
    INFO(threads << " threads");
    REQUIRE(last_team_size() == threads);
    if (threads == 1) {
      first_sum = s, first_squares = q, first_strided = t, first_relu = y;
    } else {
      REQUIRE(std::memcmp(&s, &first_sum, sizeof s) == 0);
      REQUIRE(std::memcmp(&q, &first_squares, sizeof q) == 0);
      REQUIRE(std::memcmp(&t, &first_strided, sizeof t) == 0);
      REQUIRE(bitwise_equal(first_relu, y));
    }
  }
}

TEST_CASE("set_num_threads rejects a thread count below one", "[kernels]") {
  REQUIRE_THROWS_WITH(set_num_threads(0), "set_num_threads: need at least 1 thread, got 0");
}

}  // namespace simdgrad::testing
