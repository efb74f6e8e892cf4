#include "apps/identity/mpi_process_group.h"

#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/gradient_reducer.h"

namespace simdgrad::identity {
namespace {

class MpiProcessGroup final : public ProcessGroup {
 public:
  MpiProcessGroup(int* argc, char*** argv, Update update) : communicator_(argc, argv), update_(update) {}

  int rank() const override { return communicator_.rank(); }
  int size() const override { return communicator_.size(); }
  void sum(std::span<double> values) override { communicator_.allreduce_sum(values); }

  void track_gradients(std::vector<autograd::Parameter<float>*> backward_order) override {
    reducer_ = std::make_unique<distributed::GradientReducer>(
        communicator_, std::move(backward_order),
        update_ == Update::kShared ? distributed::GradientReducer::Result::kShares
                                   : distributed::GradientReducer::Result::kSums);
  }
  void gradient_final(const autograd::Parameter<float>& p) override { reducer_->ready(p); }
  void finish_gradients() override { reducer_->finish(); }
  bool shares_updates() const override { return update_ == Update::kShared; }
  autograd::ElementRange share(const autograd::Parameter<float>& p) const override { return reducer_->share(p); }
  void gather_shares(const TensorOf& tensor_of) override {
    if (update_ == Update::kShared) reducer_->gather_shares(tensor_of);  // replicated: all hold all
  }

  [[noreturn]] void abort(int code, const std::string& reason) override {
    communicator_.abort(code, reason);
  }

 private:
  distributed::Communicator communicator_;
  Update update_;
  std::unique_ptr<distributed::GradientReducer> reducer_;
};

}  // namespace

std::unique_ptr<ProcessGroup> make_mpi_process_group(int* argc, char*** argv, Update update) {
  return std::make_unique<MpiProcessGroup>(argc, argv, update);
}

}  // namespace simdgrad::identity
