// Forward and backward of every op in ops.h. Conventions: `g` is the gradient of the op's
// output; each input's contribution goes through Tape::accumulate (elementwise kernels) or
// Tape::grad_target (GEMMs, which accumulate through beta), so an input used twice sums its
// contributions.
#include "simdgrad/autograd/ops.h"

#include <string>

#include "simdgrad/elementwise.h"
#include "simdgrad/reductions.h"

namespace simdgrad::autograd {
namespace {

template <class T>
using View = MatrixView<T>;
template <class T>
constexpr T kMapeEpsilon = T(1e-7);  // Keras' K.epsilon()
template <class T>
using ConstView = MatrixView<const T>;

constexpr uint32_t kTransposeA = 1;
constexpr uint32_t kTransposeB = 2;
constexpr uint32_t kReluOutput = 4;

Transpose flip(Transpose t) { return t == Transpose::kNo ? Transpose::kYes : Transpose::kNo; }
Transpose transpose_flag(uint32_t flags, uint32_t bit) {
  return (flags & bit) ? Transpose::kYes : Transpose::kNo;
}

template <class T>
T scalar_of(ConstView<T> one_by_one) {
  return one_by_one(0, 0);
}

// Records a 1x1 result.
template <class T>
View<T> scalar_output(Tape<T>& tape, double value) {
  View<T> out = tape.allocate(1, 1);
  out(0, 0) = static_cast<T>(value);
  return out;
}

template <class T>
void require_same(const char* op, Var<T> a, Var<T> b) {
  require_same_shape(op, a.value(), b.value());
}

// ---- matmul -------------------------------------------------------------------------------
// C = op(A) op(B):  dop(A) = dC op(B)ᵀ,  dop(B) = op(A)ᵀ dC.
template <class T>
void matmul_backward(Tape<T>& tape, const Node<T>& node) {
  const uint32_t a = node.inputs[0], b = node.inputs[1];
  const Transpose ta = transpose_flag(node.flags, kTransposeA);
  const Transpose tb = transpose_flag(node.flags, kTransposeB);
  const ConstView<T> g = tape.grad(node.output);
  if (tape.needs_grad(a)) {
    T beta;
    const View<T> da = tape.grad_target(a, &beta);
    if (ta == Transpose::kNo) {
      gemm<T>(Transpose::kNo, flip(tb), T(1), g, tape.value(b), beta, da);
    } else {
      gemm<T>(tb, Transpose::kYes, T(1), tape.value(b), g, beta, da);
    }
  }
  if (tape.needs_grad(b)) {
    T beta;
    const View<T> db = tape.grad_target(b, &beta);
    if (tb == Transpose::kNo) {
      gemm<T>(flip(ta), Transpose::kNo, T(1), tape.value(a), g, beta, db);
    } else {
      gemm<T>(Transpose::kYes, ta, T(1), g, tape.value(a), beta, db);
    }
  }
}

// ---- linear -------------------------------------------------------------------------------
// Y = act(X Wᵀ + b):  dZ = dY·[Y > 0] (ReLU) or dY,  dX = dZ W,  dW = dZᵀ X,  db = colsum(dZ).
template <class T>
void linear_backward(Tape<T>& tape, const Node<T>& node) {
  const uint32_t x = node.inputs[0], w = node.inputs[1], b = node.inputs[2];
  // With a ReLU, dZ = dY * [Y > 0] is never written: both GEMMs apply the mask while they pack
  // dY, and the bias gradient sums the masked columns directly.
  const ConstView<T> dy = tape.grad(node.output);
  const bool relu = node.flags & kReluOutput;
  const GemmPrologue<T> mask_dy{relu ? tape.value(node.output) : ConstView<T>()};
  if (tape.needs_grad(x)) {
    T beta;
    const View<T> dx = tape.grad_target(x, &beta);
    gemm<T>(Transpose::kNo, Transpose::kNo, T(1), dy, tape.value(w), beta, dx, {}, mask_dy);
  }
  if (tape.needs_grad(w)) {
    T beta;
    const View<T> dw = tape.grad_target(w, &beta);
    gemm<T>(Transpose::kYes, Transpose::kNo, T(1), dy, tape.value(x), beta, dw, {}, mask_dy);
  }
  if (tape.needs_grad(b)) {
    tape.accumulate(b, [&](View<T> dst) {
      if (relu) {
        relu_backward_column_sums<T>(tape.value(node.output), dy, dst);
      } else {
        column_sums<T>(dy, dst);
      }
    });
  }
}

// ---- elementwise --------------------------------------------------------------------------
template <class T>
void add_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  for (uint32_t in : {node.inputs[0], node.inputs[1]}) {
    if (tape.needs_grad(in)) tape.accumulate(in, [&](View<T> dst) { copy<T>(g, dst); });
  }
}

template <class T>
void sub_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  if (tape.needs_grad(node.inputs[0])) {
    tape.accumulate(node.inputs[0], [&](View<T> dst) { copy<T>(g, dst); });
  }
  if (tape.needs_grad(node.inputs[1])) {
    tape.accumulate(node.inputs[1], [&](View<T> dst) { scale<T>(T(-1), g, dst); });
  }
}

