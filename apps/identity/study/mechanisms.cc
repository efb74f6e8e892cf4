#include "apps/identity/study/mechanisms.h"

#include <cmath>

#include "apps/identity/files/atomic_file.h"
#include "apps/identity/files/loss_plot_svg.h"
#include "apps/identity/study/format.h"

namespace simdgrad::identity {
namespace {

// The optimizer-floor runs: 1 layer, centered inputs in pixels / 255 unless the run says.
const std::string kRmsprop = recipe_run_id("centered", 1, 0);
const std::string kRmspropCosine = recipe_run_id("centered-cosine", 1, 0);

// The runs whose dead units the timeline follows.
struct Followed {
  std::string run;
  const char* label;
};
const std::vector<Followed>& followed_runs() {
  static const std::vector<Followed> runs = {
      {run_ids::kKeras4, "4 layers, original"},
      {run_ids::kKeras1, "1 layer, original"},
      {recipe_run_id("warm-up", 4, 0), "4 layers, warm-up"},
      {recipe_run_id("active", 4, 0), "4 layers, active output biases"},
      {recipe_run_id("centered", 4, 0), "4 layers, centered inputs"},
      {recipe_run_id("active", 1, 0), "1 layer, active output biases"},
      {recipe_run_id("centered", 1, 0), "1 layer, centered inputs"},
  };
  return runs;
}

// The remedies for dying units set side by side: the runs of each, 1 and 4 layers ("": none).
struct Remedy {
  const char* label;
  std::string one_layer, four_layers;
};
const std::vector<Remedy>& remedies() {
  static const std::vector<Remedy> all = {
      {"none (original)", run_ids::kKeras1, run_ids::kKeras4},
      {"a learning rate: warm-up over the first epoch", recipe_run_id("warm-up", 1, 0),
       recipe_run_id("warm-up", 4, 0)},
      {"an initialization: active output biases", recipe_run_id("active", 1, 0),
       recipe_run_id("active", 4, 0)},
      {"the inputs: centered, pixels / 255", recipe_run_id("centered", 1, 0),
       recipe_run_id("centered", 4, 0)},
      {"the architecture: linear output layer (part one, row 5)", "", run_ids::kLinearOutput},
  };
  return all;
}

int output_dead(const DeadUnitSample& s) { return s.dead.back(); }

// Dead output units after `step` steps: the sample at that step, or the last one before it.
int dead_at(const Outcome& o, size_t step) {
  int dead = -1;
  for (const auto& s : o.dead_units) {
    if (s.step <= step) dead = output_dead(s);
  }
  return dead;
}

}  // namespace

std::vector<Experiment> optimizer_floor_experiments(const TrainConfig& base) {
  TrainConfig c = base;
  c.layers = 1;
  c.precondition = Precondition::kCenter;
  c.scale = PixelScale::kUnit;
  TrainConfig adam = c, adam_cosine = c, raw = c;
  adam.optimizer = adam_cosine.optimizer = OptimizerKind::kAdam;
  adam_cosine.schedule = autograd::ScheduleShape::kCosine;
  raw.scale = PixelScale::kRaw;
  return {{"8. optimizer floor", run_ids::kFloorAdam, "1 layer, centered, Adam", adam},
          {"8. optimizer floor", run_ids::kFloorAdamCosine, "1 layer, centered, Adam + cosine",
           adam_cosine},
          {"8. optimizer floor", run_ids::kFloorRawPixels, "1 layer, centered, raw pixels", raw}};
}

std::string optimizer_floor_section(const std::vector<Outcome>& all, double mean_image_max) {
  std::string md = "## What RMSprop's and Adam's per-weight scaling does and does not fix\n\n";
  md +=
      "RMSprop divides each weight's gradient by its running RMS, Adam by the RMS of its "
      "moments: the step of every weight is about lr, whatever the size of its gradient. That "
      "fixes the conditioning above for them — a direction with a tiny eigenvalue moves as "
      "fast as any — which is why plain gradient descent's thousands of steps per e-fold do "
      "not show in RMSprop's curves, and why dividing the pixels by 255 barely matters to it "
      "(part one, row 3). It also means two things it cannot fix. The runs below are 1 layer "
      "with centered inputs in pixels / 255 (so no unit dies, see the next section):\n\n";
  md +=
      "| run | final train loss | final val_loss | last step's RMS change per weight / lr | "
      "gradient RMS, last epoch / first epoch |\n|---|---|---|---|---|\n";
  for (const std::string& id : {kRmsprop, kRmspropCosine, std::string(run_ids::kFloorAdam),
                                std::string(run_ids::kFloorAdamCosine)}) {
    const Outcome& o = find(all, id);
    const auto& h = o.history;
    const double shrink = h.back().layers.front().grad_norm / h.front().layers.front().grad_norm;
    md += "| " + o.experiment.name + " | " + number(h.back().loss) + " | " + number(final_val(o)) +
          " | " + number(o.last_step_over_lr) + " | " + number(shrink) + " |\n";
  }
  md += "\n(— : a cosine run's last rate is 0.)\n";
  const Outcome& rms = find(all, kRmsprop);
  const Outcome& rms_cos = find(all, kRmspropCosine);
  const Outcome& adam = find(all, run_ids::kFloorAdam);
  const Outcome& adam_cos = find(all, run_ids::kFloorAdamCosine);
  auto grad_shrink = [](const Outcome& o) {
    return o.history.back().layers.front().grad_norm / o.history.front().layers.front().grad_norm;
  };
  md +=
      "\n**A noise floor.** At a constant rate, the last step of RMSprop still moves the weights "
      "by " +
      number(rms.last_step_over_lr) + " × lr in RMS (Adam " + number(adam.last_step_over_lr) +
      " × lr) although the gradient has shrunk to " + percent(grad_shrink(rms)) + " (Adam " +
      percent(grad_shrink(adam)) +
      ") of its first epoch's: near the minimum the steps stay as "
      "large as far from it, and the loss stops at the level that jitter allows. Taking the "
      "rate down to 0 with a cosine over the run removes the floor: RMSprop's val_loss goes from " +
      number(final_val(rms)) + " to " + number(final_val(rms_cos)) + ", Adam's from " +
      number(final_val(adam)) + " to " + number(final_val(adam_cos)) + ".\n\n";
  const Outcome& raw = find(all, run_ids::kFloorRawPixels);
  const double steps = double(rms.dead_units.back().step);  // after the last epoch
  md +=
      "**A speed limit.** A weight that moves by at most about lr per step needs |w*| / lr "
      "steps to reach its value w*. With centered inputs the output's bias must become the mean "
      "image, whose brightest pixel is " +
      number(mean_image_max) + " in raw pixels: " + number(mean_image_max / 1e-3) +
      " steps at lr 1e-3, against the " + number(steps) +
      " steps of the whole budget; in pixels / 255 it is " + number(mean_image_max / 255 / 1e-3) +
      " steps. Measured: centered inputs in raw pixels end at val_loss " + number(final_val(raw)) +
      ", in pixels / 255 at " + number(final_val(rms)) +
      ". Under per-weight scaling the units "
      "of the pixels are not a matter of conditioning but of distance.\n\n";
  return md;
}

namespace {

// Dead output units of each followed run after a number of steps, and over the run.
std::string dead_unit_timeline(const std::vector<Outcome>& all, size_t steps_per_epoch) {
  std::string md;
  const size_t marks[] = {0, 1, 4, 16, 64, steps_per_epoch, 20 * steps_per_epoch};
  md +=
      "| run | step 0 | 1 | 4 | 16 | 64 | epoch 1 | end | revived, all layers, over the run | "
      "val_loss on dead output pixels |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Followed& f : followed_runs()) {
    const Outcome& o = find(all, f.run);
    md += std::string("| ") + f.label + " |";
    for (size_t m : marks) md += " " + std::to_string(dead_at(o, m)) + " |";
    md += " " + std::to_string(revived_units(o)) + " | " +
          percent(o.history.back().dead_output_loss_share) + " |\n";
  }
  return md;
}

// Dead units per layer and epoch of the original 4-layer run.
std::string dead_units_per_layer(const Outcome& four) {
  std::string md;
  md +=
      "\nPer layer and epoch in the original 4-layer run: dead units (revived since the previous "
      "epoch, in brackets; layer 4 is the output):\n\n| epoch |";
  const size_t layers = four.history.back().layers.size();
  for (size_t l = 0; l < layers; ++l) md += " layer " + std::to_string(l + 1) + " |";
  md += "\n|---|";
  for (size_t l = 0; l < layers; ++l) md += "---|";
  md += "\n";
  for (const auto& r : four.history) {
    if (r.epoch > 2 && r.epoch % 5 != 0 && r.epoch != int(four.history.size())) continue;
    md += "| " + std::to_string(r.epoch) + " |";
    for (const auto& d : r.layers) {
      md += " " + std::to_string(d.dead_units) + " (" + std::to_string(d.revived_units) + ") |";
    }
    md += "\n";
  }
  md += "\n";
  return md;
}

// When units die, and why where they do.
std::string when_units_die(const Outcome& one, const Outcome& four) {
  std::string md;
  const int final_dead = output_dead(four.dead_units.back());
  const int by_64 = dead_at(four, 64);
  const int one_revived = revived_units(one);
  md +=
      "The very first step — RMSprop's largest, 3.2 lr per weight while its accumulator fills — "
      "leaves " +
      std::to_string(dead_at(four, 1)) +
      " output units of the 4-layer network dead. "
      "Of the output units dead at the end, " +
      percent(final_dead > 0 ? double(std::min(by_64, final_dead)) / final_dead : 0) +
      " were dead after 64 steps, " + percent(64.0 / double(four.dead_units.back().step)) +
      " of the budget. In the 1-layer network a dead output unit has fixed inputs, the pixels: " +
      (one_revived == 0
           ? std::string("none came back over the run")
           : std::to_string(one_revived) +
                 " came back over the run, units dead on the test "
                 "images but still active on some training image, where they get a gradient") +
      "; in 4 layers the layers below keep changing an output unit's inputs, and " +
      std::to_string(revived_units(four)) +
      " units of all layers revived at some epoch's end, "
      "while others died. Units die where the inputs are "
      "all ≥ 0 — the pixels, or the ReLU outputs feeding the next layer — because a step of "
      "RMSprop there moves a unit's pre-activation the same way on every image.\n\n";
  return md;
}

std::string remedies_table(const std::vector<Outcome>& all) {
  std::string md;
  md +=
      "**Remedies.** Three that keep the ReLU output, against changing the architecture (dead "
      "output units at the end, of them on always-0 pixels in brackets, and val_loss; seed 1):\n\n";
  md += "| what changes | 1 layer | 4 layers |\n|---|---|---|\n";
  auto cell = [&](const std::string& run) -> std::string {
    if (run.empty()) return "—";
    const Outcome& o = find(all, run);
    const LayerDiagnostics& out = o.history.back().layers.back();
    const std::string dead = out.relu ? std::to_string(out.dead_units) + " (" +
                                            std::to_string(out.dead_zero_pixel) + ") dead"
                                      : "no ReLU";
    return dead + ", val_loss " + number(final_val(o));
  };
  for (const Remedy& r : remedies()) {
    md += std::string("| ") + r.label + " | " + cell(r.one_layer) + " | " + cell(r.four_layers) +
          " |\n";
  }
  md += "\n";
  return md;
}

}  // namespace

