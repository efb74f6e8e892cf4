// Dense row-major matrices: an owning, 64-byte aligned Matrix<T> and non-owning views.
//
// A view is (data, rows, cols, stride): element (r, c) lives at data[r * stride + c], so a
// sub-block of a larger matrix is a view with the parent's stride. Every shape check throws
// std::invalid_argument naming the operation and both shapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "simdgrad/aligned_memory.h"
#include "simdgrad/index_range.h"

namespace simdgrad {

template <class T>
class MatrixView {
 public:
  using value_type = std::remove_const_t<T>;

  MatrixView() = default;
  MatrixView(T* data, size_t rows, size_t cols, size_t stride)
      : data_(data), rows_(rows), cols_(cols), stride_(stride) {
    if (stride < cols && rows > 1) {
      throw std::invalid_argument("MatrixView: stride " + std::to_string(stride) +
                                  " is smaller than cols " + std::to_string(cols));
    }
  }
  MatrixView(T* data, size_t rows, size_t cols) : MatrixView(data, rows, cols, cols) {}

  // A view of mutable data converts to a view of const data, never the other way.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  MatrixView(const MatrixView<U>& other)  // NOLINT: implicit on purpose
      : data_(other.data()), rows_(other.rows()), cols_(other.cols()), stride_(other.stride()) {}

  T* data() const { return data_; }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t stride() const { return stride_; }
  size_t size() const { return rows_ * cols_; }
  bool empty() const { return rows_ == 0 || cols_ == 0; }
  // Contiguous: the rows follow each other without gaps, so the data is one flat span.
  bool contiguous() const { return stride_ == cols_ || rows_ <= 1; }

  T* row(size_t r) const { return data_ + r * stride_; }
  T& operator()(size_t r, size_t c) const { return data_[r * stride_ + c]; }

  MatrixView block(size_t row0, size_t col0, size_t rows, size_t cols) const {
    if (row0 + rows > rows_ || col0 + cols > cols_) {
      throw std::invalid_argument("MatrixView::block: " + std::to_string(rows) + "x" +
                                  std::to_string(cols) + " at (" + std::to_string(row0) + ", " +
                                  std::to_string(col0) + ") does not fit in " +
                                  std::to_string(rows_) + "x" + std::to_string(cols_));
    }
    return MatrixView(data_ + row0 * stride_ + col0, rows, cols, stride_);
  }

 private:
  T* data_ = nullptr;
  size_t rows_ = 0;
  size_t cols_ = 0;
  size_t stride_ = 0;
};

// Elements `range` of contiguous storage, as one row: a share of a tensor in storage order.
template <class T>
MatrixView<T> elements_view(T* data, IndexRange range) {
  return MatrixView<T>(data + range.begin, 1, range.size(), range.size());
}

// "3x4" — how every shape error spells a shape.
template <class T>
std::string shape_string(const MatrixView<T>& m) {
  return std::to_string(m.rows()) + "x" + std::to_string(m.cols());
}

template <class A, class B>
void require_same_shape(const char* operation, const MatrixView<A>& a, const MatrixView<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) {
    throw std::invalid_argument(std::string(operation) + ": shape mismatch, " + shape_string(a) +
                                " vs " + shape_string(b));
  }
}

// Owning matrix. Storage is contiguous (stride == cols) and starts on a 64-byte boundary;
// new matrices are zero-filled.
template <class T>
class Matrix {
  static_assert(std::is_floating_point_v<T>, "Matrix holds float or double");

 public:
  Matrix() = default;
  Matrix(size_t rows, size_t cols) : Matrix(uninitialized(rows, cols)) {
    if (size() != 0) std::memset(data_.get(), 0, size() * sizeof(T));
  }
  // A matrix over rows * cols elements at `data` that it does not own and never frees, for
  // memory that others manage (e.g. shared between processes); the memory must outlive it and
  // start on a 64-byte boundary (std::invalid_argument otherwise). Its contents are kept.
  // Copies of it own their memory.
  static Matrix borrowing(T* data, size_t rows, size_t cols) {
    if (reinterpret_cast<uintptr_t>(data) % 64 != 0) {
      throw std::invalid_argument(
          "Matrix::borrowing: the memory does not start on a 64-byte boundary");
    }
    Matrix m;
    m.data_ = Storage(data, Release{false});
    m.rows_ = rows;
    m.cols_ = cols;
    return m;
  }
  // A matrix whose contents are unspecified: no pass writes zeros, so its memory is not
  // touched (and a large one not made resident) until written. For buffers written before
  // they are read, such as a gradient flagged zero (autograd's Parameter::grad_is_zero).
  static Matrix uninitialized(size_t rows, size_t cols) {
    Matrix m;
    m.rows_ = rows;
    m.cols_ = cols;
    if (m.size() != 0) m.data_ = Storage(allocate_aligned<T>(m.size()).release(), Release{true});
    return m;
  }
  Matrix(const Matrix& other) : Matrix(uninitialized(other.rows_, other.cols_)) {
    if (size()) std::memcpy(data_.get(), other.data_.get(), size() * sizeof(T));
  }
  Matrix& operator=(const Matrix& other) {
    if (this != &other) *this = Matrix(other);
    return *this;
  }
  // A moved-from matrix is empty (0 x 0), not a shape without storage.
  Matrix(Matrix&& other) noexcept
      : data_(std::move(other.data_)),
        rows_(std::exchange(other.rows_, 0)),
        cols_(std::exchange(other.cols_, 0)) {}
  Matrix& operator=(Matrix&& other) noexcept {
    data_ = std::move(other.data_);
    rows_ = std::exchange(other.rows_, 0);
    cols_ = std::exchange(other.cols_, 0);
    return *this;
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t stride() const { return cols_; }
  size_t size() const { return rows_ * cols_; }

  T& operator()(size_t r, size_t c) { return data_[r * cols_ + c]; }
  const T& operator()(size_t r, size_t c) const { return data_[r * cols_ + c]; }

  MatrixView<T> view() { return MatrixView<T>(data(), rows_, cols_, cols_); }
  MatrixView<const T> view() const { return MatrixView<const T>(data(), rows_, cols_, cols_); }
  operator MatrixView<T>() { return view(); }              // NOLINT: implicit on purpose
  operator MatrixView<const T>() const { return view(); }  // NOLINT: implicit on purpose

 private:
  // Frees what allocate_aligned made; leaves borrowed memory alone.
  struct Release {
    bool owned = true;
    void operator()(T* data) const {
      if (owned) hwy::AlignedFreer()(data);
    }
  };
  using Storage = std::unique_ptr<T[], Release>;
  Storage data_;
  size_t rows_ = 0;
  size_t cols_ = 0;
};

}  // namespace simdgrad
