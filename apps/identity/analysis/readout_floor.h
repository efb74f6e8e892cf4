// How much of the image each hidden layer still holds: the losses of the best affine map from
// the layer's outputs back to the pixels (least squares on the training images, scored on both
// sets). On the training images that is exactly the best a linear layer on top can do, and no
// stack of layers above can recover what the layer has dropped; where it jumps is where a deep
// network lost the information the identity needs.
#pragma once

#include <vector>

#include "apps/identity/data/mnist.h"
#include "apps/identity/training/trainer.h"

namespace simdgrad::identity {

struct ReadoutFloors {
  std::vector<double> train_loss;     // per hidden layer (all but the output), raw-pixel MSE
  std::vector<double> val_loss;       // per hidden layer, raw-pixel MSE on the test images
  std::vector<double> zero_fraction;  // per hidden layer: outputs exactly 0 on the test images
};

// Normal equations through the library's GEMM in double, solved on the non-null eigenspace
// with LAPACK (symmetric_eigen). Leaves the trainer's weights untouched.
ReadoutFloors measure_readout_floors(Trainer& trainer, const Mnist& data);

}  // namespace simdgrad::identity
