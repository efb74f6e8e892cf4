// A user-defined op with its own backward, recorded on simdgrad's tape through the public API
// and verified by finite differences with gradcheck().
//
//   custom_op                 checks softplus, prints the report, exits 0 when it passes
//   custom_op --wrong         the same with a deliberately wrong backward: the check must fail
//
// softplus(x) = log(1 + e^x), whose derivative is sigmoid(x) = 1 / (1 + e^-x).
#include <simdgrad/simdgrad.h>

#include <cmath>
#include <cstdio>
#include <cstring>

namespace {

using namespace simdgrad;
using namespace simdgrad::autograd;

// Backward: the input's gradient is g * sigmoid(x). A node keeps ids, not pointers: the values
// live in the tape's arena until the next reset(). accumulate() hands us the destination, so
// an input used twice gets both contributions summed.
template <class T>
void softplus_backward(Tape<T>& tape, const Node<T>& node) {
  const MatrixView<const T> x = tape.value(node.inputs[0]);
  const MatrixView<const T> g = tape.grad(node.output);
  tape.accumulate(node.inputs[0], [&](MatrixView<T> dst) {
    simdgrad::sigmoid<T>(x, dst);  // the library's SIMD kernels work on any view
    simdgrad::mul<T>(dst, g, dst);
  });
}

// The same with the classic slip of differentiating at the output instead of the input.
template <class T>
void softplus_backward_wrong(Tape<T>& tape, const Node<T>& node) {
  const MatrixView<const T> y = tape.value(node.output);
  const MatrixView<const T> g = tape.grad(node.output);
  tape.accumulate(node.inputs[0], [&](MatrixView<T> dst) {
    simdgrad::sigmoid<T>(y, dst);
    simdgrad::mul<T>(dst, g, dst);
  });
}

// Forward: computes into tape-owned memory, then records one node with its backward.
template <class T>
Var<T> softplus(Var<T> x, typename Node<T>::Backward backward) {
  Tape<T>& tape = x.tape();
  const MatrixView<const T> in = x.value();
  MatrixView<T> out = tape.allocate(in.rows(), in.cols());
  for (size_t r = 0; r < in.rows(); ++r) {
    for (size_t c = 0; c < in.cols(); ++c) {
      const T v = in(r, c);  // stable for large |v|: max(v, 0) + log1p(e^-|v|)
      out(r, c) = std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
    }
  }
  Node<T>* node = nullptr;
  Var<T> y = tape.record(out, {x}, &node);
  if (node != nullptr) node->backward = backward;  // null when no gradient is wanted
  return y;
}

void fill_uniform(Parameter<double>& p, Random& rng, double low, double high) {
  for (size_t i = 0; i < p.value.size(); ++i) p.value.data()[i] = rng.uniform(low, high);
}

}  // namespace

int main(int argc, char** argv) {
  const bool wrong = argc > 1 && std::strcmp(argv[1], "--wrong") == 0;
  if (argc > 2 || (argc == 2 && !wrong)) {
    std::fprintf(stderr, "usage: custom_op [--wrong]\n");
    return 2;
  }
  // A small layer: softplus(x Wᵀ), checked in double with respect to both W and x.
  Parameter<double> weight("weight", 4, 6), x("x", 5, 6);
  Random rng(7);
  fill_uniform(weight, rng, -1, 1);
  fill_uniform(x, rng, -2, 2);
  const auto backward = wrong ? &softplus_backward_wrong<double> : &softplus_backward<double>;

  const GradcheckReport report = gradcheck<double>(
      [&](Tape<double>& tape, const std::vector<Var<double>>& in) {
        (void)tape;
        return softplus(matmul(in[1], in[0], Transpose::kNo, Transpose::kYes), backward);
      },
      {&weight, &x});
  std::printf("softplus(x Wᵀ)%s, gradcheck in double:\n%s", wrong ? " with a wrong backward" : "",
              report.to_string().c_str());
  return report.passed ? 0 : 1;
}
