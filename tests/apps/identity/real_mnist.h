// The real MNIST for end-to-end tests: data/mnist of the source tree, which ./test.sh fetches
// (scripts/fetch-mnist.sh). Loaded once per test program.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>

#include "apps/identity/mnist.h"

namespace simdgrad::testing {

inline const std::filesystem::path kMnistFolder = SIMDGRAD_SOURCE_DIR "/data/mnist";

inline const identity::Mnist& real_mnist(identity::PixelScale scale = identity::PixelScale::kRaw) {
  INFO("MNIST is missing: run scripts/fetch-mnist.sh (./test.sh does)");
  REQUIRE(std::filesystem::exists(kMnistFolder / "train-images-idx3-ubyte"));
  static const identity::Mnist raw = identity::load_mnist(kMnistFolder, identity::PixelScale::kRaw);
  static const identity::Mnist unit = identity::load_mnist(kMnistFolder, identity::PixelScale::kUnit);
  return scale == identity::PixelScale::kRaw ? raw : unit;
}

}  // namespace simdgrad::testing