template <class T>
void mul_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  const uint32_t a = node.inputs[0], b = node.inputs[1];
  if (tape.needs_grad(a)) tape.accumulate(a, [&](View<T> dst) { mul<T>(g, tape.value(b), dst); });
  if (tape.needs_grad(b)) tape.accumulate(b, [&](View<T> dst) { mul<T>(g, tape.value(a), dst); });
}

template <class T>
void scale_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  tape.accumulate(node.inputs[0], [&](View<T> dst) { scale<T>(node.scalar, g, dst); });
}

template <class T>
void add_bias_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  if (tape.needs_grad(node.inputs[0])) {
    tape.accumulate(node.inputs[0], [&](View<T> dst) { copy<T>(g, dst); });
  }
  if (tape.needs_grad(node.inputs[1])) {
    tape.accumulate(node.inputs[1], [&](View<T> dst) { column_sums<T>(g, dst); });
  }
}

template <class T>
void relu_op_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  tape.accumulate(node.inputs[0],
                  [&](View<T> dst) { relu_backward<T>(tape.value(node.inputs[0]), g, dst); });
}

template <class T>
void tanh_op_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  tape.accumulate(node.inputs[0],
                  [&](View<T> dst) { tanh_backward<T>(tape.value(node.output), g, dst); });
}

template <class T>
void sigmoid_op_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  tape.accumulate(node.inputs[0],
                  [&](View<T> dst) { sigmoid_backward<T>(tape.value(node.output), g, dst); });
}

template <class T>
void square_backward(Tape<T>& tape, const Node<T>& node) {
  const ConstView<T> g = tape.grad(node.output);
  tape.accumulate(node.inputs[0], [&](View<T> dst) {
    mul<T>(tape.value(node.inputs[0]), g, dst);
    scale<T>(T(2), dst, dst);
  });
}

// ---- reductions and losses (1x1 outputs; node.scalar holds the constant factor) ------------
template <class T>
void fill_backward(Tape<T>& tape, const Node<T>& node) {
  const T g = scalar_of(tape.grad(node.output)) * node.scalar;
  tape.accumulate(node.inputs[0], [&](View<T> dst) { fill(dst, g); });
}

// d/dprediction = (2/n) g diff, d/dtarget = -(2/n) g diff, diff = prediction - target.
template <class T>
void mse_backward(Tape<T>& tape, const Node<T>& node) {
  const T c = scalar_of(tape.grad(node.output)) * node.scalar;
  const ConstView<T> diff = tape.value(node.saved[0]);
  if (tape.needs_grad(node.inputs[0])) {
    tape.accumulate(node.inputs[0], [&](View<T> dst) { scale<T>(c, diff, dst); });
  }
  if (tape.needs_grad(node.inputs[1])) {
    tape.accumulate(node.inputs[1], [&](View<T> dst) { scale<T>(-c, diff, dst); });
  }
}

// d/dprediction = (100/n) g sign(prediction - target) / max(|target|, eps).
template <class T>
void mape_backward(Tape<T>& tape, const Node<T>& node) {
  const T c = scalar_of(tape.grad(node.output)) * node.scalar;
  if (!tape.needs_grad(node.inputs[0])) return;
  tape.accumulate(node.inputs[0], [&](View<T> dst) {
    sign<T>(tape.value(node.saved[0]), dst);
    div<T>(dst, tape.value(node.saved[1]), dst);
    scale<T>(c, dst, dst);
  });
}

