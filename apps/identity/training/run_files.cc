#include "apps/identity/training/run_files.h"

#include <cmath>
#include <cstdio>

#include "apps/identity/files/atomic_file.h"
#include "apps/identity/files/loss_plot_svg.h"
#include "apps/identity/files/reconstructions_png.h"
#include "simdgrad/build_info.h"

namespace simdgrad::identity {

std::string metrics_csv(const std::vector<EpochRecord>& history) {
  std::string out =
      "epoch,loss,val_loss,mape,val_mape,seconds,samples_per_s,zero_output_fraction,"
      "dead_output_loss_share";
  const size_t layers = history.empty() ? 0 : history.front().layers.size();
  for (size_t l = 1; l <= layers; ++l) {
    const std::string p = ",layer" + std::to_string(l) + "_";
    out += p + "dead_units" + p + "dead_zero_pixel" + p + "revived_units" + p +
           "dead_excess_fraction" + p + "grad_norm" + p + "distance_from_identity";
  }
  out += "\n";
  char line[512];
  for (const auto& r : history) {
    std::snprintf(line, sizeof line, "%d,%.9g,%.9g,%.9g,%.9g,%.3f,%.1f,%.6f,%.6f", r.epoch, r.loss,
                  r.val_loss, r.mape, r.val_mape, r.seconds, r.samples_per_s,
                  r.zero_output_fraction, r.dead_output_loss_share);
    out += line;
    for (const auto& d : r.layers) {
      std::snprintf(line, sizeof line, ",%d,%d,%d,%.6f,%.9g,%.9g", d.relu ? d.dead_units : -1,
                    d.relu ? d.dead_zero_pixel : -1, d.relu ? d.revived_units : -1,
                    d.dead_excess_fraction, d.grad_norm, d.distance_from_identity);
      out += line;
    }
    out += "\n";
  }
  return out;
}

nlohmann::json environment_json() {
  const BuildInfo info = build_info();
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : info.runnable_targets) targets.push_back(t.name);
  return {{"threads", info.threads},
          {"simd_target", info.active_target.name},
          {"simd_target_choice", info.target_choice},
          {"simd_targets_runnable", targets},
          {"versions",
           {{"simdgrad", info.version},
            {"highway", info.highway_version},
            {"openmp", info.openmp_version},
            {"compiler", info.compiler}}}};
}

void write_reconstructions(const std::filesystem::path& file, Trainer& trainer, const Mnist& data) {
  const Matrix<float> reconstructions = trainer.reconstruct(16);
  const size_t pixels = data.test.pixels_per_image();
  const auto side = size_t(std::lround(std::sqrt(double(pixels))));
  if (side * side != pixels) return;
  const float factor = pixel_factor(trainer.config().scale);
  Matrix<float> originals(reconstructions.rows(), pixels);
  convert_images(data.test, 0, originals.rows(), factor, originals.view());
  write_reconstructions_png(file, originals, reconstructions, side, 255.0f * factor);
}

void write_run_files(const std::filesystem::path& folder, Trainer& trainer,
                     const nlohmann::json& final_figures) {
  const auto& history = trainer.history();
  write_file_atomically(folder / "metrics.csv", metrics_csv(history));
  nlohmann::json environment = environment_json();
  environment["processes"] = trainer.processes().size();  // threads are per process

  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& r : history) epochs.push_back(to_json(r));
  nlohmann::json run = {{"config", to_json(trainer.config())},
                        {"seed", trainer.config().seed},
                        {"train_samples", trainer.train_samples()},
                        {"environment", environment},
                        {"final", final_figures},
                        {"epochs", epochs}};
  write_file_atomically(folder / "run.json", run.dump(2) + "\n");

  PlotSeries train{"train loss", {}, false, {}}, validation{"val_loss", {}, true, {}};
  for (const auto& r : history) {
    train.values.push_back(r.loss);
    validation.values.push_back(r.val_loss);
  }
  write_file_atomically(
      folder / "loss.svg",
      loss_plot_svg("identity: " + std::to_string(trainer.config().layers) + " x Dense(" +
                        std::to_string(trainer.config().width) + ")",
                    "MSE, raw-pixel units", {train, validation}));
}

}  // namespace simdgrad::identity
