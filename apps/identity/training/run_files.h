// The files a training run leaves in its output folder, each written atomically:
// metrics.csv (one row per epoch), run.json (configuration, machine, final figures),
// loss.svg (train and validation loss per epoch) and reconstructions.png.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/identity/training/trainer.h"

namespace simdgrad::identity {

std::string metrics_csv(const std::vector<EpochRecord>& history);
// The machine and build a run ran on: threads, SIMD target, versions.
nlohmann::json environment_json();
// reconstructions.png of the first 16 test images (square images only).
void write_reconstructions(const std::filesystem::path& file, Trainer& trainer, const Mnist& data);
void write_run_files(const std::filesystem::path& folder, Trainer& trainer,
                     const nlohmann::json& final_figures);

}  // namespace simdgrad::identity