// d/dlogits = (g/rows)(softmax(logits) * rowsum(target) - target) (softmax - target when the
// target rows are distributions), d/dtarget = -(g/rows) log_softmax(logits).
template <class T>
void softmax_cross_entropy_backward(Tape<T>& tape, const Node<T>& node) {
  const T c = scalar_of(tape.grad(node.output)) * node.scalar;
  const ConstView<T> log_p = tape.value(node.saved[0]);
  const ConstView<T> target = tape.value(node.inputs[1]);
  if (tape.needs_grad(node.inputs[0])) {
    tape.accumulate(node.inputs[0], [&](View<T> dst) {
      exp<T>(log_p, dst);
      for (size_t r = 0; r < dst.rows(); ++r) {
        const View<T> row = dst.block(r, 0, 1, dst.cols());
        scale<T>(simdgrad::sum<T>(target.block(r, 0, 1, target.cols())), row, row);
      }
      sub<T>(dst, target, dst);
      scale<T>(c, dst, dst);
    });
  }
  if (tape.needs_grad(node.inputs[1])) {
    tape.accumulate(node.inputs[1], [&](View<T> dst) { scale<T>(-c, log_p, dst); });
  }
}

// Records `out` as the result of a one-input op whose backward is `backward`.
template <class T>
Var<T> record_unary(Tape<T>& tape, View<T> out, Var<T> x, typename Node<T>::Backward backward,
                    T scalar = T(0)) {
  Node<T>* node;
  Var<T> y = tape.record(out, {x}, &node);
  if (node) {
    node->backward = backward;
    node->scalar = scalar;
  }
  return y;
}

template <class T>
Var<T> record_binary(Tape<T>& tape, View<T> out, Var<T> a, Var<T> b,
                     typename Node<T>::Backward backward) {
  Node<T>* node;
  Var<T> y = tape.record(out, {a, b}, &node);
  if (node) node->backward = backward;
  return y;
}

}  // namespace

template <class T>
Var<T> matmul(Var<T> a, Var<T> b, Transpose ta, Transpose tb) {
  Tape<T>& tape = a.tape();
  const size_t m = ta == Transpose::kNo ? a.rows() : a.cols();
  const size_t n = tb == Transpose::kNo ? b.cols() : b.rows();
  View<T> out = tape.allocate(m, n);
  gemm<T>(ta, tb, T(1), a.value(), b.value(), T(0), out);
  Node<T>* node;
  Var<T> y = tape.record(out, {a, b}, &node);
  if (node) {
    node->backward = &matmul_backward<T>;
    node->flags =
        (ta == Transpose::kYes ? kTransposeA : 0) | (tb == Transpose::kYes ? kTransposeB : 0);
  }
  return y;
}

template <class T>
Var<T> linear(Var<T> x, Var<T> weight, Var<T> bias, Activation activation) {
  Tape<T>& tape = x.tape();
  if (weight.cols() != x.cols() || bias.rows() != 1 || bias.cols() != weight.rows()) {
    throw std::invalid_argument("linear: x " + shape_string(x.value()) + ", weight " +
                                shape_string(weight.value()) + " (out x in), bias " +
                                shape_string(bias.value()) + " do not fit");
  }
  View<T> out = tape.allocate(x.rows(), weight.rows());
  gemm<T>(Transpose::kNo, Transpose::kYes, T(1), x.value(), weight.value(), T(0), out,
          {bias.value(), activation});
  if (activation == Activation::kRelu) tape.record_kinks(out, T(0));
  Node<T>* node;
  Var<T> y = tape.record(out, {x, weight, bias}, &node);
  if (node) {
    node->backward = &linear_backward<T>;
    node->flags = activation == Activation::kRelu ? kReluOutput : 0;
  }
  return y;
}

template <class T>
Var<T> add(Var<T> a, Var<T> b) {
  View<T> out = a.tape().allocate(a.rows(), a.cols());
  simdgrad::add<T>(a.value(), b.value(), out);
  return record_binary(a.tape(), out, a, b, &add_backward<T>);
}

