// Data-parallel training with simdgrad::distributed: every process holds the same model and
// takes its share of every batch; the gradients' shares are summed across the processes while
// the backward pass still runs, each process updates its share of the parameters, and all then
// gather the updated values.
//
//   mpiexec -n 2 data_parallel [--steps N]
//
// It fits a 16 -> 4 linear map to noisy samples of a random one. The first process prints the
// loss now and then; every process exits 1 unless the loss fell to a hundredth of its start and
// the processes hold the same weights to the bit.
#include <simdgrad/distributed/gradient_reducer.h>
#include <simdgrad/simdgrad.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  using namespace simdgrad;
  using distributed::GradientReducer;
  distributed::Communicator comm(&argc, &argv);  // MPI_Init; MPI_Finalize when it goes
  int steps = 300;
  if (argc == 3 && std::strcmp(argv[1], "--steps") == 0) steps = std::atoi(argv[2]);
  constexpr size_t kBatch = 64, kIn = 16, kOut = 4;
  if (steps < 1 || comm.size() > int(kBatch)) {
    if (comm.rank() == 0)
      std::fprintf(stderr, "usage: mpiexec -n P data_parallel [--steps N], P <= %zu\n", kBatch);
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

  // The reducer wants the parameters in the order the backward pass finishes them (last layer
  // first). Shared memory where every process runs on this machine, messages otherwise.
  std::vector<autograd::Parameter<float>*> backward_order = model.parameters();
  std::reverse(backward_order.begin(), backward_order.end());
  const GradientReducer::Exchange exchange = GradientReducer::best_exchange(comm);  // collective
  GradientReducer reducer(comm, backward_order, GradientReducer::Result::kShares, size_t(1) << 20,
                          exchange);
  autograd::Adam<float> optimizer(model.parameters(), 0.02f);
  std::vector<IndexRange> mine;  // this process's share of each parameter
  for (autograd::Parameter<float>* p : model.parameters()) mine.push_back(reducer.share(*p));

  const IndexRange my_rows = comm.share_of(kBatch);
  const size_t first = my_rows.begin, rows = my_rows.size();
  Matrix<float> x(kBatch, kIn), y(kBatch, kOut);
  autograd::Tape<float> tape;
  double first_loss = 0, loss = 0;
  for (int step = 1; step <= steps; ++step) {
    for (size_t i = 0; i < x.size(); ++i) x.data()[i] = float(rng.normal());
    gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, x, truth, 0.0f, y);
    for (size_t i = 0; i < y.size(); ++i) y.data()[i] += 0.01f * float(rng.normal());

    // This process's rows, their loss weighted by their share of the batch: summed over the
    // processes, the losses and gradients are the whole batch's.
    tape.reset();
    const float weight = float(rows) / float(kBatch);
    autograd::Var<float> prediction =
        model.forward(tape, tape.constant(MatrixView<const float>(x).block(first, 0, rows, kIn)));
    autograd::Var<float> part = autograd::scale(
        autograd::mse_loss(prediction,
                           tape.constant(MatrixView<const float>(y).block(first, 0, rows, kOut))),
        weight);
    tape.backward(part, [&](autograd::Parameter<float>& p) { reducer.ready(p); });
    reducer.finish();                    // each gradient's share holds its sum over processes
    optimizer.step_and_zero_grad(mine);  // this process's share of the update
    reducer.gather_values();             // everyone's updated shares, everywhere

    double sum[1] = {double(part.value()(0, 0))};
    comm.allreduce_sum(sum);
    loss = sum[0];
    if (step == 1) first_loss = loss;
    if (comm.rank() == 0 && (step == 1 || step % 100 == 0))
      std::printf("step %4d  loss %.6f\n", step, loss);
  }

  // The same weights everywhere: each element's sum over processes is P times its own value.
  std::vector<double> weights, total;
  for (autograd::Parameter<float>* p : model.parameters())
    weights.insert(weights.end(), p->value.data(), p->value.data() + p->value.size());
  total = weights;
  comm.allreduce_sum(total);
  bool same = true;
  for (size_t i = 0; i < weights.size(); ++i) same = same && total[i] == weights[i] * comm.size();
  const bool learned = loss < first_loss / 100;
  if (comm.rank() == 0) {
    std::printf("%d process%s (%s): loss %.6f -> %.6f, %s weights\n", comm.size(),
                comm.size() == 1 ? "" : "es",
                exchange == GradientReducer::Exchange::kSharedMemory ? "shared memory" : "messages",
                first_loss, loss, same ? "the same" : "DIFFERENT");
  }
  return learned && same ? 0 : 1;
}
