#include "apps/identity/study/conditioning.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "apps/identity/files/atomic_file.h"
#include "apps/identity/files/loss_plot_svg.h"
#include "apps/identity/study/format.h"
#include "apps/identity/training/trainer.h"

namespace simdgrad::identity {

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
  out.predicted = predicted_gradient_descent(
      c, layer.weight().value.view(), layer.parameters()[1]->value.view(), out.lr, config.epochs);
  while (trainer.epoch() < config.epochs) out.measured.push_back(trainer.train_epoch().loss);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(" loss %10.4f (predicted %.4f)  %.0fs\n", out.measured.back(), out.predicted.back(),
              out.seconds);
  return out;
}

namespace {

std::string measures_table(const Conditioning& c) {
  const Spectrum& s = c.spectrum;
  const LinearFloor& f = c.floor;
  std::string md;
  md += "| measure | value |\n|---|---|\n";
  md += "| eigenvalues of M | " + std::to_string(s.eigenvalues.size()) + " |\n";
  md += "| largest eigenvalue | " + number(s.largest) + " |\n";
  md += "| smallest nonzero eigenvalue | " + number(s.smallest_nonzero) + " |\n";
  md += "| condition number on the non-null part | " + number(s.condition_number) + " |\n";
  md += "| effective rank, (Σλ)² / Σλ² | " + number(s.effective_rank) + " |\n";
  md += "| null dimension (eigenvalues ≤ " + number(s.null_tolerance) + ") | " +
        std::to_string(s.null_dimension) + " |\n";
  md += "| pixels 0 in every training image | " + std::to_string(s.always_zero_pixels) + " |\n";
  md +=
      "| largest stable learning rate of full-batch gradient descent, 2 / λmax(H) = 784 / λmax(M) "
      "| " +
      number(784.0 / s.largest) + " |\n";
  md += "| least-squares 1-layer linear model: train loss | " + number(f.train_loss) + " |\n";
  md += "| least-squares 1-layer linear model: val_loss | " + number(f.val_loss) + " |\n";
  md += "| pixels 0 in every training image but lit in some test image | " +
        std::to_string(f.unseen_pixels) + " |\n";
  md += "| their share of that val_loss | " + percent(f.unseen_pixel_share) + " |\n\n";
  return md;
}

std::string floor_finding(const LinearFloor& f, double one_layer_val_loss) {
  std::string md;
  md +=
      "**The floor.** The least-squares solution of the 1-layer linear model (the projection "
      "onto the span of the training images, where gradient training from W = 0 converges) "
      "reproduces the training images " +
      std::string(f.train_loss < 1e-6 ? "exactly" : "to a loss of " + number(f.train_loss)) +
      " and scores val_loss " + number(f.val_loss) + " on the test set. " +
      (f.unseen_pixels > 0
           ? std::to_string(f.unseen_pixels) +
                 " pixels are 0 in every training image but lit "
                 "in some test image: no gradient ever reaches their weights, the model outputs 0 "
                 "there, and they carry " +
                 percent(f.unseen_pixel_share) + " of the floor's val_loss. "
           : "") +
      "The trained 1-layer network (ReLU output, RMSprop) ends at " + number(one_layer_val_loss) +
      ", " + number(one_layer_val_loss / std::max(f.val_loss, 1e-300)) +
      " times the floor: its gap is optimization, not capacity.\n\n";
  return md;
}

std::string conditioning_finding(const Spectrum& s) {
  std::string md;
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
        "Full-batch gradient descent is stable only below lr = " + number(784.0 / s.largest) +
        ", and at that rate the error along the flattest direction "
        "shrinks by a factor 1 − 2·λmin/λmax per step: about " +
        number(s.condition_number / 2) + " steps per e-fold.\n\n";
  md +=
      "![eigenvalues of the training images' second-moment "
      "matrix](figures/identity-study-spectrum.svg)\n\n";
  return md;
}

std::string predicted_against_measured(const GradientDescentCheck& gd) {
  std::string md;
  double worst = 0;  // largest relative gap between prediction and measurement
  for (size_t t = 0; t < gd.measured.size(); ++t) {
    worst = std::max(worst, std::abs(gd.measured[t] - gd.predicted[t]) / gd.predicted[t]);
  }
  md +=
      "**Predicted against measured.** Full-batch gradient descent on the 1-layer linear "
      "model (SGD with one batch of all " +
      std::to_string(gd.images) +
      " training images, so one exact gradient step per epoch) at half the stable rate, lr = " +
      number(gd.lr) +
      ", from the Glorot initialization. The loss before each step was "
      "predicted from the spectrum and the initial error before training (L_t = L* + (1/784) "
      "Σᵢ λᵢ (1 − 2·lr·λᵢ/784)^(2t) ‖cᵢ‖², `predicted_gradient_descent`), then measured: "
      "the largest gap over " +
      std::to_string(gd.measured.size()) + " steps is " + number(worst) +
      " of the prediction, relatively (" + number(gd.seconds) + " s).\n\n";
  md += "| step | predicted train loss | measured train loss |\n|---|---|---|\n";
  for (size_t t = 0; t < gd.measured.size(); ++t) {
    if (t < 3 || (t + 1) % 10 == 0 || t + 1 == gd.measured.size()) {
      md += "| " + std::to_string(t) + " | " + number(gd.predicted[t]) + " | " +
            number(gd.measured[t]) + " |\n";
    }
  }
  return md;
}

std::string slow_directions(const Conditioning& c, const GradientDescentCheck& gd) {
  std::string md;
  // How slowly the rest of the spectrum converges at this rate.
  std::vector<double> lit;
  for (double l : c.spectrum.eigenvalues) {
    if (l > c.spectrum.null_tolerance) lit.push_back(l);
  }
  size_t slow = 0;  // directions whose error shrinks by less than 0.1% per step
  for (double l : lit) slow += 2 * gd.lr * l / 784 < 1e-3;
  const double median = lit[lit.size() / 2];
  md +=
      "\nThe first steps remove the error along the few large directions (the mean image and "
      "its neighbours). Along each other direction the error shrinks by a factor "
      "1 − 2·lr·λᵢ/784 per step, and for " +
      std::to_string(slow) + " of the " + std::to_string(lit.size()) +
      " nonzero directions that factor is within 10⁻³ of 1: "
      "along the median direction (λ = " +
      number(median) + ") one e-fold takes " + number(784 / (2 * gd.lr * median)) +
      " steps. After " + std::to_string(gd.measured.size()) + " steps the training loss is " +
      number(gd.measured.back()) +
      ", where the least-squares "
      "solution has " +
      number(c.floor.train_loss) +
      ". A rate stable for the largest eigenvalue "
      "is far too small for the rest: plain gradient descent cannot reach the floor in any "
      "affordable number of steps. That is the first half of \"why so slow\", and it holds "
      "before any ReLU or depth enters.\n\n";
  md +=
      "![full-batch gradient descent, predicted and "
      "measured](figures/identity-study-gradient-descent.svg)\n\n";
  return md;
}

}  // namespace