std::string dead_units_section(const std::vector<Outcome>& all) {
  const Outcome& one = find(all, run_ids::kKeras1);
  const Outcome& four = find(all, run_ids::kKeras4);
  const size_t steps_per_epoch =
      one.dead_units.back().step / std::max<size_t>(1, one.history.size());
  std::string md = "## Dead units: when, where, and what they cost\n\n";
  md +=
      "A unit is dead when it outputs 0 for every validation image; the counts below set apart "
      "the output units of pixels that are 0 in every test image (the exact solution never "
      "activates those either). Dead output units after a number of optimizer steps (an epoch "
      "is " +
      std::to_string(steps_per_epoch) + " steps):\n\n";
  md += dead_unit_timeline(all, steps_per_epoch) + dead_units_per_layer(four) +
        when_units_die(one, four) + remedies_table(all);
  md +=
      "![dead output units over the first steps and "
      "epochs](figures/identity-study-dead-units.svg)\n\n";
  return md;
}

std::string depth_section(const std::vector<Outcome>& all) {
  std::string md = "## What stops four layers: the hidden layers lose the image\n\n";
  md +=
      "No layer can give back what the layers below it dropped. For each hidden layer, the best "
      "affine map from its outputs back to the pixels (least squares on the training images, "
      "`apps/identity/analysis/readout_floor.cc`) measures how much of the image the layer still "
      "carries: on the training images its loss is exactly the best a linear layer on top could "
      "reach, and from the pixels themselves it is the least-squares floor of the conditioning "
      "section (0 on the training images). Readout losses of hidden layers 1 / 2 / 3, raw "
      "pixels, and the share of their outputs that are exactly 0 on the test images:\n\n";
  md +=
      "| run | readout val_loss at the start | readout val_loss at the end | zero outputs at the "
      "end | "
      "network: last epoch's train loss | layer 3's readout: train loss "
      "|\n|---|---|---|---|---|---|\n";
  const Outcome* original = nullptr;
  auto list = [](const std::vector<double>& v, bool share) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? " / " : "") + (share ? percent(v[i]) : number(v[i]));
    return s;
  };
  for (const Outcome& o : all) {
    if (o.readout_end.val_loss.empty() || !o.diverged.empty()) continue;
    if (o.experiment.id == run_ids::kKeras4) original = &o;
    md += "| " + o.experiment.name + " | " + list(o.readout_start.val_loss, false) + " | " +
          list(o.readout_end.val_loss, false) + " | " + list(o.readout_end.zero_fraction, true) +
          " | " + number(o.history.back().loss) + " | " + number(o.readout_end.train_loss.back()) +
          " |\n";
  }
  if (original) {
    const auto& start = original->readout_start.val_loss;
    const auto& end = original->readout_end;
    const double ratio = original->history.back().loss / end.train_loss.back();
    md +=
        "\nThe random start alone costs information: before any training, the best readout from "
        "layer 1's outputs scores val_loss " +
        number(start.front()) + " and from layer " + std::to_string(start.size()) + "'s " +
        number(start.back()) +
        ", where the pixels "
        "themselves allow the least-squares floor of the conditioning section. A ReLU in a random "
        "frame zeroes a large share of every image's "
        "coordinates (" +
        percent(end.zero_fraction.front()) +
        " of layer 1's outputs at the end of "
        "the original run), and a 784-wide layer with that many units off cannot carry a "
        "712-dimensional image. Training does not win it back: after the last epoch the readouts "
        "score " +
        list(end.val_loss, false) + ". The network's own training loss is " + number(ratio) +
        " times its last hidden layer's readout training loss: ";
    md += ratio < 2
              ? "the output layer does about as well as any linear layer could on what it is "
                "given; the image was lost below it, in the hidden layers.\n\n"
              : "the output layer falls well short of what its input allows (its dead units), "
                "on top of what the hidden layers lost.\n\n";
  }
  return md;
}

void write_dead_unit_figure(const std::filesystem::path& out, const std::vector<Outcome>& all) {
  std::vector<PlotSeries> series;
  for (const Followed& f : followed_runs()) {
    PlotSeries s{f.label, {}, false, {}};
    for (const auto& sample : find(all, f.run).dead_units) {
      if (sample.step == 0) continue;  // the log axis starts at step 1
      s.x.push_back(double(sample.step));
      s.values.push_back(double(output_dead(sample)));
    }
    series.push_back(s);
  }
  write_file_atomically(out / "figures" / "identity-study-dead-units.svg",
                        loss_plot_svg("dead output units (of 784) on the validation set",
                                      "dead output units", series, "optimizer steps"));
}

}  // namespace simdgrad::identity
