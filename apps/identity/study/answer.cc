#include "apps/identity/study/answer.h"

#include <cmath>

#include "apps/identity/study/format.h"
#include "apps/identity/study/recipes.h"

namespace simdgrad::identity {
namespace {

struct Ranked {
  const Recipe* recipe = nullptr;
  double worst = INFINITY;  // the worse seed's final val_loss
};

// The recipe whose worse seed ends lowest, for `layers`.
Ranked best_recipe(const std::vector<Outcome>& all, int layers, int seeds) {
  Ranked best;
  for (const Recipe& r : recipes()) {
    if (r.one_layer_only && layers != 1) continue;
    double worst = 0;
    for (int s = 0; s < seeds; ++s) {
      const double v = final_val(recipe_outcome(all, r, layers, s));
      worst = std::max(worst, std::isfinite(v) ? v : INFINITY);
    }
    if (worst < best.worst) best = {&r, worst};
  }
  return best;
}

const LayerDiagnostics& output_layer(const Outcome& o) { return o.history.back().layers.back(); }

// Items 3 and 4: dead output units, and the optimizer's noise floor and speed limit.
std::string dead_units_and_floor(const std::vector<Outcome>& all) {
  const Outcome& one = find(all, run_ids::kKeras1);
  const Outcome& centered1 = find(all, recipe_run_id("centered", 1, 0));
  const Outcome& active1 = find(all, recipe_run_id("active", 1, 0));
  const Outcome& cosine1 = find(all, recipe_run_id("centered-cosine", 1, 0));
  std::string md;
  md +=
      "3. **Count dead output units in the first hundred steps**, not only at the end (dead-unit "
      "section). The original 1-layer run ends with " +
      std::to_string(output_layer(one).dead_units) + " dead output units (" +
      std::to_string(output_layer(one).dead_zero_pixel) +
      " on pixels "
      "that are always 0), " +
      std::to_string(revived_units(one)) +
      " revived over the run, and "
      "their pixels carry " +
      percent(one.history.back().dead_output_loss_share) +
      " of its "
      "val_loss. The mechanism: every input is ≥ 0, so a sign-like step of RMSprop moves a unit's "
      "pre-activation the same way on every image at once. Two fixes keep the ReLU: **center "
      "the inputs** (`--precondition center --scale unit`): " +
      std::to_string(output_layer(centered1).dead_units) + " dead, val_loss " +
      number(final_val(centered1)) +
      "; **start the output units active** (`--bias-init active`): " +
      std::to_string(output_layer(active1).dead_units) + " dead, val_loss " +
      number(final_val(active1)) + " (original " + number(final_val(one)) + ").\n";
  md +=
      "4. **Compare the last step with the learning rate** (per-weight scaling section): at a "
      "constant rate RMSprop and Adam still move every weight by about lr when the gradient has "
      "nearly vanished — a noise floor — and a weight can travel at most about lr per step, so "
      "the units of the data decide what is reachable. **Decay the rate to 0** "
      "(`--schedule cosine`) and keep the targets' scale within reach (pixels / 255): the "
      "centered 1-layer network goes from " +
      number(final_val(centered1)) + " to " + number(final_val(cosine1)) + ".\n";
  return md;
}

std::string with_flags(const Recipe& r) {
  return r.flags.empty() ? std::string() : " (`" + r.flags + "`)";
}

// Items 5 and 6: the best recipes, for 1 and for 4 layers.
std::string best_recipes(const std::vector<Outcome>& all, const Conditioning& c, int seeds) {
  const Outcome& four = find(all, run_ids::kKeras4);
  const Ranked best1 = best_recipe(all, 1, seeds), best4 = best_recipe(all, 4, seeds);
  std::string md;
  md += "5. **The best recipe** for 1 layer is " + best1.recipe->name + with_flags(*best1.recipe) +
        ": val_loss ≤ " + number(best1.worst) + " on every seed" +
        (best1.worst < 1 ? ", under one grey level RMS (the target), and " +
                               number(best1.worst / c.floor.val_loss) +
                               "× the least-squares floor (" + number(c.floor.val_loss) + ").\n"
                         : ": the target of one grey level RMS (val_loss < 1) is not reached.\n");
  md += "6. **Four layers** get from " + number(final_val(four)) + " to " + number(best4.worst) +
        " with " + best4.recipe->name + with_flags(*best4.recipe) +
        (best4.worst < 10 ? ", under the target of 10. " : ", not under the target of 10. ") +
        "What stops them is measured by the hidden layers' readouts (\"What stops four "
        "layers\"): a ReLU layer starting in a random frame zeroes a large share of every "
        "image's coordinates, a layer that has dropped part of the image cannot pass it on, and "
        "centering the pixels cannot reach the hidden layers, whose outputs are all ≥ 0 again. "
        "The identity through four ReLU layers needs every hidden unit that carries a pixel to be "
        "active whenever that pixel is lit, which a random start does not give and these budgets "
        "do not find.\n";
  return md;
}

}  // namespace

std::string answer_section(const std::vector<Outcome>& all, const Conditioning& c, int seeds) {
  std::string md = "## The answer: what to look at, and in what order\n\n";
  md +=
      "*\"With the knowledge that this is a local minimum can I learn anything from this to guide "
      "me out rather than playing with hyperparameters until I find something better?\"* Yes. "
      "It is not a local minimum of the function but a stall of the optimizer, and each cause "
      "can be read off a measurement before changing anything:\n\n";
  md +=
      "1. **Is there a solution?** Start the network on it (part one, row 2): W = I, b = 0 is "
      "exact for images, whose pixels are never negative, and training stays there. What is "
      "left is optimization from a random start, not capacity and not ReLU.\n";
  md += "2. **Look at the spectrum of the inputs** (conditioning section): condition number " +
        number(c.spectrum.condition_number) + ", effective rank " +
        number(c.spectrum.effective_rank) +
        " of 785 — the mean image dominates. Plain gradient descent cannot cope (about " +
        number(c.spectrum.condition_number / 2) +
        " steps per e-fold along the flattest "
        "direction); RMSprop's per-weight step can, which is why Keras' defaults get anywhere. "
        "Its price is the next two items.\n";
  md += dead_units_and_floor(all) + best_recipes(all, c, seeds);
  md +=
      "\nWhat did not help, measured: scaling the pixels alone (row 3), other optimizers or rates "
      "at a constant schedule (row 4), five times the epochs (row 6), warming the rate up, and "
      "whitening the inputs for RMSprop (recipes table): none of them touches the mechanisms "
      "above, and whitening gives all 712 directions the same weight in RMSprop's per-weight "
      "noise.\n\n";
  return md;
}

}  // namespace simdgrad::identity
