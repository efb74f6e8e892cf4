#include "apps/identity/training/mpi_process_group.h"

#include <cstdint>
#include <stdexcept>

#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/gradient_reducer.h"

namespace simdgrad::identity {
namespace {

using distributed::GradientReducer;

class MpiProcessGroup final : public ProcessGroup {
 public:
  MpiProcessGroup(int* argc, char*** argv, Update update, Exchange exchange)
      : communicator_(argc, argv), update_(update) {
    // Every process must make the same choices: the reducers' set-up differs between them, and
    // part of it is collective.
    require_same_everywhere(*this, uint64_t(update) * 3 + uint64_t(exchange),
                            "the --update and --exchange");
    if (update == Update::kReplicated && exchange == Exchange::kSharedMemory) {
      throw std::invalid_argument(
          "--exchange shared-memory needs --update shared (replicated updates sum whole "
          "gradients with messages)");
    }
    exchange_ = exchange == Exchange::kMessages || update == Update::kReplicated
                    ? GradientReducer::Exchange::kMessages
                : exchange == Exchange::kSharedMemory
                    ? GradientReducer::Exchange::kSharedMemory
                    : GradientReducer::best_exchange(communicator_);
  }

  int rank() const override { return communicator_.rank(); }
  int size() const override { return communicator_.size(); }
  void sum(std::span<double> values) override { communicator_.allreduce_sum(values); }

  void track_gradients(std::vector<autograd::Parameter<float>*> backward_order) override {
    reducer_ = std::make_unique<GradientReducer>(communicator_, std::move(backward_order),
                                                 update_ == Update::kShared
                                                     ? GradientReducer::Result::kShares
                                                     : GradientReducer::Result::kSums,
                                                 GradientReducer::kDefaultBucketBytes, exchange_);
  }
  void gradient_final(const autograd::Parameter<float>& p) override { reducer_->ready(p); }
  void finish_gradients() override { reducer_->finish(); }
  bool shares_updates() const override { return update_ == Update::kShared; }
  IndexRange share(const autograd::Parameter<float>& p) const override {
    return reducer_->share(p);
  }
  void gather_shares(const TensorOf& tensor_of) override { reducer_->gather_shares(tensor_of); }
  void gather_values() override { reducer_->gather_values(); }

  [[noreturn]] void abort(int code, const std::string& reason) override {
    communicator_.abort(code, reason);
  }

 private:
  // With the shared-memory exchange the model's parameters live in the reducer's memory: the
  // trainer that uses them is gone before the group. The reducer goes before the communicator.
  distributed::Communicator communicator_;
  Update update_;
  GradientReducer::Exchange exchange_ = GradientReducer::Exchange::kMessages;
  std::unique_ptr<GradientReducer> reducer_;
};

}  // namespace

std::unique_ptr<ProcessGroup> make_mpi_process_group(int* argc, char*** argv, Update update,
                                                     Exchange exchange) {
  return std::make_unique<MpiProcessGroup>(argc, argv, update, exchange);
}

}  // namespace simdgrad::identity
