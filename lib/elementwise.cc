#include "simdgrad/elementwise.h"

#include <omp.h>

#include <string>

#include "lib/parallel_segments.h"
#include "lib/vector_kernels.h"

namespace simdgrad {
namespace {

template <class T>
const detail::VectorKernels<T>& kernels() {
  return detail::vector_kernels<T>();
}

template <class... Views>
bool all_contiguous(const Views&... views) {
  return (views.contiguous() && ...);
}

}  // namespace

template <class T>
void fill(MatrixView<T> y, T value) {
  const auto& k = kernels<T>();
  for_each_segment(y.rows(), y.cols(), y.contiguous(),
                   [&](const Segment& s) { k.fill(value, segment_start(y, s), s.length); });
}

namespace {
template <class T, class Kernel>
void binary(const char* name, MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y,
            Kernel kernel) {
  require_same_shape(name, a, b);
  require_same_shape(name, a, y);
  for_each_segment(y.rows(), y.cols(), all_contiguous(a, b, y), [&](const Segment& s) {
    kernel(segment_start(a, s), segment_start(b, s), segment_start(y, s), s.length);
  });
}
}  // namespace

template <class T>
void add(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y) {
  binary("add", a, b, y, kernels<T>().add);
}
template <class T>
void sub(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y) {
  binary("sub", a, b, y, kernels<T>().sub);
}
template <class T>
void mul(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y) {
  binary("mul", a, b, y, kernels<T>().mul);
}
template <class T>
void relu_backward(MatrixView<const T> x, MatrixView<const T> g, MatrixView<T> y) {
  binary("relu_backward", x, g, y, kernels<T>().relu_backward);
}

template <class T>
void div(MatrixView<const T> a, MatrixView<const T> b, MatrixView<T> y) {
  binary("div", a, b, y, kernels<T>().div);
}
template <class T>
void tanh_backward(MatrixView<const T> y, MatrixView<const T> g, MatrixView<T> out) {
  binary("tanh_backward", y, g, out, kernels<T>().tanh_backward);
}
template <class T>
void sigmoid_backward(MatrixView<const T> y, MatrixView<const T> g, MatrixView<T> out) {
  binary("sigmoid_backward", y, g, out, kernels<T>().sigmoid_backward);
}

namespace {
template <class T, class Kernel>
void unary(const char* name, MatrixView<const T> x, MatrixView<T> y, Kernel kernel) {
  require_same_shape(name, x, y);
  for_each_segment(y.rows(), y.cols(), all_contiguous(x, y), [&](const Segment& s) {
    kernel(segment_start(x, s), segment_start(y, s), s.length);
  });
}

// Row-wise kernels need whole rows: one segment per row, threaded when the matrix is large.
template <class T, class Kernel>
void each_row(const char* name, MatrixView<const T> x, MatrixView<T> y, Kernel kernel) {
  require_same_shape(name, x, y);
  const bool parallel = x.size() >= kParallelMinElements && x.rows() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (parallel)
  for (size_t r = 0; r < x.rows(); ++r) kernel(x.row(r), y.row(r), x.cols());
}
}  // namespace

template <class T>
void relu(MatrixView<const T> x, MatrixView<T> y) {
  unary("relu", x, y, kernels<T>().relu);
}
template <class T>
void abs(MatrixView<const T> x, MatrixView<T> y) {
  unary("abs", x, y, kernels<T>().abs);
}
template <class T>
void sign(MatrixView<const T> x, MatrixView<T> y) {
  unary("sign", x, y, kernels<T>().sign);
}
template <class T>
void exp(MatrixView<const T> x, MatrixView<T> y) {
  unary("exp", x, y, kernels<T>().exp);
}
template <class T>
void tanh(MatrixView<const T> x, MatrixView<T> y) {
  unary("tanh", x, y, kernels<T>().tanh);
}
template <class T>
void sigmoid(MatrixView<const T> x, MatrixView<T> y) {
  unary("sigmoid", x, y, kernels<T>().sigmoid);
}
template <class T>
void copy(MatrixView<const T> x, MatrixView<T> y) {
  unary("copy", x, y, kernels<T>().copy);
}
template <class T>
void softmax_rows(MatrixView<const T> x, MatrixView<T> y) {
  each_row("softmax_rows", x, y, kernels<T>().softmax_row);
}
template <class T>
void log_softmax_rows(MatrixView<const T> x, MatrixView<T> y) {
  each_row("log_softmax_rows", x, y, kernels<T>().log_softmax_row);
}

// The kernels with a scalar parameter go through unary() with the scalar bound.
template <class T>
void clamp_min(T low, MatrixView<const T> x, MatrixView<T> y) {
  const auto& k = kernels<T>();
  unary("clamp_min", x, y, [&](const T* in, T* out, size_t n) { k.clamp_min(low, in, out, n); });
}

template <class T>
void scale(T s, MatrixView<const T> x, MatrixView<T> y) {
  const auto& k = kernels<T>();
  unary("scale", x, y, [&](const T* in, T* out, size_t n) { k.scale(s, in, out, n); });
}

template <class T>
void axpy(T a, MatrixView<const T> x, MatrixView<T> y) {
  const auto& k = kernels<T>();
  unary("axpy", x, y, [&](const T* in, T* out, size_t n) { k.axpy(a, in, out, n); });
}

namespace {
template <class T>
void require_row_vector(const char* name, MatrixView<const T> v, size_t cols) {
  if (v.rows() != 1 || v.cols() != cols) {
    throw std::invalid_argument(std::string(name) + ": expected a 1x" + std::to_string(cols) +
                                " row vector, got " + shape_string(v));
  }
}
}  // namespace

template <class T>
void add_row_vector(MatrixView<const T> bias, MatrixView<T> y) {
  require_row_vector("add_row_vector", bias, y.cols());
  const auto& k = kernels<T>();
  // Row-wise segments: the bias is indexed by column, so rows are never flattened together.
  for_each_segment(y.rows(), y.cols(), false, [&](const Segment& s) {
    k.add(segment_start(y, s), bias.data() + s.col, segment_start(y, s), s.length);
  });
}

namespace {
// Column sums are worth a team from a smaller size than kParallelMinElements. A bias gradient of
// training (128 x 784) reads rows just written half by each core of the backward GEMM's team:
// one core alone took 23-27 us per layer, a team of two 10-14 us (Zen 5, 2 threads).
inline constexpr size_t kColumnSumsParallelMinElements = size_t{1} << 16;

// Member `id`'s columns of a team of `size`: whole cache lines of the sums, so that no two
// members write one line.
template <class T>
IndexRange column_share(size_t cols, int id, int size) {
  constexpr size_t kLine = 64 / sizeof(T);
  const IndexRange lines = balanced_part(div_ceil(cols, kLine), size_t(id), size_t(size));
  return IndexRange{lines.begin * kLine, lines.end * kLine}.clamped_to({0, cols});
}

// out = 0, then out[c..] += each row's contribution row by row: `add_row(r, col, dst, n)` adds
// row r's columns [col, col + n) into dst. Each member of a team sums its share of the columns
// over the rows top to bottom, so every output element sees the same additions in the same
// order whatever the thread count.
template <class T, class AddRow>
void sum_rows_into(size_t rows, MatrixView<T> out, const AddRow& add_row) {
  const size_t cols = out.cols();
  run_on_team(rows * cols >= kColumnSumsParallelMinElements, [&](int id, int size) {
    const IndexRange share = column_share<T>(cols, id, size);
    T* const dst = out.data() + share.begin;
    kernels<T>().fill(T(0), dst, share.size());
    for (size_t r = 0; r < rows; ++r) add_row(r, share.begin, dst, share.size());
  });
}
}  // namespace

template <class T>
void column_sums(MatrixView<const T> x, MatrixView<T> out) {
  require_row_vector("column_sums", MatrixView<const T>(out), x.cols());
  const auto& k = kernels<T>();
  sum_rows_into(x.rows(), out, [&](size_t r, size_t col, T* dst, size_t n) {
    k.add(dst, x.row(r) + col, dst, n);
  });
}

template <class T>
void relu_backward_column_sums(MatrixView<const T> x, MatrixView<const T> g, MatrixView<T> out) {
  require_same_shape("relu_backward_column_sums", x, g);
  require_row_vector("relu_backward_column_sums", MatrixView<const T>(out), x.cols());
  const auto& k = kernels<T>();
  sum_rows_into(x.rows(), out, [&](size_t r, size_t col, T* dst, size_t n) {
    k.add_relu_backward(x.row(r) + col, g.row(r) + col, dst, n);
  });
}

#define SIMDGRAD_INSTANTIATE(T)                                                               \
  template void fill<T>(MatrixView<T>, T);                                                    \
  template void copy<T>(MatrixView<const T>, MatrixView<T>);                                  \
  template void add<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);              \
  template void sub<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);              \
  template void mul<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);              \
  template void scale<T>(T, MatrixView<const T>, MatrixView<T>);                              \
  template void axpy<T>(T, MatrixView<const T>, MatrixView<T>);                               \
  template void relu<T>(MatrixView<const T>, MatrixView<T>);                                  \
  template void relu_backward<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);    \
  template void add_row_vector<T>(MatrixView<const T>, MatrixView<T>);                        \
  template void column_sums<T>(MatrixView<const T>, MatrixView<T>);                           \
  template void relu_backward_column_sums<T>(MatrixView<const T>, MatrixView<const T>,        \
                                             MatrixView<T>);                                  \
  template void div<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);              \
  template void abs<T>(MatrixView<const T>, MatrixView<T>);                                   \
  template void sign<T>(MatrixView<const T>, MatrixView<T>);                                  \
  template void clamp_min<T>(T, MatrixView<const T>, MatrixView<T>);                          \
  template void exp<T>(MatrixView<const T>, MatrixView<T>);                                   \
  template void tanh<T>(MatrixView<const T>, MatrixView<T>);                                  \
  template void sigmoid<T>(MatrixView<const T>, MatrixView<T>);                               \
  template void tanh_backward<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>);    \
  template void sigmoid_backward<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<T>); \
  template void softmax_rows<T>(MatrixView<const T>, MatrixView<T>);                          \
  template void log_softmax_rows<T>(MatrixView<const T>, MatrixView<T>);
SIMDGRAD_INSTANTIATE(float)
SIMDGRAD_INSTANTIATE(double)
#undef SIMDGRAD_INSTANTIATE

}  // namespace simdgrad