std::string conditioning_section(const Conditioning& c, const GradientDescentCheck& gd,
                                 double one_layer_val_loss) {
  std::string md = "## Conditioning and the floor\n\n";
  md +=
      "For a 1-layer model with a linear output, y = x Wᵀ + b, the MSE is a quadratic in each "
      "output pixel's weights and bias, with Hessian H = (2/784) M, M = [X 1]ᵀ[X 1] / N: the "
      "second-moment matrix of the training images (raw pixels) with a constant column for "
      "the bias. Measured on the " +
      std::to_string(c.spectrum.eigenvalues.size() - 1) +
      " pixels of the whole training set (`apps/identity/analysis/conditioning.cc`: the library's "
      "GEMM "
      "in double, then LAPACK's `dsyevd`):\n\n";
  return md + measures_table(c) + floor_finding(c.floor, one_layer_val_loss) +
         conditioning_finding(c.spectrum) + predicted_against_measured(gd) + slow_directions(c, gd);
}

void write_conditioning_figures(const std::filesystem::path& out, const Conditioning& c,
                                const GradientDescentCheck& gd) {
  write_file_atomically(
      out / "figures" / "identity-study-spectrum.svg",
      loss_plot_svg(
          "eigenvalues of M = [X 1]ᵀ[X 1] / N, raw pixels", "eigenvalue",
          {{"eigenvalues, largest first (zeros not drawn)", c.spectrum.eigenvalues, false, {}}},
          "index"));
  write_file_atomically(
      out / "figures" / "identity-study-gradient-descent.svg",
      loss_plot_svg("full-batch gradient descent, 1 linear layer, lr = half the stable limit",
                    "training loss (MSE, raw pixels)",
                    {{"predicted from the spectrum", gd.predicted, true, {}},
                     {"measured", gd.measured, false, {}}},
                    "step + 1"));
}

}  // namespace simdgrad::identity
