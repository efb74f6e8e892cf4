// identity study: runs the experiments that test each cause the original answer gave for the
// identity MLP's poor fit, and writes the report (markdown + SVG figures) from the measurements.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "apps/identity/atomic_file.h"
#include "apps/identity/conditioning.h"
#include "apps/identity/commands.h"
#include "apps/identity/loss_plot_svg.h"
#include "apps/identity/run_files.h"
#include "apps/identity/trainer.h"
#include "simdgrad/reductions.h"

namespace simdgrad::identity {
namespace {

namespace fs = std::filesystem;

struct Experiment {
  std::string group;  // the cause it tests
  std::string name;
  TrainConfig config;
};

struct Outcome {
  Experiment experiment;
  std::vector<EpochRecord> history;
  std::string diverged;  // the fault, when the loss became non-finite
  double seconds = 0;
};

std::vector<Experiment> experiments(const StudyOptions& o) {
  TrainConfig base;
  base.data = o.data;
  base.seed = o.seed;
  if (o.quick) {
    base.epochs = 3;
    base.limit = 5000;
  }
  auto with = [&](auto change) {
    TrainConfig c = base;
    change(c);
    return c;
  };
  const int short_epochs = o.quick ? 2 : 5;
  return {
      {"1. original", "4 layers (Keras recipe)", base},
      {"1. original", "1 layer", with([](TrainConfig& c) { c.layers = 1; })},
      {"2. exact solution", "4 layers, W = I init", with([&](TrainConfig& c) {
         c.init = autograd::Initializer::kIdentity;
         c.epochs = short_epochs;
       })},
      {"3. input scale", "4 layers, pixels / 255", with([](TrainConfig& c) { c.scale = PixelScale::kUnit; })},
      {"4. optimizer", "4 layers, Adam lr 1e-3", with([](TrainConfig& c) { c.optimizer = OptimizerKind::kAdam; })},
      {"4. optimizer", "4 layers, RMSprop lr 1e-4", with([](TrainConfig& c) { c.lr = 1e-4; })},
      {"4. optimizer", "4 layers, SGD lr 1e-6", with([](TrainConfig& c) {
         c.optimizer = OptimizerKind::kSgd;
         c.lr = 1e-6;
       })},
      {"4. optimizer", "4 layers, SGD lr 1e-2 (Keras default)", with([&](TrainConfig& c) {
         c.optimizer = OptimizerKind::kSgd;
         c.epochs = short_epochs;
       })},
      {"5. dying ReLU", "4 layers, linear output", with([](TrainConfig& c) {
         c.output_activation = Activation::kNone;
       })},
      {"6. training time", "1 layer, 5x the epochs", with([](TrainConfig& c) {
         c.layers = 1;
         c.epochs *= 5;
       })},
      {"6. training time", "4 layers, 5x the epochs", with([](TrainConfig& c) { c.epochs *= 5; })},
      {"7. all fixes", "4 layers, pixels / 255, Adam, linear output", with([](TrainConfig& c) {
         c.scale = PixelScale::kUnit;
         c.optimizer = OptimizerKind::kAdam;
         c.output_activation = Activation::kNone;
       })},
  };
}

Outcome run(const Experiment& e, const Mnist& data) {
  Outcome out{e, {}, "", 0};
  const auto start = std::chrono::steady_clock::now();
  Trainer trainer(e.config, data);
  std::printf("study: %-18s %-40s", e.group.c_str(), e.name.c_str());
  std::fflush(stdout);
  try {
    while (trainer.epoch() < e.config.epochs) trainer.train_epoch();
  } catch (const NumericalFault& fault) {
    out.diverged = fault.what();
  }
  out.history = trainer.history();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out.history.empty()) {
    std::printf(" val_loss %10.4f", out.history.back().val_loss);
  }
  std::printf("%s  %.0fs\n", out.diverged.empty() ? "" : "  (diverged)", out.seconds);
  return out;
}

std::string number(double v) {
  char text[64];
  if (!std::isfinite(v)) return "—";
  if (v == 0) return "0";
  if (std::abs(v) >= 0.01 && std::abs(v) < 1e6) {
    std::snprintf(text, sizeof text, "%.2f", v);
  } else {
    std::snprintf(text, sizeof text, "%.3g", v);
  }
  return text;
}

int first_epoch_below(const std::vector<EpochRecord>& h, double threshold) {
  for (const auto& r : h) {
    if (r.val_loss < threshold) return r.epoch;
  }
  return 0;
}

// Dead ReLU units over all ReLU layers at the end, and how many of them sit on always-0 pixels.
std::pair<int, int> dead_units(const EpochRecord& r) {
  int dead = 0, zero_pixel = 0;
  for (const auto& l : r.layers) {
    if (!l.relu) continue;
    dead += l.dead_units;
    zero_pixel += l.dead_zero_pixel;
  }
  return {dead, zero_pixel};
}

const Outcome& find(const std::vector<Outcome>& all, const std::string& name) {
  for (const auto& o : all) {
    if (o.experiment.name == name) return o;
  }
  throw std::logic_error("study: no experiment " + name);
}

double final_val(const Outcome& o) {
  return o.history.empty() || !o.diverged.empty() ? NAN : o.history.back().val_loss;
}

// "far lower than the original (×0.47)": how a run's loss compares with a reference's.
std::string compared(double value, double reference, const std::string& reference_name) {
  const double r = value / reference;
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, " (×%.2f)", r);
  if (r < 0.5) return "far lower than " + reference_name + ratio;
  if (r < 0.9) return "lower than " + reference_name + ratio;
  if (r <= 1.1) return "about the same as " + reference_name + ratio;
  return "higher than " + reference_name + ratio;
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", 100 * fraction);
  return text;
}

