#include <cmath>
#include <cstdio>

#include "apps/identity/checkpoint.h"
#include "apps/identity/commands.h"
#include "apps/identity/reconstructions_png.h"
#include "apps/identity/trainer.h"

namespace simdgrad::identity {

int run_eval(const EvalOptions& options) {
  const Checkpoint checkpoint = load_checkpoint(options.checkpoint);
  const auto it = checkpoint.metadata.find("config");
  if (it == checkpoint.metadata.end()) {
    throw std::runtime_error(options.checkpoint + ": checkpoint metadata has no 'config'");
  }
  TrainConfig config = config_from_json(nlohmann::json::parse(it->second));
  if (!options.data.empty()) config.data = options.data;
  const Mnist data = load_mnist(config.data, config.scale);
  Trainer trainer(config, data);
  trainer.restore(checkpoint, options.checkpoint);
  const Evaluation test = trainer.evaluate(data.test.images);
  std::printf("Checkpoint %s: epoch %d\n", options.checkpoint.c_str(), trainer.epoch());
  std::printf("Test loss: %.4f\nTest MAPE: %.4f\n", test.loss, test.mape);
  if (!options.out.empty()) {
    const Matrix<float> reconstructions = trainer.reconstruct(16);
    const auto side = size_t(std::lround(std::sqrt(double(data.test.images.cols()))));
    write_reconstructions_png(std::filesystem::path(options.out) / "reconstructions.png",
                              data.test.images.view().block(0, 0, reconstructions.rows(), side * side),
                              reconstructions, side, config.scale == PixelScale::kUnit ? 1.0f : 255.0f);
    std::printf("Wrote %s/reconstructions.png\n", options.out.c_str());
  }
  return 0;
}

}  // namespace simdgrad::identity
