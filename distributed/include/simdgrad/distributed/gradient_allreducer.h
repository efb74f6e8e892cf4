// Sums the gradients of a model's parameters over the ranks of a data-parallel run, in buckets
// that start as soon as their last gradient is final, so the sums of the last layers travel
// while the backward pass still computes the first ones (as PyTorch's DistributedDataParallel
// does). Small parameters (biases) share a bucket with their neighbours, so a step sends a few
// large messages rather than one per tensor.
#pragma once

#include <cstddef>
#include <vector>

#include "simdgrad/autograd/parameter.h"
#include "simdgrad/distributed/communicator.h"

namespace simdgrad::distributed {

class GradientAllReducer {
 public:
  // `parameters` in the order the backward pass finishes their gradients (the last layer's
  // first). Consecutive parameters share a bucket until it holds at least `bucket_bytes`.
  GradientAllReducer(const Communicator& communicator,
                     std::vector<autograd::Parameter<float>*> parameters,
                     size_t bucket_bytes = size_t(1) << 20);

  // `p`'s gradient is final for this step. When every parameter of its bucket is, the bucket's
  // gradients are copied into its buffer and their sum over ranks starts. Throws
  // std::invalid_argument for a parameter it does not hold or one marked twice in a step.
  void ready(const autograd::Parameter<float>& p);
  // Starts the buckets not started yet, waits for all, and writes each sum back into the
  // gradients (grad_is_zero cleared). Then the next step may begin.
  void finish();

  size_t buckets() const { return buckets_.size(); }
  // How many of this step's buckets have been started.
  size_t started() const;

 private:
  struct Bucket {
    std::vector<size_t> members;  // indices into parameters_
    std::vector<float> buffer;
    size_t waiting = 0;           // members not ready yet this step
    Communicator::Request request;
    bool started = false;
  };
  void start(Bucket& b);

  const Communicator& communicator_;
  std::vector<autograd::Parameter<float>*> parameters_;
  std::vector<size_t> bucket_of_;  // per parameter
  std::vector<bool> ready_;        // per parameter, this step
  std::vector<Bucket> buckets_;
};

}  // namespace simdgrad::distributed