// Full-batch gradient descent on the 1-layer linear model at half its stable learning rate,
// measured (one exact gradient step per epoch on the whole training set) and predicted from
// the spectrum before the first step.
struct GradientDescentCheck {
  double lr = 0;
  size_t images = 0;  // the batch: the whole training set
  std::vector<double> predicted, measured;  // training loss before each step
  double seconds = 0;
};

GradientDescentCheck run_gradient_descent_check(const StudyOptions& o, const Mnist& data,
                                                const Conditioning& c) {
  GradientDescentCheck out;
  const auto start = std::chrono::steady_clock::now();
  TrainConfig config;
  config.data = o.data;
  config.seed = o.seed;
  config.layers = 1;
  config.output_activation = Activation::kNone;
  config.optimizer = OptimizerKind::kSgd;
  config.batch = int(data.train.count);
  out.images = data.train.count;
  config.epochs = o.quick ? 4 : 30;
  config.lr = out.lr = 0.5 * 784.0 / c.spectrum.largest;
  Trainer trainer(config, data);
  std::printf("study: %-18s %-40s", "8. conditioning", "full-batch GD, 1 linear layer");
  std::fflush(stdout);
  auto& layer = trainer.model().layer(0);
  out.predicted = predicted_gradient_descent(c, layer.weight().value.view(),
                                             layer.parameters()[1]->value.view(), out.lr, config.epochs);
  while (trainer.epoch() < config.epochs) out.measured.push_back(trainer.train_epoch().loss);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(" loss %10.4f (predicted %.4f)  %.0fs\n", out.measured.back(), out.predicted.back(),
              out.seconds);
  return out;
}

