#include <cmath>
#include <cstdio>

#include "apps/identity/cli/commands.h"
#include "apps/identity/files/checkpoint.h"
#include "apps/identity/training/run_files.h"
#include "apps/identity/training/trainer.h"

namespace simdgrad::identity {

int run_eval(const EvalOptions& options) {
  const Checkpoint checkpoint = load_checkpoint(options.checkpoint);
  TrainConfig config = config_from_checkpoint(checkpoint, options.checkpoint);
  if (!options.data.empty()) config.data = options.data;
  const Mnist data = load_mnist(config.data);
  Trainer trainer(config, data);
  trainer.restore(checkpoint, options.checkpoint);
  const Evaluation test = trainer.evaluate(data.test);
  std::printf("Checkpoint %s: epoch %d\n", options.checkpoint.c_str(), trainer.epoch());
  std::printf("Test loss: %.4f\nTest MAPE: %.4f\n", test.loss, test.mape);
  if (!options.out.empty()) {
    write_reconstructions(std::filesystem::path(options.out) / "reconstructions.png", trainer,
                          data);
    std::printf("Wrote %s/reconstructions.png\n", options.out.c_str());
  }
  return 0;
}

}  // namespace simdgrad::identity
