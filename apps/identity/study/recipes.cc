#include "apps/identity/study/recipes.h"

#include <cmath>
#include <stdexcept>

#include "apps/identity/files/atomic_file.h"
#include "apps/identity/files/loss_plot_svg.h"
#include "apps/identity/study/format.h"

namespace simdgrad::identity {
namespace {

std::string layers_text(int layers) {
  return layers == 1 ? "1 layer" : std::to_string(layers) + " layers";
}

std::string run_name(const Recipe& r, int layers, int seed_index) {
  return r.name + ", " + layers_text(layers) + ", seed " + std::to_string(seed_index + 1);
}

void center(TrainConfig& c) {
  c.precondition = Precondition::kCenter;
  c.scale = PixelScale::kUnit;
}
void cosine(TrainConfig& c) { c.schedule = autograd::ScheduleShape::kCosine; }
void warm_up(TrainConfig& c) { c.warmup_epochs = 1; }
void active(TrainConfig& c) { c.bias_init = BiasInit::kActive; }

}  // namespace

const std::vector<Recipe>& recipes() {
  static const std::vector<Recipe> all = {
      {"original", "original", "", "none: the Keras recipe", [](TrainConfig&) {}},
      {"cosine", "cosine schedule", "--schedule cosine",
       "the optimizer's noise floor: RMSprop moves every weight by about lr per step whatever the "
       "gradient, so the rate must fall to 0",
       cosine},
      {"warm-up", "warm-up", "--warmup 1",
       "the first steps: RMSprop's accumulator starts at 0, so its first steps are the largest "
       "(3.2 lr per weight) exactly when most units die",
       warm_up},
      {"centered", "centered inputs", "--precondition center --scale unit",
       "the mean direction: with every input ≥ 0 a step moves a unit's pre-activation the same "
       "way on every image; centering removes that direction (the largest eigenvalue), and in "
       "pixels / 255 the bias can reach the mean image in the budget",
       center},
      {"centered-cosine", "centered inputs + cosine",
       "--precondition center --scale unit --schedule cosine", "both",
       [](TrainConfig& c) {
         center(c);
         cosine(c);
       }},
      {"active", "active output biases", "--bias-init active",
       "dying output units: each output unit starts active on the first 1,000 training images, "
       "so the first steps, the largest, push it down from well above 0 instead of from around 0",
       active},
      {"centered-active-cosine", "centered inputs + active output biases + cosine",
       "--precondition center --scale unit --bias-init active --schedule cosine", "all three",
       [](TrainConfig& c) {
         center(c);
         active(c);
         cosine(c);
       }},
      {"whitened-cosine", "whitened inputs + cosine",
       "--precondition whiten --scale unit --schedule cosine",
       "the whole spectrum: every direction the training images span gets unit variance, so one "
       "rate suits every direction",
       [](TrainConfig& c) {
         c.precondition = Precondition::kWhiten;
         c.scale = PixelScale::kUnit;
         cosine(c);
       },
       true},
  };
  return all;
}

std::vector<Experiment> recipe_experiments(const TrainConfig& base, int seeds) {
  std::vector<Experiment> out;
  for (int layers : {1, 4}) {
    for (const Recipe& r : recipes()) {
      if (r.one_layer_only && layers != 1) continue;
      for (int s = r.id == "original" ? 1 : 0; s < seeds; ++s) {
        TrainConfig c = base;
        c.layers = layers;
        c.seed = base.seed + uint64_t(s);
        r.apply(c);
        Experiment e{"9. way out", recipe_run_id(r.id, layers, s), run_name(r, layers, s), c};
        e.measure_readout = layers > 1 && s == 0;
        out.push_back(e);
      }
    }
  }
  return out;
}

const Outcome& recipe_outcome(const std::vector<Outcome>& all, const Recipe& recipe, int layers,
                              int seed_index) {
  if (recipe.id == "original" && seed_index == 0) {
    return find(all, layers == 1 ? run_ids::kKeras1 : run_ids::kKeras4);
  }
  return find(all, recipe_run_id(recipe.id, layers, seed_index));
}

std::string way_out_section(const std::vector<Outcome>& all, int seeds) {
  std::string md = "## A way out from a random start\n\n";
  md +=
      "Each change below follows from a mechanism measured above and is one flag of `identity "
      "train`. Every run keeps the architecture (Dense(784, ReLU) layers, ReLU output), the "
      "MSE, RMSprop at lr 1e-3, batch 128 and 20 epochs; val_loss is in raw-pixel units as "
      "everywhere on this page. " +
      std::to_string(seeds) + (seeds == 1 ? " seed" : " seeds") +
      " each (initial weights and shuffling).\n\n";
  md +=
      "| recipe | flags | mechanism it targets | 1 layer: val_loss per seed | 4 layers: val_loss "
      "per "
      "seed | 4 layers: dead output units (on always-0 pixels) |\n|---|---|---|---|---|---|\n";
  struct Best {
    double val = INFINITY;
    std::string name;
  } best1, best4;
  for (const Recipe& r : recipes()) {
    md += "| " + r.name + " | " + (r.flags.empty() ? "—" : "`" + r.flags + "`") + " | " +
          r.mechanism + " |";
    for (int layers : {1, 4}) {
      if (r.one_layer_only && layers != 1) {
        md += " — |";
        continue;
      }
      double worst = 0;
      std::string cell;
      for (int s = 0; s < seeds; ++s) {
        const Outcome& o = recipe_outcome(all, r, layers, s);
        const double v = final_val(o);
        cell += (s ? " / " : " ") + (o.diverged.empty() ? number(v) : std::string("diverged"));
        worst = std::max(worst, std::isfinite(v) ? v : INFINITY);
      }
      md += cell + " |";
      Best& best = layers == 1 ? best1 : best4;
      if (worst < best.val) best = {worst, r.name};
    }
    if (r.one_layer_only) {
      md += " — |\n";
      continue;
    }
    const Outcome& o = recipe_outcome(all, r, 4, 0);
    const LayerDiagnostics& out = o.history.back().layers.back();
    md +=
        " " + std::to_string(out.dead_units) + " (" + std::to_string(out.dead_zero_pixel) + ") |\n";
  }
  md += "\nBest 1-layer recipe, by its worse seed: **" + best1.name + "**, val_loss ≤ " +
        number(best1.val) +
        (best1.val < 1 ? " — under one grey level RMS, the target.\n\n"
                       : " — not under 1 (one grey level RMS), the target.\n\n");
  md += "Best 4-layer recipe, by its worse seed: **" + best4.name + "**, val_loss ≤ " +
        number(best4.val) +
        (best4.val < 10 ? ", under the target of 10.\n\n" : "; the target was 10.\n\n");
  md += "![val_loss of the recipes, 1 layer](figures/identity-study-recipes-1-layer.svg)\n\n";
  md += "![val_loss of the recipes, 4 layers](figures/identity-study-recipes-4-layers.svg)\n\n";
  return md;
}

void write_recipe_figures(const std::filesystem::path& out, const std::vector<Outcome>& all) {
  for (int layers : {1, 4}) {
    std::vector<PlotSeries> series;
    for (const Recipe& r : recipes()) {
      if (r.one_layer_only && layers != 1) continue;
      PlotSeries s{r.name, {}, false, {}};
      for (const auto& e : recipe_outcome(all, r, layers, 0).history)
        s.values.push_back(e.val_loss);
      series.push_back(s);
    }
    const std::string suffix = layers == 1 ? "1-layer" : "4-layers";
    write_file_atomically(
        out / "figures" / ("identity-study-recipes-" + suffix + ".svg"),
        loss_plot_svg("val_loss of each recipe, " + layers_text(layers) + " (seed 1)",
                      "val_loss (MSE, raw pixels)", series));
  }
}

}  // namespace simdgrad::identity
