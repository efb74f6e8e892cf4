// The experiment's data: MNIST (or any MNIST-format folder) read with the library's IDX
// reader, pixels as float, raw 0..255 as in the seed experiment or scaled to 0..1.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "simdgrad/idx_reader.h"
#include "simdgrad/matrix.h"

namespace simdgrad::identity {

enum class PixelScale { kRaw, kUnit };  // 0..255 as in the seed experiment, or 0..1

struct MnistSplit {
  Matrix<float> images;         // n x 784 (rows x cols of the IDX images flattened)
  std::vector<uint8_t> labels;  // n
};

struct Mnist {
  MnistSplit train;
  MnistSplit test;
  std::filesystem::path folder;
};

// load_mnist_folder() with the pixels converted; a missing folder's message says how to get one.
Mnist load_mnist(const std::filesystem::path& folder, PixelScale scale);

}  // namespace simdgrad::identity