// The conditioning section: the spectrum of M, the linear model's floor, and what they mean
// for the 1-layer runs above.
std::string conditioning_section(const Conditioning& c, const GradientDescentCheck& gd,
                                 const Outcome& one) {
  const Spectrum& s = c.spectrum;
  const LinearFloor& f = c.floor;
  std::string md = "## Conditioning and the floor\n\n";
  md += "For a 1-layer model with a linear output, y = x Wᵀ + b, the MSE is a quadratic in each "
        "output pixel's weights and bias, with Hessian H = (2/784) M, M = [X 1]ᵀ[X 1] / N: the "
        "second-moment matrix of the training images (raw pixels) with a constant column for "
        "the bias. Measured on the " + std::to_string(c.spectrum.eigenvalues.size() - 1) +
        " pixels of the whole training set (`apps/identity/conditioning.cc`: the library's GEMM "
        "in double, then LAPACK's `dsyevd`):\n\n";
  md += "| measure | value |\n|---|---|\n";
  md += "| eigenvalues of M | " + std::to_string(s.eigenvalues.size()) + " |\n";
  md += "| largest eigenvalue | " + number(s.largest) + " |\n";
  md += "| smallest nonzero eigenvalue | " + number(s.smallest_nonzero) + " |\n";
  md += "| condition number on the non-null part | " + number(s.condition_number) + " |\n";
  md += "| effective rank, (Σλ)² / Σλ² | " + number(s.effective_rank) + " |\n";
  md += "| null dimension (eigenvalues ≤ " + number(s.null_tolerance) + ") | " +
        std::to_string(s.null_dimension) + " |\n";
  md += "| pixels 0 in every training image | " + std::to_string(s.always_zero_pixels) + " |\n";
  md += "| largest stable learning rate of full-batch gradient descent, 2 / λmax(H) = 784 / λmax(M) | " +
        number(784.0 / s.largest) + " |\n";
  md += "| least-squares 1-layer linear model: train loss | " + number(f.train_loss) + " |\n";
  md += "| least-squares 1-layer linear model: val_loss | " + number(f.val_loss) + " |\n";
  md += "| pixels 0 in every training image but lit in some test image | " +
        std::to_string(f.unseen_pixels) + " |\n";
  md += "| their share of that val_loss | " + percent(f.unseen_pixel_share) + " |\n\n";
  md += "**The floor.** The least-squares solution of the 1-layer linear model (the projection "
        "onto the span of the training images, where gradient training from W = 0 converges) "
        "reproduces the training images " +
        std::string(f.train_loss < 1e-6 ? "exactly" : "to a loss of " + number(f.train_loss)) +
        " and scores val_loss " + number(f.val_loss) + " on the test set. " +
        (f.unseen_pixels > 0
             ? std::to_string(f.unseen_pixels) + " pixels are 0 in every training image but lit "
               "in some test image: no gradient ever reaches their weights, the model outputs 0 "
               "there, and they carry " + percent(f.unseen_pixel_share) +
               " of the floor's val_loss. "
             : "") +
        "The trained 1-layer network (ReLU output, RMSprop) ends at " + number(final_val(one)) +
        ", " + number(final_val(one) / std::max(f.val_loss, 1e-300)) +
        " times the floor: its gap is optimization, not capacity.\n\n";
  size_t flat = 0, nonzero = 0;  // nonzero eigenvalues 10^5 times or more below the largest
  for (double l : s.eigenvalues) {
    if (l <= s.null_tolerance) continue;
    ++nonzero;
    flat += l < 1e-5 * s.largest;
  }
  md += "**Conditioning.** The spectrum spans " + number(std::log10(s.condition_number)) +
        " decades on its non-null part (figure below), with an effective rank of only " +
        number(s.effective_rank) + " of " + std::to_string(s.eigenvalues.size()) +
        ": the mean image dominates, and " + std::to_string(flat) + " of the " +
        std::to_string(nonzero) + " nonzero directions are 10⁵ times flatter or more. " +
        (s.null_dimension > s.always_zero_pixels
             ? "The null space has " + std::to_string(s.null_dimension) + " dimensions: the " +
                   std::to_string(s.always_zero_pixels) + " never-lit pixels and " +
                   std::to_string(s.null_dimension - s.always_zero_pixels) +
                   " directions in which lit pixels are linearly dependent in the training set "
                   "(pixels lit only together, in the same few images). "
             : "") +
        "Full-batch gradient descent is stable only below lr = " +
        number(784.0 / s.largest) + ", and at that rate the error along the flattest direction "
        "shrinks by a factor 1 − 2·λmin/λmax per step: about " +
        number(s.condition_number / 2) + " steps per e-fold.\n\n";
  md += "![eigenvalues of the training images' second-moment matrix](figures/identity-study-spectrum.svg)\n\n";
  double worst = 0;  // largest relative gap between prediction and measurement
  for (size_t t = 0; t < gd.measured.size(); ++t) {
    worst = std::max(worst, std::abs(gd.measured[t] - gd.predicted[t]) / gd.predicted[t]);
  }
  md += "**Predicted against measured.** Full-batch gradient descent on the 1-layer linear "
        "model (SGD with one batch of all " + std::to_string(gd.images) +
        " training images, so one exact gradient step per epoch) at half the stable rate, lr = " +
        number(gd.lr) + ", from the Glorot initialization. The loss before each step was "
        "predicted from the spectrum and the initial error before training (L_t = L* + (1/784) "
        "Σᵢ λᵢ (1 − 2·lr·λᵢ/784)^(2t) ‖cᵢ‖², `predicted_gradient_descent`), then measured: "
        "the largest gap over " + std::to_string(gd.measured.size()) + " steps is " +
        number(worst) + " of the prediction, relatively (" + number(gd.seconds) + " s).\n\n";
  md += "| step | predicted train loss | measured train loss |\n|---|---|---|\n";
  for (size_t t = 0; t < gd.measured.size(); ++t) {
    if (t < 3 || (t + 1) % 10 == 0 || t + 1 == gd.measured.size()) {
      md += "| " + std::to_string(t) + " | " + number(gd.predicted[t]) + " | " + number(gd.measured[t]) + " |\n";
    }
  }
  // How slowly the rest of the spectrum converges at this rate.
  std::vector<double> lit;
  for (double l : c.spectrum.eigenvalues) {
    if (l > c.spectrum.null_tolerance) lit.push_back(l);
  }
  size_t slow = 0;  // directions whose error shrinks by less than 0.1% per step
  for (double l : lit) slow += 2 * gd.lr * l / 784 < 1e-3;
  const double median = lit[lit.size() / 2];
  md += "\nThe first steps remove the error along the few large directions (the mean image and "
        "its neighbours). Along each other direction the error shrinks by a factor "
        "1 − 2·lr·λᵢ/784 per step, and for " + std::to_string(slow) + " of the " +
        std::to_string(lit.size()) + " nonzero directions that factor is within 10⁻³ of 1: "
        "along the median direction (λ = " + number(median) + ") one e-fold takes " +
        number(784 / (2 * gd.lr * median)) + " steps. After " + std::to_string(gd.measured.size()) +
        " steps the training loss is " + number(gd.measured.back()) + ", where the least-squares "
        "solution has " + number(c.floor.train_loss) + ". A rate stable for the largest eigenvalue "
        "is far too small for the rest: plain gradient descent cannot reach the floor in any "
        "affordable number of steps. That is the first half of \"why so slow\", and it holds "
        "before any ReLU or depth enters.\n\n";
  md += "![full-batch gradient descent, predicted and measured](figures/identity-study-gradient-descent.svg)\n\n";
  return md;
}

