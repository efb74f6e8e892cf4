// The training loop on real MNIST: it learns, the exact solution stays exact, a resumed run
// is bitwise the run that never stopped, and the same seed gives the same run for any
// thread count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

#include <cstring>

#include "apps/identity/files/checkpoint.h"
#include "apps/identity/training/trainer.h"
#include "simdgrad/threading.h"
#include "tests/apps/identity/real_mnist.h"
#include "tests/support/idx_files.h"

namespace simdgrad::testing {

using identity::TrainConfig;
using identity::Trainer;

namespace {
TrainConfig small_config() {
  TrainConfig c;
  c.limit = 2000;
  c.epochs = 2;
  c.data = kMnistFolder.string();
  return c;
}

bool same_weights(Trainer& a, Trainer& b) {
  const auto pa = a.model().parameters(), pb = b.model().parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    if (std::memcmp(pa[i]->value.data(), pb[i]->value.data(),
                    pa[i]->value.size() * sizeof(float)) != 0) {
      return false;
    }
  }
  return true;
}
}  // namespace

TEST_CASE("one epoch on 2,000 images lowers the validation loss", "[app]") {
  const auto& mnist = real_mnist();
  Trainer trainer(small_config(), mnist);
  const double before = trainer.evaluate(mnist.test).loss;
  const auto& epoch = trainer.train_epoch();
  INFO("val_loss " << before << " -> " << epoch.val_loss);
  REQUIRE(epoch.val_loss < 0.5 * before);
  REQUIRE(epoch.loss > 0);
  REQUIRE(epoch.layers.size() == 4);
}

TEST_CASE("identity init is an exact solution and training keeps it exact", "[app]") {
  auto config = small_config();
  config.init = autograd::Initializer::kIdentity;
  Trainer trainer(config, real_mnist());
  const auto& epoch = trainer.train_epoch();
  REQUIRE(epoch.loss == 0.0);
  REQUIRE(epoch.val_loss == 0.0);
  REQUIRE(epoch.mape == 0.0);
  for (const auto& layer : epoch.layers) {
    REQUIRE(layer.distance_from_identity == 0.0);
    REQUIRE(layer.grad_norm == 0.0);
    // Only units on pixels that are 0 in every test image are never active.
    REQUIRE(layer.dead_units == layer.dead_zero_pixel);
    REQUIRE(layer.dead_units == 116);
  }
}

// The original recipe, and one with the input whitened and a warmed-up cosine schedule: the
// fitted transform and the schedule's position must survive a checkpoint too.
TrainConfig recipe(bool preconditioned) {
  TrainConfig c = small_config();
  if (preconditioned) {
    c.precondition = identity::Precondition::kWhiten;
    c.scale = identity::PixelScale::kUnit;
    c.schedule = autograd::ScheduleShape::kCosine;
    c.warmup_epochs = 0.5;
  }
  return c;
}

TEST_CASE("two epochs equal one epoch, a checkpoint, and a resumed epoch, bitwise", "[app]") {
  const bool preconditioned = GENERATE(false, true);
  INFO("preconditioned recipe: " << preconditioned);
  auto small_config = [&] { return recipe(preconditioned); };
  const auto& mnist = real_mnist();
  Trainer straight(small_config(), mnist);
  straight.train_epoch();
  straight.train_epoch();

  const auto file = fresh_folder("resume") / "model.safetensors";
  {
    Trainer first(small_config(), mnist);
    first.train_epoch();
    first.save(file);
  }
  auto config = small_config();
  config.seed = 999;  // everything that matters must come from the checkpoint
  Trainer resumed(config, mnist);
  resumed.restore(identity::load_checkpoint(file), file);
  REQUIRE(resumed.epoch() == 1);
  resumed.train_epoch();
  REQUIRE(same_weights(straight, resumed));
  REQUIRE(resumed.history().size() == 2);
  REQUIRE(resumed.history()[1].loss == straight.history()[1].loss);
  REQUIRE(resumed.history()[1].val_loss == straight.history()[1].val_loss);
}