template <class T>
Var<T> sub(Var<T> a, Var<T> b) {
  View<T> out = a.tape().allocate(a.rows(), a.cols());
  simdgrad::sub<T>(a.value(), b.value(), out);
  return record_binary(a.tape(), out, a, b, &sub_backward<T>);
}

template <class T>
Var<T> mul(Var<T> a, Var<T> b) {
  View<T> out = a.tape().allocate(a.rows(), a.cols());
  simdgrad::mul<T>(a.value(), b.value(), out);
  return record_binary(a.tape(), out, a, b, &mul_backward<T>);
}

template <class T>
Var<T> scale(Var<T> x, T s) {
  View<T> out = x.tape().allocate(x.rows(), x.cols());
  simdgrad::scale<T>(s, x.value(), out);
  return record_unary(x.tape(), out, x, &scale_backward<T>, s);
}

template <class T>
Var<T> add_bias(Var<T> x, Var<T> bias) {
  View<T> out = x.tape().allocate(x.rows(), x.cols());
  simdgrad::copy<T>(x.value(), out);
  add_row_vector<T>(bias.value(), out);
  return record_binary(x.tape(), out, x, bias, &add_bias_backward<T>);
}

template <class T>
Var<T> relu(Var<T> x) {
  View<T> out = x.tape().allocate(x.rows(), x.cols());
  simdgrad::relu<T>(x.value(), out);
  x.tape().record_kinks(x.value(), T(0));
  return record_unary(x.tape(), out, x, &relu_op_backward<T>);
}

template <class T>
Var<T> tanh(Var<T> x) {
  View<T> out = x.tape().allocate(x.rows(), x.cols());
  simdgrad::tanh<T>(x.value(), out);
  return record_unary(x.tape(), out, x, &tanh_op_backward<T>);
}

template <class T>
Var<T> sigmoid(Var<T> x) {
  View<T> out = x.tape().allocate(x.rows(), x.cols());
  simdgrad::sigmoid<T>(x.value(), out);
  return record_unary(x.tape(), out, x, &sigmoid_op_backward<T>);
}

template <class T>
Var<T> square(Var<T> x) {
  View<T> out = x.tape().allocate(x.rows(), x.cols());
  simdgrad::mul<T>(x.value(), x.value(), out);
  return record_unary(x.tape(), out, x, &square_backward<T>);
}

template <class T>
Var<T> sum(Var<T> x) {
  View<T> out = scalar_output<T>(x.tape(), simdgrad::sum<T>(x.value()));
  return record_unary(x.tape(), out, x, &fill_backward<T>, T(1));
}

template <class T>
Var<T> mean(Var<T> x) {
  const double n = double(x.value().size());
  View<T> out = scalar_output<T>(x.tape(), double(simdgrad::sum<T>(x.value())) / n);
  return record_unary(x.tape(), out, x, &fill_backward<T>, T(1.0 / n));
}

// The MSE node over a computed difference and its square sum: mse_loss and mse_loss_with_mape
// record the same node.
template <class T>
Var<T> record_mse(Var<T> prediction, Var<T> target, View<T> diff, double squared_sum) {
  Tape<T>& tape = prediction.tape();
  const double n = double(prediction.value().size());
  View<T> out = scalar_output<T>(tape, squared_sum / n);
  Node<T>* node;
  Var<T> y = tape.record(out, {prediction, target}, &node);
  if (node) {
    node->backward = &mse_backward<T>;
    node->scalar = T(2.0 / n);
    node->saved[0] = tape.add_value(diff);
  }
  return y;
}

template <class T>
Var<T> mse_loss(Var<T> prediction, Var<T> target) {
  Tape<T>& tape = prediction.tape();
  require_same("mse_loss", prediction, target);
  View<T> diff = tape.allocate(prediction.rows(), prediction.cols());
  simdgrad::sub<T>(prediction.value(), target.value(), diff);
  return record_mse(prediction, target, diff, double(sum_squares<T>(diff)));
}

