// The determinism promise: bitwise-identical results for 1, 2, 3, 4, 8 and 16 threads
// (oversubscribed on a 2-core machine), with the team size that actually ran asserted.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "lib/gemm/blocking.h"
#include "lib/gemm/depth_split.h"
#include "lib/gemm/gemm_kernels.h"
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

// C = alpha * op(A) * B + beta * C with A masked and no epilogue: the shape of the input
// gradient, which a team splits by depth. The same C every time, so that beta is checked.
template <class T>
void check_depth_split_determinism(size_t m, size_t n, size_t k, Transpose ta) {
  ThreadCountGuard guard;
  std::mt19937_64 rng(7);
  Matrix<T> a(ta == Transpose::kYes ? k : m, ta == Transpose::kYes ? m : k);
  Matrix<T> mask(a.rows(), a.cols()), b(k, n), c0(m, n);
  fill_uniform(a.view(), rng);
  fill_uniform(mask.view(), rng);
  fill_uniform(b.view(), rng);
  fill_uniform(c0.view(), rng);
  const detail::GemmKernels<T>& kernels = detail::gemm_kernels<T>();
  const size_t kc = detail::choose_blocking(m, n, k, kernels.mr, kernels.nr, sizeof(T)).kc;
  Matrix<T> first;
  bool split_somewhere = false;
  for (int threads : kThreadCounts) {
    set_num_threads(threads);
    Matrix<T> c = c0;
    gemm<T>(ta, Transpose::kNo, T(0.75), a, b, T(-0.5), c, {}, {mask.view()});
    INFO(threads << " threads, " << m << "x" << n << "x" << k);
    REQUIRE(last_team_size() == threads);
    split_somewhere |= detail::splits_depth(true, false, m, n, k, kc, sizeof(T), size_t(threads));
    if (threads == 1) {
      first = c;
    } else {
      REQUIRE(bitwise_equal(first, c));
    }
  }
  REQUIRE(split_somewhere);  // the shape exercises the depth split, not only the tile split
}

// Fresh operands for each thread count, each checked against one thread: a member that packs
// only the panels of A its row band needs would otherwise go unnoticed reading a panel left in
// its buffer by the previous call on the same operands.
template <class T>
void check_fresh_operands_determinism(size_t m, size_t n, size_t k, Transpose ta, bool masked) {
  ThreadCountGuard guard;
  std::mt19937_64 rng(11);
  for (int threads : kThreadCounts) {
    Matrix<T> a(ta == Transpose::kYes ? k : m, ta == Transpose::kYes ? m : k);
    Matrix<T> mask(a.rows(), a.cols()), b(k, n);
    fill_uniform(a.view(), rng);
    fill_uniform(mask.view(), rng);
    fill_uniform(b.view(), rng);
    const GemmPrologue<T> prologue{masked ? MatrixView<const T>(mask) : MatrixView<const T>()};
    Matrix<T> one(m, n), team(m, n);
    set_num_threads(1);
    gemm<T>(ta, Transpose::kNo, T(1), a, b, T(0), one, {}, prologue);
    set_num_threads(threads);
    gemm<T>(ta, Transpose::kNo, T(1), a, b, T(0), team, {}, prologue);
    INFO(threads << " threads, " << m << "x" << n << "x" << k << (masked ? ", masked" : ""));
    REQUIRE(last_team_size() == threads);
    REQUIRE(bitwise_equal(one, team));
  }
}

}  // namespace

TEST_CASE("a team splits the depth into groups of whole blocks, evenly or not at all",
          "[kernels][gemm]") {
  // 784 = 200 + 200 + 200 + 184: groups of two blocks for 2 threads; one block each for 4, and
  // for 8 and 16 (members sharing a group split its columns); 3 does not divide into groups
  // that take whole blocks evenly.
  CHECK(detail::depth_groups(784, 200, 1) == 1);
  CHECK(detail::depth_groups(784, 200, 2) == 2);
  CHECK(detail::depth_groups(784, 200, 3) == 1);
  CHECK(detail::depth_groups(784, 200, 4) == 4);
  CHECK(detail::depth_groups(784, 200, 8) == 4);
  CHECK(detail::depth_groups(784, 200, 16) == 4);
  CHECK(detail::depth_groups(600, 200, 2) == 1);  // 200 against 400
  CHECK(detail::depth_groups(600, 200, 3) == 3);
  CHECK(detail::depth_groups(200, 200, 8) == 1);  // one block
  // Only for an in-place B and no epilogue, and not when the later blocks' products are large.
  CHECK(detail::splits_depth(true, false, 128, 784, 784, 200, 4, 2));
  CHECK_FALSE(detail::splits_depth(false, false, 128, 784, 784, 200, 4, 2));
  CHECK_FALSE(detail::splits_depth(true, true, 128, 784, 784, 200, 4, 2));
  CHECK_FALSE(detail::splits_depth(true, false, 128, 784, 784, 200, 4, 1));
  CHECK_FALSE(detail::splits_depth(true, false, 256, 100000, 784, 200, 4, 2));
}

