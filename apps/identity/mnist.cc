#include "apps/identity/mnist.h"

#include <stdexcept>

namespace simdgrad::identity {

Mnist load_mnist(const std::filesystem::path& folder, PixelScale scale) {
  if (!std::filesystem::is_directory(folder)) {
    throw std::runtime_error(folder.string() + ": no such folder (pass --data DIR, or run "
                             "./run.sh, which fetches MNIST into data/mnist)");
  }
  MnistDataset data = load_mnist_folder(folder);
  const float factor = scale == PixelScale::kUnit ? 1.0f / 255.0f : 1.0f;
  auto split = [&](LabeledImages& set) {
    return MnistSplit{images_to_matrix(set, factor), std::move(set.labels)};
  };
  return Mnist{split(data.train), split(data.test), folder};
}

}  // namespace simdgrad::identity
