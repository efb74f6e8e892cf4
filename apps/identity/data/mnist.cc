#include "apps/identity/data/mnist.h"

#include <stdexcept>

namespace simdgrad::identity {

float pixel_factor(PixelScale scale) { return scale == PixelScale::kUnit ? 1.0f / 255.0f : 1.0f; }

Mnist load_mnist(const std::filesystem::path& folder) {
  if (!std::filesystem::is_directory(folder)) {
    throw std::runtime_error(folder.string() +
                             ": no such folder (pass --data DIR, or run "
                             "./run.sh, which fetches MNIST into data/mnist)");
  }
  MnistDataset data = load_mnist_folder(folder);
  return Mnist{std::move(data.train), std::move(data.test), folder};
}

}  // namespace simdgrad::identity
