#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>

#if defined(__linux__)
#include <unistd.h>
#endif

#include "simdgrad/matrix.h"

namespace simdgrad::testing {

TEMPLATE_TEST_CASE("a new matrix is zero-filled, 64-byte aligned and contiguous", "[kernels]",
                   float, double) {
  Matrix<TestType> m(3, 5);
  REQUIRE(reinterpret_cast<std::uintptr_t>(m.data()) % 64 == 0);
  REQUIRE(m.stride() == 5);
  REQUIRE(m.view().contiguous());
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 5; ++j) REQUIRE(m(i, j) == 0);
}

TEST_CASE("a block view shares storage and keeps the parent's stride", "[kernels]") {
  Matrix<float> m(4, 6);
  MatrixView<float> block = m.view().block(1, 2, 2, 3);
  REQUIRE(block.stride() == 6);
  REQUIRE_FALSE(block.contiguous());
  block(1, 2) = 9.0f;
  REQUIRE(m(2, 4) == 9.0f);
  REQUIRE(MatrixView<float>(m.data(), 1, 6).contiguous());
}

TEST_CASE("a block that does not fit throws naming both shapes", "[kernels]") {
  Matrix<float> m(4, 6);
  REQUIRE_THROWS_WITH(m.view().block(3, 0, 2, 6),
                      "MatrixView::block: 2x6 at (3, 0) does not fit in 4x6");
  REQUIRE_THROWS_WITH(MatrixView<float>(m.data(), 2, 6, 5),
                      "MatrixView: stride 5 is smaller than cols 6");
}

TEST_CASE("copying a matrix copies its values, moving leaves the source empty", "[kernels]") {
  Matrix<double> m(2, 2);
  m(1, 1) = 3.0;
  Matrix<double> copy = m;
  copy(1, 1) = 4.0;
  REQUIRE(m(1, 1) == 3.0);
  Matrix<double> moved = std::move(m);
  REQUIRE(moved(1, 1) == 3.0);
  REQUIRE(m.size() == 0);  // NOLINT: testing the moved-from state
}

TEST_CASE("a borrowing matrix works on memory it leaves alone, and its copies own theirs",
          "[kernels]") {
  alignas(64) float memory[2 * 8 + 1] = {};
  memory[3] = 7.0f;
  {
    Matrix<float> m = Matrix<float>::borrowing(memory, 2, 8);
    REQUIRE(m.data() == memory);
    REQUIRE(m(0, 3) == 7.0f);  // the contents are kept
    m(1, 0) = 5.0f;
    Matrix<float> copy = m;
    REQUIRE(copy.data() != memory);
    copy(1, 0) = 6.0f;
    REQUIRE(memory[8] == 5.0f);
    Matrix<float> moved = std::move(m);
    REQUIRE(moved.data() == memory);
  }  // destroying them must not free the array (the sanitizer build would report it)
  REQUIRE(memory[8] == 5.0f);
  REQUIRE_THROWS_WITH(Matrix<float>::borrowing(memory + 1, 2, 8),
                      "Matrix::borrowing: the memory does not start on a 64-byte boundary");
}

TEST_CASE("an uninitialized matrix owns aligned memory that no pass has written", "[kernels]") {
  Matrix<float> m = Matrix<float>::uninitialized(3, 17);
  REQUIRE(m.rows() == 3);
  REQUIRE(m.cols() == 17);
  REQUIRE(m.stride() == 17);
  REQUIRE(reinterpret_cast<uintptr_t>(m.data()) % 64 == 0);
  m(2, 16) = 1.5f;
  REQUIRE(m(2, 16) == 1.5f);
  REQUIRE(Matrix<float>::uninitialized(0, 5).data() == nullptr);
#if defined(__linux__)
  // 256 MiB: fresh pages, outside the resident set until written (a zero fill would add all).
  const auto resident_bytes = [] {
    std::ifstream statm("/proc/self/statm");
    size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * size_t(sysconf(_SC_PAGESIZE));
  };
  const size_t before = resident_bytes();
  Matrix<float> big = Matrix<float>::uninitialized(8192, 8192);
  REQUIRE(resident_bytes() < before + (size_t{32} << 20));
  big(8191, 8191) = 2.0f;
  REQUIRE(big(8191, 8191) == 2.0f);
#endif
}

}  // namespace simdgrad::testing
