// The identity study's conditioning section: full-batch gradient descent on the 1-layer linear
// model, predicted from the spectrum and measured, and the report text and figures that put the
// spectrum, the floor and that check side by side.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/identity/analysis/conditioning.h"
#include "apps/identity/data/mnist.h"
#include "apps/identity/study/study.h"

namespace simdgrad::identity {

// Full-batch gradient descent on the 1-layer linear model at half its stable learning rate,
// measured (one exact gradient step per epoch on the whole training set) and predicted from
// the spectrum before the first step.
struct GradientDescentCheck {
  double lr = 0;
  size_t images = 0;                        // the batch: the whole training set
  std::vector<double> predicted, measured;  // training loss before each step
  double seconds = 0;
};

GradientDescentCheck run_gradient_descent_check(const StudyOptions& o, const Mnist& data,
                                                const Conditioning& c);

// The "Conditioning and the floor" section of identity-study.md. one_layer_val_loss: where the
// original 1-layer run ended, to set against the floor.
std::string conditioning_section(const Conditioning& c, const GradientDescentCheck& gd,
                                 double one_layer_val_loss);

// figures/identity-study-spectrum.svg and figures/identity-study-gradient-descent.svg in `out`.
void write_conditioning_figures(const std::filesystem::path& out, const Conditioning& c,
                                const GradientDescentCheck& gd);

}  // namespace simdgrad::identity
