// An MNIST classifier with simdgrad: 784 -> 256 (ReLU) -> 10, softmax cross-entropy, Adam,
// batch 128, pixels scaled to 0..1. Prints the training loss, test accuracy and time per epoch.
//
//   mnist_classifier [--data DIR] [--epochs N] [--require-accuracy A]
//
// --data: a folder of MNIST-format IDX files, raw or .gz (default data/mnist);
// --require-accuracy: exit 1 unless the final test accuracy is at least A (0..1), for CI.
#include <simdgrad/simdgrad.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

namespace {

using namespace simdgrad;
using namespace simdgrad::autograd;

constexpr size_t kBatch = 128;
constexpr size_t kClasses = 10;

struct Options {
  std::string data = "data/mnist";
  int epochs = 5;
  double require_accuracy = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--data") {
      o.data = value;
    } else if (flag == "--epochs") {
      o.epochs = std::stoi(value);
      if (o.epochs < 1) throw std::invalid_argument("--epochs must be at least 1");
    } else if (flag == "--require-accuracy") {
      o.require_accuracy = std::stod(value);
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  return o;
}

// Copies the rows `order[first .. first + rows)` of `images` and their one-hot labels.
void gather_batch(const Matrix<float>& images, const std::vector<uint8_t>& labels,
                  const std::vector<size_t>& order, size_t first, Matrix<float>& x,
                  Matrix<float>& one_hot) {
  fill(one_hot.view(), 0.0f);
  for (size_t r = 0; r < x.rows(); ++r) {
    const size_t i = order[first + r];
    std::copy_n(images.data() + i * images.cols(), images.cols(), x.data() + r * x.cols());
    one_hot(r, labels[i]) = 1.0f;
  }
}

double test_accuracy(Sequential<float>& model, Tape<float>& tape, const Matrix<float>& images,
                     const std::vector<uint8_t>& labels) {
  size_t correct = 0;
  for (size_t first = 0; first < images.rows(); first += 1000) {
    const size_t rows = std::min<size_t>(1000, images.rows() - first);
    tape.reset();
    NoGrad<float> no_grad(tape);
    const Var<float> logits = model.forward(
        tape,
        tape.constant(MatrixView<const float>(images.view()).block(first, 0, rows, images.cols())));
    for (size_t r = 0; r < rows; ++r) {
      const float* row = logits.value().row(r);
      const size_t predicted = size_t(std::max_element(row, row + kClasses) - row);
      correct += predicted == labels[first + r];
    }
  }
  return double(correct) / double(images.rows());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  MnistDataset data;
  try {
    options = parse(argc, argv);
    data = load_mnist_folder(options.data);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnist_classifier: %s\n", e.what());
    return 2;
  }
  const Matrix<float> train = images_to_matrix(data.train, 1.0f / 255.0f);
  const Matrix<float> test = images_to_matrix(data.test, 1.0f / 255.0f);

  Sequential<float> model;
  model.add_dense(train.cols(), 256, Activation::kRelu);
  model.add_dense(256, kClasses, Activation::kNone);
  Random rng(1);
  model.initialize(Initializer::kGlorotUniform, rng);
  Adam<float> optimizer(model.parameters());
  Tape<float> tape;

  std::vector<size_t> order(train.rows());
  std::iota(order.begin(), order.end(), size_t{0});
  Matrix<float> x(kBatch, train.cols()), one_hot(kBatch, kClasses);
  const size_t steps = train.rows() / kBatch;  // the last partial batch is dropped
  std::printf("MNIST %zu train, %zu test images; 784-256-10, Adam, batch %zu, %s, %d threads\n",
              train.rows(), test.rows(), kBatch, active_target().name.c_str(), num_threads());

  double accuracy = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    double loss_sum = 0;
    for (size_t step = 0; step < steps; ++step) {
      gather_batch(train, data.train.labels, order, step * kBatch, x, one_hot);
      tape.reset();
      const Var<float> logits = model.forward(tape, tape.constant(x.view()));
      const Var<float> loss = softmax_cross_entropy(logits, tape.constant(one_hot.view()));
      loss_sum += loss.value()(0, 0);
      tape.backward(loss);
      optimizer.step();
      optimizer.zero_grad();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    accuracy = test_accuracy(model, tape, test, data.test.labels);
    std::printf("epoch %d: loss %.4f, test accuracy %.2f%%, %.2f s\n", epoch,
                loss_sum / double(steps), 100.0 * accuracy, seconds);
  }
  if (accuracy < options.require_accuracy) {
    std::fprintf(stderr, "mnist_classifier: test accuracy %.4f is below the required %.4f\n",
                 accuracy, options.require_accuracy);
    return 1;
  }
  return 0;
}