TEST_CASE("the same seed gives the same figures to the last bit for 1, 2 and 8 threads", "[app]") {
  const bool preconditioned = GENERATE(false, true);
  INFO("preconditioned recipe: " << preconditioned);
  const int saved = num_threads();
  auto config = recipe(preconditioned);
  config.epochs = 1;
  config.limit = 1000;
  std::vector<double> losses;
  for (int threads : {1, 2, 8}) {
    set_num_threads(threads);
    Trainer trainer(config, real_mnist());
    const auto& epoch = trainer.train_epoch();
    losses.push_back(epoch.val_loss);
    losses.push_back(epoch.loss);
  }
  set_num_threads(saved);
  REQUIRE(losses[0] == losses[2]);
  REQUIRE(losses[0] == losses[4]);
  REQUIRE(losses[1] == losses[3]);
  REQUIRE(losses[1] == losses[5]);
}

TEST_CASE("a checkpoint carries the fitted input transform; restoring it replaces the refitted one",
          "[app]") {
  const auto& mnist = real_mnist();
  auto config = recipe(true);
  config.limit = 1000;
  const auto file = fresh_folder("transform") / "model.safetensors";
  Trainer fitted(config, mnist);
  fitted.save(file);
  config.limit = 500;  // another training subset: another transform, unless restored
  Trainer other(config, mnist);
  const auto& a = fitted.input_transform();
  auto same = [](const Matrix<float>& x, const Matrix<float>& y) {
    return std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
  };
  REQUIRE_FALSE(same(a.matrix, other.input_transform().matrix));
  other.restore(identity::load_checkpoint(file), file);
  REQUIRE(same(a.matrix, other.input_transform().matrix));
  REQUIRE(same(a.offset, other.input_transform().offset));
  // A checkpoint of an unpreconditioned run lacks the tensors a whitened run needs.
  const auto plain = fresh_folder("transform-plain") / "model.safetensors";
  Trainer(small_config(), mnist).save(plain);
  REQUIRE_THROWS_WITH(other.restore(identity::load_checkpoint(plain), plain),
                      Catch::Contains("input.matrix"));
}

TEST_CASE("a damaged checkpoint is refused with the file and the fault named", "[app]") {
  const auto folder = fresh_folder("bad-checkpoint");
  write_raw(folder / "short.safetensors", "abc");
  REQUIRE_THROWS_WITH(identity::load_checkpoint(folder / "short.safetensors"),
                      (folder / "short.safetensors").string() +
                          ": not a valid checkpoint: shorter than the 8-byte header length");
  write_raw(folder / "long.safetensors", std::string("\xff\0\0\0\0\0\0\0{}", 10));
  REQUIRE_THROWS_WITH(
      identity::load_checkpoint(folder / "long.safetensors"),
      (folder / "long.safetensors").string() +
          ": not a valid checkpoint: header length 255 runs past the end of the file");
}

