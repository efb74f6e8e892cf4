// The processes that train one model together, each on its share of every batch (data
// parallelism). One process is the default and costs nothing: rank 0 of 1, whose sums are the
// values themselves. Under mpiexec, main() joins the MPI job instead (mpi_process_group.cc), and
// the trainer splits batches and validation by rank and sums gradients and figures over ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "simdgrad/autograd/parameter.h"

namespace simdgrad::identity {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // The process that prints and writes files.
  bool leads() const { return rank() == 0; }

  // Elementwise sum over the processes, in place; every process gets the same bits, and the
  // same bits run to run for a given number of processes.
  virtual void sum(std::span<double> values) {}

  // A step's gradient sums, shared out: track_gradients() once, with the parameters in the
  // order the backward pass finishes them (the last layer's first); then every step the tape
  // reports each gradient as final, finish_gradients() leaves in each gradient the sums over
  // the processes of the elements share(p), this process updates those elements, and
  // gather_values() gives every process the updated values of all.
  virtual void track_gradients(std::vector<autograd::Parameter<float>*> backward_order) {}
  virtual void gradient_final(const autograd::Parameter<float>& p) {}
  virtual void finish_gradients() {}
  // Whether each process updates only its share of each parameter (Update::kShared).
  virtual bool shares_updates() const { return false; }
  // The elements of p this process sums and updates: all of them unless shares_updates().
  virtual IndexRange share(const autograd::Parameter<float>& p) const {
    return {0, p.value.rows() * p.value.cols()};
  }
  // Every process's shares of the tensors tensor_of(p) (one per tracked parameter, shaped like
  // it), to every process.
  using TensorOf = std::function<MatrixView<float>(autograd::Parameter<float>&)>;
  virtual void gather_shares(const TensorOf& tensor_of) {}
  // The end of every step: every process's updated shares of the parameters' values, to every
  // process (nothing to do unless shares_updates()).
  virtual void gather_values() {}

  // Ends every process of the run with `code`, naming this process and the reason on stderr.
  [[noreturn]] virtual void abort(int code, const std::string& reason);
};

// The run of one process.
ProcessGroup& single_process();

// The processes this one was launched with: under an MPI launcher (mpiexec sets
// OMPI_COMM_WORLD_SIZE or PMI_SIZE) the MPI job, initialized here and finalized when the group
// is destroyed; otherwise a single process. Throws std::runtime_error when launched as one of
// several processes by a binary built without MPI.
// `update` says who updates what in a data-parallel run: each process its share of every
// parameter from the sums of that share, then all gather the result (kShared: reduce-scatters
// and all-gathers, 1/P of the update each), or every process all of every parameter from the
// whole sums (kReplicated, as DistributedDataParallel does).
enum class Update { kShared, kReplicated };
// How the gradients' shares and the updated values travel under Update::kShared: read straight
// from memory the processes share when they all run on one machine (kSharedMemory), or as MPI
// messages (kMessages, which also works across machines). kAuto takes the first where it can.
// Update::kReplicated sums whole gradients with messages; it takes kAuto or kMessages only.
enum class Exchange { kAuto, kMessages, kSharedMemory };
std::unique_ptr<ProcessGroup> join_process_group(int* argc, char*** argv,
                                                 Update update = Update::kShared,
                                                 Exchange exchange = Exchange::kAuto);

// Throws std::runtime_error on every process whose `fingerprint` differs from another's: the
// processes of one run must hold the same configuration and data.
void require_same_everywhere(ProcessGroup& group, uint64_t fingerprint, const std::string& what);

}  // namespace simdgrad::identity
