#include "apps/identity/mpi_process_group.h"

#include "simdgrad/distributed/communicator.h"
#include "simdgrad/distributed/gradient_allreducer.h"

namespace simdgrad::identity {
namespace {

class MpiProcessGroup final : public ProcessGroup {
 public:
  MpiProcessGroup(int* argc, char*** argv) : communicator_(argc, argv) {}

  int rank() const override { return communicator_.rank(); }
  int size() const override { return communicator_.size(); }
  void sum(std::span<double> values) override { communicator_.allreduce_sum(values); }

  void track_gradients(std::vector<autograd::Parameter<float>*> backward_order) override {
    all_reducer_ = std::make_unique<distributed::GradientAllReducer>(communicator_, std::move(backward_order));
  }
  void gradient_final(const autograd::Parameter<float>& p) override { all_reducer_->ready(p); }
  void finish_gradients() override { all_reducer_->finish(); }

  [[noreturn]] void abort(int code, const std::string& reason) override {
    communicator_.abort(code, reason);
  }

 private:
  distributed::Communicator communicator_;
  std::unique_ptr<distributed::GradientAllReducer> all_reducer_;
};

}  // namespace

std::unique_ptr<ProcessGroup> make_mpi_process_group(int* argc, char*** argv) {
  return std::make_unique<MpiProcessGroup>(argc, argv);
}

}  // namespace simdgrad::identity
