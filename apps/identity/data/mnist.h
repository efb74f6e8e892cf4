// The experiment's data: MNIST (or any MNIST-format folder) read with the library's IDX
// reader and kept as stored, one byte per pixel (60,000 + 10,000 images take 55 MB instead of
// 220 MB as float). The trainer converts one batch at a time to the run's pixel scale.
#pragma once

#include <filesystem>

#include "simdgrad/idx_reader.h"

namespace simdgrad::identity {

enum class PixelScale { kRaw, kUnit };  // 0..255 as in the seed experiment, or 0..1

// What a stored pixel is multiplied by: 1 (raw) or 1/255 (unit).
float pixel_factor(PixelScale scale);

struct Mnist {
  LabeledImages train;
  LabeledImages test;
  std::filesystem::path folder;
};

// load_mnist_folder(); a missing folder's message says how to get one.
Mnist load_mnist(const std::filesystem::path& folder);

}  // namespace simdgrad::identity
