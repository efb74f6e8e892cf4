// reconstructions.png: test digits (top row) above the model's reconstructions (bottom row),
// each pixel clamped to 0..255 (inputs in unit scale are scaled back), written atomically.
#pragma once

#include <filesystem>

#include "simdgrad/matrix.h"

namespace simdgrad::identity {

// originals and reconstructions: count x (side*side), values in 0..`full_scale`.
void write_reconstructions_png(const std::filesystem::path& file, MatrixView<const float> originals,
                               MatrixView<const float> reconstructions, size_t side,
                               float full_scale);

}  // namespace simdgrad::identity
