// Sums the gradients of a model's parameters over the ranks of a data-parallel run, in buckets
// that start as soon as their last gradient is final, so the sums of the last layers travel
// while the backward pass still computes the first ones (as PyTorch's DistributedDataParallel
// does). A large gradient is summed where it lies, without a copy; small ones (biases) are
// packed together, so a step sends a few large messages rather than one per tensor.
//
// Two ways to update (Update):
//  - kReplicated: every rank gets every sum (an all-reduce), and every rank then makes the
//    same whole update.
//  - kShared: each rank gets the sums of its share of each bucket only (a
//    reduce-scatter, half an all-reduce's bytes), updates its
//    share (Optimizer::step_and_zero_grad with share() per parameter), and gather_shares()
//    hands every rank the updated values (the other half). The same bytes travel, but each
//    rank updates 1/P of the elements instead of all of them (ZeRO stage 1's sharding of the
//    update; the optimizer state stays whole on each rank, current in its shares, and is
//    gathered the same way before a checkpoint).
//
// Two ways for the contributions to travel (Exchange):
//  - kMessages: MPI messages, between ranks on any machines.
//  - kSharedMemory (Update::kShared, every rank on one machine): the parameters' values and
//    gradients live in memory the ranks share (SharedSegments), and each rank adds the other
//    ranks' contributions to its share straight from their gradients, then copies their
//    updated shares straight from their values: no message buffers, no copies in and out of
//    them. The ranks meet through two counters each (buckets published, values published).
//    The sums are bitwise those of kMessages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "simdgrad/autograd/parameter.h"
#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/shared_segments.h"

namespace simdgrad::distributed {

// Who updates what in a data-parallel step: each rank its share of every parameter, from the
// sums of that share, then all gather the result (kShared), or every rank all of every
// parameter from the whole sums (kReplicated, as DistributedDataParallel does).
enum class Update { kShared, kReplicated };
// How the contributions travel: MPI messages (kMessages, between ranks on any machines), or
// read straight from memory the ranks share (kSharedMemory: Update::kShared with every rank on
// one machine). kAuto takes shared memory where it can.
enum class Exchange { kAuto, kMessages, kSharedMemory };

class GradientReducer {
 public:
  // kSharedMemory when there are several ranks and all run on this machine, kMessages
  // otherwise (collective).
  static Exchange best_exchange(const Communicator& communicator);
  // Throws std::invalid_argument for Exchange::kSharedMemory with Update::kReplicated: the
  // shared-memory exchange sums shares only.
  static void check_options(Update update, Exchange exchange);

  // 1 MiB: each 784 x 784 weight (2.4 MB) is summed where it lies, the biases share a bucket.
  static constexpr size_t kDefaultBucketBytes = size_t(1) << 20;

  // `parameters` in the order the backward pass finishes their gradients (the last layer's
  // first). A gradient of at least `bucket_bytes` is a bucket of its own, summed in place;
  // smaller ones share a packed bucket, in that order, until it holds `bucket_bytes`.
  // Collective. Exchange::kAuto is best_exchange() for Update::kShared, kMessages for
  // kReplicated, and messages too where shared memory has no room for the parameters
  // (SharedSegments::room_shortage; the first rank says so on stderr). With
  // Exchange::kSharedMemory (which needs Update::kShared, else std::invalid_argument; and the
  // room, else std::runtime_error) the constructor moves every parameter's value and gradient,
  // contents kept, into memory the ranks share and owned by the reducer: use the parameters
  // only while the reducer lives, and end every step with gather_values(). A bucket of more
  // than 2^31 - 1 elements (MPI's largest count) is refused: std::length_error.
  GradientReducer(const Communicator& communicator,
                  std::vector<autograd::Parameter<float>*> parameters,
                  Update update = Update::kReplicated, size_t bucket_bytes = kDefaultBucketBytes,
                  Exchange exchange = Exchange::kMessages);
  ~GradientReducer();

