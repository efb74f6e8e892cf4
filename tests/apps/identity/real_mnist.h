// The real MNIST for end-to-end tests: data/mnist of the source tree, which ./test.sh fetches
// (scripts/fetch-mnist.sh). Loaded once per test program.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>

#include "apps/identity/data/mnist.h"

namespace simdgrad::testing {

inline const std::filesystem::path kMnistFolder = SIMDGRAD_SOURCE_DIR "/data/mnist";

inline const identity::Mnist& real_mnist() {
  INFO("MNIST is missing: run scripts/fetch-mnist.sh (./test.sh does)");
  REQUIRE(std::filesystem::exists(kMnistFolder / "train-images-idx3-ubyte"));
  static const identity::Mnist data = identity::load_mnist(kMnistFolder);
  return data;
}

}  // namespace simdgrad::testing
