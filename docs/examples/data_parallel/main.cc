// Data-parallel training with simdgrad::distributed: every process holds the same model and
// takes its share of every batch; the data-parallel step sums the gradients across the
// processes while the backward pass still runs, updates the parameters and gives every process
// the result.
//
//   mpiexec -n 2 data_parallel [--steps N]      (or alone, as one process)
//
// It fits a 16 -> 4 linear map to noisy samples of a random one. The first process prints the
// loss now and then; every process exits 1 unless the loss fell to a hundredth of its start and
// the processes hold the same weights to the bit.
#include <simdgrad/distributed/data_parallel_step.h>
#include <simdgrad/simdgrad.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  using namespace simdgrad;
  distributed::Communicator processes(&argc, &argv);  // MPI under mpiexec, else this one alone
  int steps = 300;
  if (argc == 3 && std::strcmp(argv[1], "--steps") == 0) steps = std::atoi(argv[2]);
  constexpr size_t kBatch = 64, kIn = 16, kOut = 4;
  if (steps < 1) {
    if (processes.leads()) std::fprintf(stderr, "usage: mpiexec -n P data_parallel [--steps N]\n");
    return 2;
  }

  // The same seed everywhere: every process starts from the same weights and draws the same
  // batches, of which it keeps its own rows.
  autograd::Sequential<float> model;
  model.add_dense(kIn, kOut, Activation::kNone);
  autograd::Random rng(7);
  model.initialize(autograd::Initializer::kGlorotUniform, rng);
  Matrix<float> truth(kIn, kOut);
  for (size_t i = 0; i < truth.size(); ++i) truth.data()[i] = float(rng.normal());
  autograd::Adam<float> optimizer(model.parameters(), 0.02f);
  distributed::DataParallelStep step(processes, optimizer);  // each updates its share

  const IndexRange batch{0, kBatch}, mine = step.rows(batch);
  Matrix<float> x(kBatch, kIn), y(kBatch, kOut);
  autograd::Tape<float> tape;
  double first_loss = 0, loss = 0;
  for (int s = 1; s <= steps; ++s) {
    for (size_t i = 0; i < x.size(); ++i) x.data()[i] = float(rng.normal());
    gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, x, truth, 0.0f, y);
    for (size_t i = 0; i < y.size(); ++i) y.data()[i] += 0.01f * float(rng.normal());

    // This process's rows, their loss weighted by their share of the batch: summed over the
    // processes, the losses and gradients are the whole batch's.
    double figures[1] = {0};
    if (!mine.empty()) {
      tape.reset();
      const auto rows = [&](const Matrix<float>& m) {
        return tape.constant(
            MatrixView<const float>(m).block(mine.begin, 0, mine.size(), m.cols()));
      };
      autograd::Var<float> part = autograd::mse_loss(model.forward(tape, rows(x)), rows(y));
      figures[0] = part.value()(0, 0) * step.weight(batch);
      step.backward(tape, part, step.weight(batch));
    }
    step.update(figures);  // sums, update, figures summed, values gathered
    loss = figures[0];
    if (s == 1) first_loss = loss;
    if (processes.leads() && (s == 1 || s % 100 == 0))
      std::printf("step %4d  loss %.6f\n", s, loss);
  }

  // The same weights everywhere: each element's sum over processes is P times its own value.
  std::vector<double> weights, total;
  for (autograd::Parameter<float>* p : model.parameters())
    weights.insert(weights.end(), p->value.data(), p->value.data() + p->value.size());
  total = weights;
  processes.allreduce_sum(total);
  bool same = true;
  for (size_t i = 0; i < weights.size(); ++i)
    same = same && total[i] == weights[i] * processes.size();
  const bool learned = loss < first_loss / 100;
  if (processes.leads()) {
    std::printf(
        "%d process%s (%s): loss %.6f -> %.6f, %s weights\n", processes.size(),
        processes.size() == 1 ? "" : "es",
        step.exchange() == distributed::Exchange::kSharedMemory ? "shared memory" : "messages",
        first_loss, loss, same ? "the same" : "DIFFERENT");
  }
  return learned && same ? 0 : 1;
}