  // Before the backward pass writes any gradient: throws std::logic_error if, with the
  // shared-memory exchange, the last step did not end with gather_values() (the other ranks may
  // still be reading this rank's gradients). DataParallelStep calls it.
  void begin_backward() const;
  // `p`'s gradient is final for this step. When every parameter of its bucket is, and every
  // earlier bucket has started (all ranks must start the sums in one order), the bucket's sum
  // over ranks starts; until finish() its gradients must not be touched. Throws
  // std::invalid_argument for a parameter it does not hold or one marked twice in a step.
  void ready(const autograd::Parameter<float>& p);
  // Starts the buckets not started yet and waits for all. Update::kReplicated: every gradient
  // holds its sum over the ranks. Update::kShared: the elements share(p) of each gradient do; the
  // others hold partial sums. grad_is_zero is cleared. Then the next step may begin.
  void finish();

  // The elements of p whose sum this rank receives and whose update it makes (all of them
  // with Update::kReplicated).
  IndexRange share(const autograd::Parameter<float>& p) const;
  // Gives every rank every rank's shares of the tensors tensor_of(p), one per parameter and
  // shaped like it (the values after a shared update, or the optimizer's state). Nothing to do
  // with Update::kReplicated, where every rank updated all of them.
  using TensorOf = std::function<MatrixView<float>(autograd::Parameter<float>&)>;
  void gather_shares(const TensorOf& tensor_of);
  // After each rank has updated its shares of the values: every rank's updated shares to every
  // rank (gather_shares of the values; with kSharedMemory, copied from the other ranks' values,
  // and required at the end of every step: a rank's next backward pass overwrites gradients
  // that the others read until they get here).
  void gather_values();

  Update update() const { return update_; }
  // The exchange in use (never kAuto).
  Exchange exchange() const { return exchange_; }
  size_t buckets() const { return buckets_.size(); }
  // How many of this step's buckets have been started.
  size_t started() const { return next_to_start_; }

 private:
  struct Bucket {
    std::vector<size_t> members;  // indices into parameters_
    std::vector<size_t> offsets;  // of each member in the bucket's elements
    size_t elements = 0;
    bool packed = false;            // members copied into `buffer`, else one summed where it lies
    std::vector<float> buffer;      // the packed members
    std::vector<float> arrivals;    // Update::kShared: the other ranks' contributions to this share
    size_t waiting = 0;             // members not ready yet this step
    Communicator::Request request;  // Update::kReplicated
    Communicator::ReduceScatter reduce_scatter;  // Update::kShared
  };
  size_t index_of(const autograd::Parameter<float>& p) const;
  IndexRange share_of(size_t parameter, int rank) const;
  void start(Bucket& b);
  // Moves the parameters into the shared memory (constructor).
  // Groups the gradients into buckets_ in the order the backward pass completes them.
  void plan_buckets(size_t bucket_bytes);
  // Where each value and gradient lies in a rank's shared segment; the segment's bytes.
  size_t plan_shared_layout();
  void share_parameters();
  // Resolves kAuto, and checks that shared memory has room: kAuto falls back to messages
  // (saying so on the first rank), kSharedMemory throws std::runtime_error.
  void choose_exchange();
  // kSharedMemory: adds the other ranks' contributions to this rank's share of every started
  // bucket they have published too, in order; with `wait`, of every started bucket.
  void sum_published(bool wait);
  void sum_bucket(Bucket& b);
  float* shared_tensor(int rank, size_t parameter, bool gradient) const;
  // The bucket's elements as one span: the packed buffer, or the one member's storage.
  std::span<float> elements_of(Bucket& b, const TensorOf& tensor_of);
  // A packed bucket's members' tensors into its buffer, and back; nothing for one summed in place.
  void pack(Bucket& b, const TensorOf& tensor_of);
  void unpack(Bucket& b, const TensorOf& tensor_of);

  const Communicator& communicator_;
  Update update_;
  std::vector<autograd::Parameter<float>*> parameters_;
  std::vector<size_t> bucket_of_;  // per parameter
  std::vector<bool> ready_;        // per parameter, this step
  std::vector<Bucket> buckets_;    // in the order they start
  size_t next_to_start_ = 0;

  Exchange exchange_;
  std::unique_ptr<SharedSegments> segments_;
  // Where each parameter's value and gradient lie in a rank's segment (bytes; the rank's
  // counters come first).
  std::vector<size_t> value_offset_, gradient_offset_;
  size_t next_to_sum_ = 0;         // kSharedMemory: buckets of this step summed
  uint64_t steps_finished_ = 0;    // finish() calls (the shared sums count buckets by it)
  uint64_t values_published_ = 0;  // gather_values() calls
};

}  // namespace simdgrad::distributed