TEST_CASE("GEMM split by depth gives the bits of one thread for 1 to 16 threads",
          "[kernels][gemm]") {
  // The input gradient's depth (784: 4 blocks) at a third of its size, kind to emulators.
  check_depth_split_determinism<float>(96, 300, 784, Transpose::kNo);
  check_depth_split_determinism<float>(37, 250, 400, Transpose::kNo);    // ragged panels, 2 blocks
  check_depth_split_determinism<double>(64, 300, 600, Transpose::kYes);  // 3 blocks
}

TEST_CASE("GEMM results are bitwise identical for 1 to 16 threads", "[kernels][gemm]") {
  check_gemm_determinism<float>(128, 784, 784, Transpose::kNo, Transpose::kYes);
  check_gemm_determinism<float>(784, 784, 128, Transpose::kYes, Transpose::kNo);
  check_gemm_determinism<double>(200, 300, 400, Transpose::kNo, Transpose::kNo);
  // One row panel: a member packing its own panels may own an empty band of rows.
  check_gemm_determinism<float>(8, 600, 400, Transpose::kNo, Transpose::kNo);
  // Packed operands too large to pack whole first: a team packs and waits block by block.
  check_gemm_determinism<double>(520, 610, 700, Transpose::kYes, Transpose::kNo);
}

TEST_CASE("GEMM on new operands gives the bits of one thread for 1 to 16 threads",
          "[kernels][gemm]") {
  // The weight gradient of training, whose team members pack their own panels.
  check_fresh_operands_determinism<float>(784, 784, 128, Transpose::kYes, true);
  check_fresh_operands_determinism<float>(300, 260, 128, Transpose::kYes, false);  // ragged
  check_fresh_operands_determinism<double>(210, 400, 96, Transpose::kNo, true);
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

// Column sums split the columns over a team: a bias gradient's shape (128 x 784), a ragged
// one (the last cache line of sums part-filled), and one of 3 lines of columns, so that most
// members of a large team have no columns at all.
template <class T>
void check_column_sums_determinism(size_t rows, size_t cols) {
  ThreadCountGuard guard;
  std::mt19937_64 rng(9);
  Matrix<T> x(rows, cols), g(rows, cols);
  fill_uniform(x.view(), rng);
  fill_uniform(g.view(), rng);
  Matrix<T> first_sums, first_masked;
  for (int threads : kThreadCounts) {
    set_num_threads(threads);
    Matrix<T> sums(1, cols), masked(1, cols);
    fill_uniform(sums.view(), rng);  // a stale sum would otherwise pass for a computed one
    fill_uniform(masked.view(), rng);
    column_sums<T>(x, sums);
    relu_backward_column_sums<T>(x, g, masked);
    INFO(threads << " threads, " << rows << "x" << cols);
    REQUIRE(last_team_size() == threads);
    if (threads == 1) {
      first_sums = sums, first_masked = masked;
    } else {
      REQUIRE(bitwise_equal(first_sums, sums));
      REQUIRE(bitwise_equal(first_masked, masked));
    }
  }
}

TEST_CASE("column sums are bitwise identical for 1 to 16 threads", "[kernels]") {
  check_column_sums_determinism<float>(128, 784);
  check_column_sums_determinism<float>(300, 517);
  check_column_sums_determinism<double>(2000, 40);
}

TEST_CASE("set_num_threads rejects a thread count below one", "[kernels]") {
  REQUIRE_THROWS_WITH(set_num_threads(0), "set_num_threads: need at least 1 thread, got 0");
}

}  // namespace simdgrad::testing