std::string report(const StudyOptions& options, const std::vector<Outcome>& all,
                   double total_seconds, double all_zero_loss, const Conditioning& conditioning,
                   const GradientDescentCheck& gd) {
  const Outcome& four = find(all, "4 layers (Keras recipe)");
  const Outcome& one = find(all, "1 layer");
  const Outcome& exact = find(all, "4 layers, W = I init");
  const Outcome& unit = find(all, "4 layers, pixels / 255");
  const Outcome& linear = find(all, "4 layers, linear output");
  const Outcome& long_one = find(all, "1 layer, 5x the epochs");
  const Outcome& long_four = find(all, "4 layers, 5x the epochs");
  const Outcome& fixes = find(all, "4 layers, pixels / 255, Adam, linear output");
  auto collapsed = [&](const Outcome& o) { return final_val(o) >= 0.98 * all_zero_loss; };
  std::string md;
  md += "# The identity study: why is an MLP so bad at learning the identity?\n\n";
  md += "Generated by `identity study" + std::string(options.quick ? " --quick" : "") +
        "` (`./run.sh study`); every number below is measured by that command, and the prose "
        "around the numbers is chosen by them. " +
        (options.quick ? "**Quick mode: 5,000 training images, 3 epochs** — a smoke run, not "
                         "the study.\n\n"
                       : "Full mode: the whole training set, 20 epochs per run unless a row says "
                         "otherwise.\n\n");
  md += "The question (see `../shared/reference/seed-experiment.md`): 4 × Dense(784, ReLU) trained "
        "with Keras to reproduce raw MNIST images (MSE, RMSprop defaults, batch 128, 20 epochs) "
        "ended at val_loss 523.7, and 1 layer at 167.95; why can training not find the perfect "
        "solution, and why is it so slow? The accepted answer blamed ReLU's lack of negative "
        "outputs, dying ReLUs, weak gradient descent, poor conditioning from the unscaled inputs, "
        "and hyper-parameters. Each row below tests one claim, changing one thing from the "
        "original recipe. Losses are MSE in raw-pixel units (0..255), comparable with Keras' "
        "figures, whatever input scale a run trained with; an all-zero output scores " +
        number(all_zero_loss) + " on the test set.\n\n";
  md += "| cause tested | run | epochs | final train loss | final val_loss | first epoch with "
        "val_loss < 10 | dead ReLU units, all layers (on always-0 pixels) | dead output units "
        "(on always-0 pixels) | val_loss on dead output pixels | time |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& o : all) {
    const int below = first_epoch_below(o.history, 10.0);
    std::string dead = "—", dead_out = "—", share = "—";
    if (!o.history.empty()) {
      const EpochRecord& last = o.history.back();
      const auto [d, z] = dead_units(last);
      dead = std::to_string(d) + " (" + std::to_string(z) + ")";
      const LayerDiagnostics& output = last.layers.back();
      if (output.relu) {
        dead_out = std::to_string(output.dead_units) + " (" + std::to_string(output.dead_zero_pixel) + ")";
        share = percent(last.dead_output_loss_share);
      } else {
        dead_out = "linear";
      }
    }
    md += "| " + o.experiment.group + " | " + o.experiment.name + " | " +
          std::to_string(o.history.size()) + " | " +
          (o.history.empty() ? "—" : number(o.history.back().loss)) + " | " +
          (o.diverged.empty() ? number(final_val(o)) : "diverged: " + o.diverged) + " | " +
          (below ? std::to_string(below) : "never") + " | " + dead + " | " + dead_out + " | " +
          share + " | " + number(o.seconds) + " s |\n";
  }
  md += "\nTotal time " + number(total_seconds) + " s. Per-epoch figures of every run: "
        "[identity-study-epochs.csv](identity-study-epochs.csv).\n\n";

  md += "## What the measurements say\n\n";
  md += "**1. The recipe reproduces the original.** 4 layers end at val_loss " +
        number(final_val(four)) + " (Keras 523.7; the PyTorch replication in the reference file "
        "552.9), 1 layer at " + number(final_val(one)) + " (Keras 167.95). The deeper network's loss is " +
        compared(final_val(four), final_val(one), "the shallow one's") + ".\n\n";
  double exact_max = 0;
  for (const auto& r : exact.history) exact_max = std::max({exact_max, r.loss, r.val_loss});
  md += "**2. A perfect solution exists, so ReLU is not the obstacle.** MNIST pixels are never "
        "negative, so W = I, b = 0 in every layer reproduces every image exactly "
        "(ReLU(x) = x for x ≥ 0): the claim that ReLU cannot represent the identity does not "
        "apply to this data. Started there, the largest loss over " +
        std::to_string(exact.history.size()) + " epochs of training is " + number(exact_max) +
        (exact_max == 0 ? ": the gradient is exactly zero, RMSprop's step 0/(0 + ε) is zero, and "
                          "the network stays on the solution. The difficulty is purely one of "
                          "optimization: finding this point from a random start.\n\n"
                        : ": it does not stay exactly on the solution.\n\n");
  md += "**3. Input scale.** Dividing pixels by 255 ends at val_loss " + number(final_val(unit)) +
        ", " + compared(final_val(unit), final_val(four), "raw pixels' " + number(final_val(four))) + ". ";
  {
    const double r = final_val(unit) / final_val(four);
    md += r < 0.5 ? "Poor conditioning from the unscaled inputs is a major factor.\n\n"
          : r < 0.9 ? "Scaling helps, but the network stays far from the solution: conditioning "
                      "is a minor factor, not the cause. (RMSprop divides each gradient by its "
                      "running RMS, so the raw scale's 255× larger gradients alone do not change "
                      "its step size.)\n\n"
                    : "Scaling makes no material difference here: with RMSprop, which divides "
                      "each gradient by its running RMS, the raw scale's larger gradients do "
                      "not change the step size.\n\n";
  }
  md += "**4. Optimizer and learning rate.** Against the original's " + number(final_val(four)) + ":";
  const Outcome* best = &four;
  bool any_below_10 = false;
  for (const auto& o : all) {
    if (o.experiment.group != "4. optimizer") continue;
    md += " " + o.experiment.name.substr(std::string("4 layers, ").size()) + ": ";
    if (!o.diverged.empty()) {
      md += "diverged;";
      continue;
    }
    if (collapsed(o)) {
      md += number(final_val(o)) + ", collapsed to an all-zero output (every output unit dead);";
    } else {
      md += number(final_val(o)) + ", " + compared(final_val(o), final_val(four), "the original") + ";";
    }
    if (final_val(o) < final_val(*best)) best = &o;
    any_below_10 |= first_epoch_below(o.history, 10.0) > 0;
  }
  md.back() = '.';
  md += " The best of these is " + best->experiment.name + " at " + number(final_val(*best)) +
        (any_below_10 ? "; some setting reaches val_loss < 10.\n\n"
                      : "; none reaches val_loss < 10. Hyper-parameters move the result, but "
                        "not to the solution.\n\n");
  const LayerDiagnostics& out4 = four.history.back().layers.back();
  md += "**5. Dying ReLUs.** At the end of the original run the output layer has " +
        std::to_string(out4.dead_units) + " dead units of " + std::to_string(out4.units) + ", " +
        std::to_string(out4.dead_zero_pixel) +
        " of them on pixels that are 0 in every test image (the exact solution never activates "
        "those either), so " + std::to_string(out4.dead_units - out4.dead_zero_pixel) +
        " output pixels are held at 0 by training; they carry " +
        percent(four.history.back().dead_output_loss_share) +
        " of the validation loss (in the 1-layer network " +
        percent(one.history.back().dead_output_loss_share) + " of its loss, with " +
        std::to_string(one.history.back().layers.back().dead_units -
                       one.history.back().layers.back().dead_zero_pixel) +
        " output pixels held at 0). A linear output layer (no ReLU to die there) ends at " +
        number(final_val(linear)) + ", " + compared(final_val(linear), final_val(four), "the original") +
        (final_val(linear) < 10 ? ": dying ReLUs were the obstacle.\n\n"
                                : ": dead output units cost something, but removing them leaves "
                                  "the network far from the solution.\n\n");
  const double distance_start = four.history.front().layers.front().distance_from_identity;
  const double distance_end = long_four.history.back().layers.front().distance_from_identity;
  md += "**6. Training time.** Five times the epochs: 1 layer " + number(final_val(one)) + " → " +
        number(final_val(long_one)) + ", 4 layers " + number(final_val(four)) + " → " +
        number(final_val(long_four)) + ". Meanwhile the first layer's ‖W − I‖/‖I‖ goes from " +
        number(distance_start) + " after epoch 1 to " + number(distance_end) + " after epoch " +
        std::to_string(long_four.history.size()) +
        (distance_end > 0.5 * distance_start
             ? ": training does not head for the identity at all; it fits the data with other "
               "weights (a product of four layers has many near-solutions), approaching them "
               "slowly.\n\n"
             : ": the weights do move towards the identity, slowly.\n\n");
  md += "**7. All fixes together** (pixels / 255, Adam, linear output): val_loss " +
        number(final_val(fixes)) + ", " + compared(final_val(fixes), final_val(four), "the original") +
        (first_epoch_below(fixes.history, 10.0) ? ", below 10 from epoch " +
                                                      std::to_string(first_epoch_below(fixes.history, 10.0)) + ".\n\n"
                                                : ", still never below 10.\n\n");
  const bool solved = first_epoch_below(fixes.history, 10.0) > 0 || final_val(long_four) < 10;
  md += "**In short.** " +
        std::string(exact_max == 0 ? "The perfect solution exists and training leaves it alone. "
                                   : "") +
        (solved ? "The measured fixes do reach it; see rows 6 and 7.\n\n"
                : "None of the causes the answer named, fixed alone or together, brings the "
                  "network to val_loss < 10 within the original's budget, and five times the "
                  "budget does not either (best: " + number(std::min(final_val(fixes), final_val(long_four))) +
                  "). What the diagnostics show instead: " +
                  (distance_end > 0.9 * distance_start
                       ? "training does not move the weights towards W = I (the first layer's "
                         "‖W − I‖/‖I‖ goes from " + number(distance_start) + " to " +
                         number(distance_end) + "), it settles on other, imperfect fits and "
                         "improves them slowly; and output "
                       : "the weights approach W = I only slowly (the first layer's ‖W − I‖/‖I‖ "
                         "goes from " + number(distance_start) + " to " + number(distance_end) +
                         "); and output ") +
                  "units that die on the way take their pixels with them (" +
                  percent(four.history.back().dead_output_loss_share) + " of the 4-layer loss, " +
                  percent(one.history.back().dead_output_loss_share) +
                  " of the 1-layer loss). The difficulty is the optimization from a random "
                  "start, not the representation.\n\n") +
        "As for \"why so slow\": an epoch " +
        (options.quick ? "of this quick mode's 5,000 images" : "of 60,000 images") + " takes " +
        number(four.history.back().seconds) + " s here on " +
        std::to_string(environment_json()["threads"].get<int>()) + " threads (" +
        number(four.history.back().samples_per_s) +
        " samples/s), against 50 s for 60,000 images in the original Keras run.\n\n";
  md += conditioning_section(conditioning, gd, one);
  md += "## Figures\n\n";
  md += "![validation loss of every run](figures/identity-study-val-loss.svg)\n\n";
  md += "![training and validation loss of the original recipe](figures/identity-study-original.svg)\n\n";
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

}  // namespace

