// identity study: runs the experiments that test each cause the original answer gave for the
// identity MLP's poor fit, and writes the report (markdown + SVG figures) from the measurements.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "apps/identity/analysis/conditioning.h"
#include "apps/identity/files/atomic_file.h"
#include "apps/identity/files/loss_plot_svg.h"
#include "apps/identity/study/answer.h"
#include "apps/identity/study/conditioning.h"
#include "apps/identity/study/format.h"
#include "apps/identity/study/mechanisms.h"
#include "apps/identity/study/part_one.h"
#include "apps/identity/study/recipes.h"
#include "apps/identity/study/runs.h"
#include "apps/identity/study/study.h"
#include "apps/identity/training/run_files.h"
#include "apps/identity/training/trainer.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/reductions.h"

namespace simdgrad::identity {
namespace {

namespace fs = std::filesystem;

// Seeds per recipe in part two; the quick smoke run takes one.
int seeds(const StudyOptions& o) { return o.quick ? 1 : 2; }

// What the report needs besides the runs.
struct StudyMeasurements {
  Conditioning conditioning;
  GradientDescentCheck gradient_descent{};
  double all_zero_loss = 0, mean_image_max = 0;
};

std::vector<Experiment> experiments(const StudyOptions& o) {
  TrainConfig base;
  base.data = o.data;
  base.seed = o.seed;
  if (o.quick) {
    base.epochs = 3;
    base.limit = 5000;
  }
  std::vector<Experiment> all = part_one_experiments(base, o.quick);
  for (auto& e : optimizer_floor_experiments(base)) all.push_back(e);
  for (auto& e : recipe_experiments(base, seeds(o))) all.push_back(e);
  return all;
}

std::string report(const StudyOptions& options, const std::vector<Outcome>& all,
                   double total_seconds, const StudyMeasurements& m) {
  std::string md = part_one_report(options, all, total_seconds, m.all_zero_loss);
  md += "# Part two: why it is slow, and a way out\n\n";
  md += conditioning_section(m.conditioning, m.gradient_descent,
                             final_val(find(all, run_ids::kKeras1)));
  md += optimizer_floor_section(all, m.mean_image_max);
  md += dead_units_section(all);
  md += depth_section(all);
  md += way_out_section(all, seeds(options));
  md += answer_section(all, m.conditioning, seeds(options));
  md += "## Figures\n\n";
  md += "![validation loss of every run](figures/identity-study-val-loss.svg)\n\n";
  md +=
      "![training and validation loss of the original "
      "recipe](figures/identity-study-original.svg)\n\n";
  md += "## Reproduce\n\n```sh\n./run.sh study" + std::string(options.quick ? " --quick" : "") +
        "\n```\n\nEnvironment: `" + environment_json().dump() + "`\n";
  return md;
}

std::string epochs_csv(const std::vector<Outcome>& all) {
  std::string out;
  for (const auto& o : all) {
    const std::string table = metrics_csv(o.history);
    const size_t header_end = table.find('\n');
    if (out.empty()) out = "run," + table.substr(0, header_end + 1);
    size_t line = header_end + 1;
    while (line < table.size()) {
      const size_t next = table.find('\n', line);
      out += "\"" + o.experiment.name + "\"," + table.substr(line, next - line + 1);
      line = next + 1;
    }
  }
  return out;
}

// The figures of part one: every run's val_loss, and the original recipe's two curves.
void write_loss_figures(const fs::path& out, const std::vector<Outcome>& outcomes) {
  std::vector<PlotSeries> val_series;
  for (const auto& o : outcomes) {
    if (!in_part_one(o)) continue;
    PlotSeries s{o.experiment.name, {}, false, {}};
    for (const auto& r : o.history) s.values.push_back(r.val_loss);
    val_series.push_back(s);
  }
  std::vector<PlotSeries> original;
  for (const char* id : {run_ids::kKeras4, run_ids::kKeras1}) {
    const Outcome& o = find(outcomes, id);
    PlotSeries train{o.experiment.name + ": loss", {}, false, {}};
    PlotSeries val{o.experiment.name + ": val_loss", {}, true, {}};
    for (const auto& r : o.history) {
      train.values.push_back(r.loss);
      val.values.push_back(r.val_loss);
    }
    original.push_back(train);
    original.push_back(val);
  }
  write_file_atomically(
      out / "figures" / "identity-study-val-loss.svg",
      loss_plot_svg("val_loss per epoch, every run", "val_loss (MSE, raw pixels)", val_series));
  write_file_atomically(
      out / "figures" / "identity-study-original.svg",
      loss_plot_svg("the original recipe, 4 and 1 layers", "MSE, raw pixels", original));
}

// What an all-zero output scores on the test set, in raw pixels.
double all_zero_loss(const Mnist& data) {
  const Matrix<float> raw_test = images_to_matrix(data.test, 1.0f);
  return double(sum_squares<float>(raw_test)) / double(raw_test.size());
}

// How far a centered model's bias must travel: the brightest pixel of the mean image.
double mean_image_max(const Mnist& data) {
  const Matrix<float> raw_train = images_to_matrix(data.train, 1.0f);
  Matrix<float> column(1, raw_train.cols());
  column_sums<float>(raw_train, column);
  double largest = 0;
  for (size_t j = 0; j < column.cols(); ++j)
    largest = std::max(largest, double(column(0, j)) / double(raw_train.rows()));
  return largest;
}

}  // namespace

int run_study(const StudyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path out =
      options.out.empty() ? (options.quick ? "runs/study-quick" : "docs") : options.out;
  const Mnist data = load_mnist(options.data);
  std::printf("study: conditioning of the training images (spectrum, least-squares floor)\n");
  std::fflush(stdout);
  StudyMeasurements m{measure_conditioning(data)};
  m.gradient_descent = run_gradient_descent_check(options, data, m.conditioning);
  std::vector<Outcome> outcomes;
  for (const Experiment& e : experiments(options)) outcomes.push_back(run(e, data));
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.all_zero_loss = all_zero_loss(data);
  m.mean_image_max = mean_image_max(data);
  write_loss_figures(out, outcomes);
  write_file_atomically(out / "identity-study-epochs.csv", epochs_csv(outcomes));
  write_conditioning_figures(out, m.conditioning, m.gradient_descent);
  write_dead_unit_figure(out, outcomes);
  write_recipe_figures(out, outcomes);
  write_file_atomically(out / "identity-study.md", report(options, outcomes, total, m));
  std::printf("Wrote %s/identity-study.md and %s/figures/identity-study-*.svg (%.0f s)\n",
              out.c_str(), out.c_str(), total);
  return 0;
}

}  // namespace simdgrad::identity
