// Your own kernel on the machine's roofline, in your own Google Benchmark program: a row-wise
// softmax written as three plain loops (max, exponentials and their sum, scaling), next to
// simdgrad's fused softmax_rows, on rows that live in L2 and in memory. Each benchmark reports
// arithmetic_intensity and roofline_fraction against the roofline this program measures.
//
//   roofline_softmax [--benchmark_out=softmax.json]     (then bench/plot_roofline.py)
#include <benchmark/benchmark.h>
#include <simdgrad/bench/roofline_counters.h>
#include <simdgrad/simdgrad.h>

#include <algorithm>
#include <cmath>

namespace {

using simdgrad::Matrix;

// The plain softmax of each row of x into y.
void plain_softmax(const Matrix<float>& x, Matrix<float>& y) {
  for (size_t r = 0; r < x.rows(); ++r) {
    const float* in = &x(r, 0);
    float* out = &y(r, 0);
    const float top = *std::max_element(in, in + x.cols());
    float sum = 0;
    for (size_t c = 0; c < x.cols(); ++c) sum += out[c] = std::exp(in[c] - top);
    for (size_t c = 0; c < x.cols(); ++c) out[c] /= sum;
  }
}

// Per element: max, subtract, add, divide, and the exponential, which vector code computes as
// a range reduction and a polynomial of about 20 operations.
constexpr double kFlopsPerElement = 4 + 20;

void softmax_benchmark(benchmark::State& state, bool fused) {
  const size_t rows = size_t(state.range(0)), cols = 1000;
  Matrix<float> x(rows, cols), y(rows, cols);
  for (size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 97) * 0.01f;
  simdgrad::set_num_threads(1);
  const double elements = double(x.size());
  const double bytes = 2 * elements * sizeof(float);  // read x, write y
  simdgrad::bench::run_on_roofline(state, kFlopsPerElement * elements, bytes,
                                   simdgrad::level_of(size_t(bytes), 1), 1, [&] {
                                     if (fused) {
                                       simdgrad::softmax_rows<float>(x, y);
                                     } else {
                                       plain_softmax(x, y);
                                     }
                                     benchmark::ClobberMemory();
                                   });
}

}  // namespace

// 64 rows (500 KB, in L2) and 16,384 rows (131 MB, in memory).
BENCHMARK_CAPTURE(softmax_benchmark, plain, false)->Arg(64)->Arg(16384)->UseRealTime();
BENCHMARK_CAPTURE(softmax_benchmark, simdgrad, true)->Arg(64)->Arg(16384)->UseRealTime();
BENCHMARK_MAIN();