template <class T>
Var<T> mape(Var<T> prediction, Var<T> target) {
  Tape<T>& tape = prediction.tape();
  require_same("mape", prediction, target);
  const double n = double(prediction.value().size());
  const T epsilon = kMapeEpsilon<T>;
  View<T> diff = tape.allocate(prediction.rows(), prediction.cols());
  View<T> denominator = tape.allocate(prediction.rows(), prediction.cols());
  View<T> ratio = tape.allocate(prediction.rows(), prediction.cols());
  simdgrad::sub<T>(prediction.value(), target.value(), diff);
  simdgrad::abs<T>(target.value(), denominator);
  clamp_min<T>(epsilon, denominator, denominator);
  simdgrad::abs<T>(diff, ratio);
  div<T>(ratio, denominator, ratio);
  tape.record_kinks(diff, T(0));
  View<T> out = scalar_output<T>(tape, 100.0 * double(simdgrad::sum<T>(ratio)) / n);
  Node<T>* node;
  Var<T> y = tape.record(out, {prediction, target}, &node);
  if (node) {
    node->backward = &mape_backward<T>;
    node->scalar = T(100.0 / n);
    node->saved[0] = tape.add_value(diff);
    node->saved[1] = tape.add_value(denominator);
  }
  return y;
}

template <class T>
LossWithMape<T> mse_loss_with_mape(Var<T> prediction, Var<T> target) {
  Tape<T>& tape = prediction.tape();
  require_same("mse_loss_with_mape", prediction, target);
  const double n = double(prediction.value().size());
  View<T> diff = tape.allocate(prediction.rows(), prediction.cols());
  const ErrorSums<T> sums =
      squared_and_relative_errors<T>(prediction.value(), target.value(), kMapeEpsilon<T>, diff);
  const Var<T> loss = record_mse(prediction, target, diff, double(sums.squared));
  // mape's value goes through T as its 1x1 result does.
  return {loss, double(static_cast<T>(100.0 * double(sums.relative) / n)), diff};
}

template <class T>
Var<T> softmax_cross_entropy(Var<T> logits, Var<T> target) {
  Tape<T>& tape = logits.tape();
  require_same("softmax_cross_entropy", logits, target);
  const double rows = double(logits.rows());
  View<T> log_p = tape.allocate(logits.rows(), logits.cols());
  View<T> product = tape.allocate(logits.rows(), logits.cols());
  log_softmax_rows<T>(logits.value(), log_p);
  simdgrad::mul<T>(target.value(), log_p, product);
  View<T> out = scalar_output<T>(tape, -double(simdgrad::sum<T>(product)) / rows);
  Node<T>* node;
  Var<T> y = tape.record(out, {logits, target}, &node);
  if (node) {
    node->backward = &softmax_cross_entropy_backward<T>;
    node->scalar = T(1.0 / rows);
    node->saved[0] = tape.add_value(log_p);
  }
  return y;
}

#define SIMDGRAD_INSTANTIATE(T)                                    \
  template Var<T> matmul<T>(Var<T>, Var<T>, Transpose, Transpose); \
  template Var<T> linear<T>(Var<T>, Var<T>, Var<T>, Activation);   \
  template Var<T> add<T>(Var<T>, Var<T>);                          \
  template Var<T> sub<T>(Var<T>, Var<T>);                          \
  template Var<T> mul<T>(Var<T>, Var<T>);                          \
  template Var<T> scale<T>(Var<T>, T);                             \
  template Var<T> add_bias<T>(Var<T>, Var<T>);                     \
  template Var<T> relu<T>(Var<T>);                                 \
  template Var<T> tanh<T>(Var<T>);                                 \
  template Var<T> sigmoid<T>(Var<T>);                              \
  template Var<T> square<T>(Var<T>);                               \
  template Var<T> sum<T>(Var<T>);                                  \
  template Var<T> mean<T>(Var<T>);                                 \
  template Var<T> mse_loss<T>(Var<T>, Var<T>);                     \
  template Var<T> mape<T>(Var<T>, Var<T>);                         \
  template LossWithMape<T> mse_loss_with_mape<T>(Var<T>, Var<T>);  \
  template Var<T> softmax_cross_entropy<T>(Var<T>, Var<T>);
SIMDGRAD_INSTANTIATE(float)
SIMDGRAD_INSTANTIATE(double)
#undef SIMDGRAD_INSTANTIATE

}  // namespace simdgrad::autograd