namespace {

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("a checkpoint whose data or header changed after writing is refused", "[app]") {
  const auto folder = fresh_folder("checksummed-checkpoint");
  Matrix<float> weight(3, 5), state(2, 4);
  for (size_t i = 0; i < weight.size(); ++i) weight.data()[i] = 0.25f * float(i);
  for (size_t i = 0; i < state.size(); ++i) state.data()[i] = -1.5f * float(i);
  const auto good = folder / "good.safetensors";
  identity::save_checkpoint(good, {{"w", weight.view()}, {"w.rms", state.view()}},
                            {{"epoch", "7"}});
  const identity::Checkpoint loaded = identity::load_checkpoint(good);
  REQUIRE(loaded.metadata.at("epoch") == "7");
  REQUIRE(loaded.tensors.at("w")(2, 4) == weight(2, 4));

  const std::string bytes = read_bytes(good);
  const std::string mismatch =
      ": not a valid checkpoint: checksum mismatch (the file was truncated, torn or edited)";
  auto require_refused = [&](const std::string& name, const std::string& damaged,
                             const std::string& why) {
    INFO(name);
    write_raw(folder / name, damaged);
    REQUIRE_THROWS_WITH(identity::load_checkpoint(folder / name), (folder / name).string() + why);
  };
  std::string flipped = bytes;
  flipped[bytes.size() - 3] ^= 0x01;  // one bit of the last tensor's last float
  require_refused("flipped.safetensors", flipped, mismatch);
  require_refused("truncated.safetensors", bytes.substr(0, bytes.size() - 4), mismatch);
  std::string torn = bytes;  // the second half of the data never reached the disk
  std::fill(torn.begin() + long(bytes.size() - 20), torn.end(), '\0');
  require_refused("torn.safetensors", torn, mismatch);
  std::string edited = bytes;  // the same length, so the header still parses
  const size_t epoch = edited.find("\"epoch\":\"7\"");
  REQUIRE(epoch != std::string::npos);
  edited[epoch + 9] = '8';
  require_refused("edited.safetensors", edited, mismatch);
  std::string unsigned_copy = bytes;  // the checksum key renamed: no checksum at all
  const size_t key = unsigned_copy.find("\"checksum\"");
  REQUIRE(key != std::string::npos);
  unsigned_copy[key + 1] = 'C';
  require_refused("unsigned.safetensors", unsigned_copy,
                  ": not a valid checkpoint: it has no checksum");
}

TEST_CASE("check_numerics names the first non-finite activation or gradient, layer and step",
          "[app]") {
  auto config = small_config();
  config.layers = 2;
  config.batch = 100;
  {
    // A NaN bias in the (linear) output layer: its activations are the first tensor to go
    // non-finite. (A ReLU would hide it: the kernels' max(NaN, 0) is 0.)
    auto linear = config;
    linear.output_activation = Activation::kNone;
    Trainer trainer(linear, real_mnist());
    trainer.set_check_numerics(true);
    trainer.shuffle();
    trainer.train_step(0, 100);
    trainer.model().layer(1).parameters()[1]->value(0, 5) = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(trainer.train_step(100, 100),
                        "the activations of dense_1 (layer 2 of 2) became nan (row 0, column 5) in "
                        "epoch 1, step 2");
  }
  {
    // Hidden activations of ~1e18 and an output near 0: every tensor of the forward pass and
    // the loss stay finite, but the output layer's weight gradient (~1e17 per element) is too
    // large to square in float. Without the check the step would go through.
    Trainer trainer(config, real_mnist());
    trainer.set_check_numerics(true);
    trainer.shuffle();
    auto& first = trainer.model().layer(0).weight().value;
    for (size_t i = 0; i < first.size(); ++i) first.data()[i] = 2.6e13f;
    auto& second = trainer.model().layer(1).weight().value;
    for (size_t i = 0; i < second.size(); ++i) second.data()[i] = 1e-30f;
    REQUIRE_THROWS_WITH(trainer.train_step(0, 100),
                        Catch::Matchers::StartsWith(
                            "the gradient of the weights of dense_1 (layer 2 of 2) is not finite "
                            "or too large to square (sum of squares inf) in epoch 1, step 1"));
  }
  {
    Trainer unchecked(config, real_mnist());
    unchecked.shuffle();
    auto& first = unchecked.model().layer(0).weight().value;
    for (size_t i = 0; i < first.size(); ++i) first.data()[i] = 2.6e13f;
    auto& second = unchecked.model().layer(1).weight().value;
    for (size_t i = 0; i < second.size(); ++i) second.data()[i] = 1e-30f;
    REQUIRE(std::isfinite(unchecked.train_step(0, 100).loss));
  }
}

TEST_CASE("the fuzzers' seed checkpoint parses, and every past finding ends in a clean error",
          "[app]") {
  const std::filesystem::path fuzz = SIMDGRAD_SOURCE_DIR "/tests/fuzz";
  // A fuzzer input is a mode byte (1: verify the checksum) followed by the checkpoint.
  const std::string seed = read_bytes(fuzz / "corpus/checkpoint/verified");
  const identity::Checkpoint checkpoint =
      identity::parse_checkpoint(std::string_view(seed).substr(1), "seed");
  REQUIRE(checkpoint.tensors.at("dense_0.weight")(1, 2) == -0.25f);
  REQUIRE(checkpoint.metadata.at("step") == "10");
  size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fuzz / "regressions/checkpoint")) {
    INFO(entry.path());
    const std::string input = read_bytes(entry.path());
    REQUIRE_THROWS_AS(
        identity::parse_checkpoint(std::string_view(input).substr(1), "finding", input[0] & 1),
        std::runtime_error);
    ++replayed;
  }
  REQUIRE(replayed > 0);
}

}  // namespace simdgrad::testing