int run_study(const StudyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path out = options.out.empty() ? (options.quick ? "runs/study-quick" : "docs") : options.out;
  const Mnist data = load_mnist(options.data);
  std::printf("study: conditioning of the training images (spectrum, least-squares floor)\n");
  std::fflush(stdout);
  const Conditioning conditioning = measure_conditioning(data);
  const GradientDescentCheck gd = run_gradient_descent_check(options, data, conditioning);
  std::vector<Outcome> outcomes;
  for (const Experiment& e : experiments(options)) outcomes.push_back(run(e, data));
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<PlotSeries> val_series;
  for (const auto& o : outcomes) {
    PlotSeries s{o.experiment.name, {}, false};
    for (const auto& r : o.history) s.values.push_back(r.val_loss);
    val_series.push_back(s);
  }
  const Outcome& four = find(outcomes, "4 layers (Keras recipe)");
  const Outcome& one = find(outcomes, "1 layer");
  std::vector<PlotSeries> original;
  for (const Outcome* o : {&four, &one}) {
    PlotSeries train{o->experiment.name + ": loss", {}, false}, val{o->experiment.name + ": val_loss", {}, true};
    for (const auto& r : o->history) {
      train.values.push_back(r.loss);
      val.values.push_back(r.val_loss);
    }
    original.push_back(train);
    original.push_back(val);
  }
  write_file_atomically(out / "figures" / "identity-study-val-loss.svg",
                        loss_plot_svg("val_loss per epoch, every run", "val_loss (MSE, raw pixels)", val_series));
  write_file_atomically(out / "figures" / "identity-study-original.svg",
                        loss_plot_svg("the original recipe, 4 and 1 layers", "MSE, raw pixels", original));
  const Matrix<float> raw_test = images_to_matrix(data.test, 1.0f);
  const double all_zero_loss = double(sum_squares<float>(raw_test)) / double(raw_test.size());
  write_file_atomically(out / "identity-study-epochs.csv", epochs_csv(outcomes));
  write_file_atomically(out / "figures" / "identity-study-spectrum.svg",
                        loss_plot_svg("eigenvalues of M = [X 1]ᵀ[X 1] / N, raw pixels", "eigenvalue",
                                      {{"eigenvalues, largest first (zeros not drawn)",
                                        conditioning.spectrum.eigenvalues, false}},
                                      "index"));
  write_file_atomically(out / "figures" / "identity-study-gradient-descent.svg",
                        loss_plot_svg("full-batch gradient descent, 1 linear layer, lr = half the stable limit",
                                      "training loss (MSE, raw pixels)",
                                      {{"predicted from the spectrum", gd.predicted, true},
                                       {"measured", gd.measured, false}},
                                      "step + 1"));
  write_file_atomically(out / "identity-study.md",
                        report(options, outcomes, total, all_zero_loss, conditioning, gd));
  std::printf("Wrote %s/identity-study.md and %s/figures/identity-study-*.svg (%.0f s)\n",
              out.c_str(), out.c_str(), total);
  return 0;
}

}  // namespace simdgrad::identity
