#include "apps/identity/training/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <numeric>

#include "apps/identity/training/interrupt.h"
#include "apps/identity/training/model.h"
#include "simdgrad/autograd/ops.h"
#include "simdgrad/elementwise.h"
#include "simdgrad/gemm.h"
#include "simdgrad/index_range.h"
#include "simdgrad/reductions.h"

namespace simdgrad::identity {
namespace {

using Clock = std::chrono::steady_clock;
// Validation batches as Keras' fit() makes them (validation_batch_size defaults to the training
// batch, 128 in the seed experiment); small batches also keep the tape's arena small.
constexpr size_t kEvaluationBatch = 128;
// The shuffling stream is the seed's, kept apart from the initializers' stream.
constexpr uint64_t kShuffleStream = 0x5851f42d4c957f2dULL;
// Images that BiasInit::kActive keeps every unit active on; the margin above the lowest
// pre-activation, as a fraction of its range over those images.
constexpr size_t kActivationImages = 1000;
constexpr float kActivationMargin = 0.01f;

std::string join_state(const autograd::Random::State& s) {
  return std::to_string(s[0]) + "," + std::to_string(s[1]) + "," + std::to_string(s[2]) + "," +
         std::to_string(s[3]);
}

autograd::Random::State parse_state(const std::string& text, const std::filesystem::path& file) {
  autograd::Random::State s{};
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    size_t used = 0;
    try {
      s[i] = std::stoull(text.substr(pos), &used);
    } catch (const std::exception&) {
      throw std::runtime_error(file.string() + ": checkpoint has a malformed RNG state");
    }
    pos += used + 1;
  }
  return s;
}

const std::string& metadata(const Checkpoint& c, const std::string& key,
                            const std::filesystem::path& file) {
  const auto it = c.metadata.find(key);
  if (it == c.metadata.end()) {
    throw std::runtime_error(file.string() + ": checkpoint metadata has no '" + key + "'");
  }
  return it->second;
}

}  // namespace

TrainConfig config_from_checkpoint(const Checkpoint& checkpoint,
                                   const std::filesystem::path& file) {
  try {
    return config_from_json(nlohmann::json::parse(metadata(checkpoint, "config", file)));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": checkpoint configuration is not JSON: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
}

nlohmann::json to_json(const EpochRecord& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : r.layers) {
    layers.push_back({{"relu", l.relu},
                      {"units", l.units},
                      {"dead_units", l.dead_units},
                      {"dead_zero_pixel", l.dead_zero_pixel},
                      {"revived_units", l.revived_units},
                      {"dead_excess_fraction", l.dead_excess_fraction},
                      {"grad_norm", l.grad_norm},
                      {"distance_from_identity", l.distance_from_identity}});
  }
  return {{"epoch", r.epoch},
          {"loss", r.loss},
          {"mape", r.mape},
          {"val_loss", r.val_loss},
          {"val_mape", r.val_mape},
          {"seconds", r.seconds},
          {"samples_per_s", r.samples_per_s},
          {"zero_output_fraction", r.zero_output_fraction},
          {"dead_output_loss_share", r.dead_output_loss_share},
          {"layers", layers}};
}

EpochRecord epoch_record_from_json(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch");
  r.loss = j.at("loss");
  r.mape = j.at("mape");
  r.val_loss = j.at("val_loss");
  r.val_mape = j.at("val_mape");
  r.seconds = j.at("seconds");
  r.samples_per_s = j.at("samples_per_s");
  r.zero_output_fraction = j.at("zero_output_fraction");
  r.dead_output_loss_share = j.at("dead_output_loss_share");
  for (const auto& l : j.at("layers")) {
    LayerDiagnostics d;
    d.relu = l.at("relu");
    d.units = l.at("units");
    d.dead_units = l.at("dead_units");
    d.dead_zero_pixel = l.at("dead_zero_pixel");
    d.revived_units = l.value("revived_units", 0);  // absent in older checkpoints
    d.dead_excess_fraction = l.at("dead_excess_fraction");
    d.grad_norm = l.at("grad_norm");
    d.distance_from_identity = l.at("distance_from_identity");
    r.layers.push_back(d);
  }
  return r;
}

Trainer::Trainer(const TrainConfig& config, const Mnist& data,
                 const distributed::Communicator& processes,
                 distributed::DataParallelOptions parallel)
    : config_(config),
      data_(data),
      processes_(processes),
      train_rows_(config.limit > 0 ? std::min<size_t>(size_t(config.limit), data.train.count)
                                   : data.train.count),
      pixel_factor_(pixel_factor(config.scale)),
      rng_(config.seed ^ kShuffleStream),
      input_transform_(
          fit_input_transform(config.precondition, data.train, train_rows_, pixel_factor_)),
      model_([&] {
        autograd::Random init(config.seed);  // the initializers' stream
        return make_model<float>(config, data.train.pixels_per_image(), init);
      }()),
      optimizer_(make_optimizer<float>(config, model_.parameters())),
      step_(processes, *optimizer_, parallel),
      schedule_(learning_rate_schedule(config, div_ceil(train_rows_, size_t(config.batch)))),
      batch_(size_t(config.batch), data.train.pixels_per_image()),
      order_(train_rows_) {
  validate(config);
  if (config.bias_init == BiasInit::kActive) activate_units();
  // Pixels that are 0 in every validation image: the exact solution never activates their
  // units either, so they are counted apart from units that training killed.
  const size_t pixels = data.test.pixels_per_image();
  zero_pixel_.assign(pixels, true);
  for (size_t i = 0; i < data.test.count; ++i) {
    for (size_t j = 0; j < pixels; ++j) {
      if (data.test.pixels[i * pixels + j] != 0) zero_pixel_[j] = false;
    }
  }
}

void Trainer::gather_batch(size_t start, size_t size) {
  gather_images(data_.train, &order_[start], size, pixel_factor_, batch_.view());
}

void Trainer::activate_units() {
  const size_t count = std::min(kActivationImages, train_rows_),
               pixels = data_.train.pixels_per_image();
  Matrix<float> converted(count, pixels);
  convert_images<float>(data_.train, 0, count, pixel_factor_, converted.view());
  Matrix<float> h(count, pixels);
  input_transform_.apply(converted, h);
  for (size_t l = 0; l < model_.size(); ++l) {
    auto& layer = model_.layer(l);
    Matrix<float> pre(count, layer.outputs());
    gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f, h, layer.weight().value, 0.0f, pre.view());
    Matrix<float>& bias = layer.bias().value;
    if (l + 1 == model_.size() && layer.activation() == Activation::kRelu) {
      for (size_t j = 0; j < pre.cols(); ++j) {
        float low = pre(0, j), high = pre(0, j);
        for (size_t i = 1; i < count; ++i)
          low = std::min(low, pre(i, j)), high = std::max(high, pre(i, j));
        bias(0, j) = low > 0 ? 0.0f : -low + kActivationMargin * (high - low);
      }
    }
    Matrix<float> next(count, layer.outputs());
    gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f, h, layer.weight().value, 0.0f, next.view(),
                {bias, layer.activation()});
    h = std::move(next);
  }
}

autograd::Var<float> Trainer::network_input(autograd::Var<float> pixels) {
  if (input_transform_.kind == Precondition::kNone) return pixels;
  MatrixView<float> z = tape_.allocate(pixels.rows(), pixels.cols());
  input_transform_.apply(pixels.value(), z);
  return tape_.constant(z);
}

double Trainer::next_learning_rate() const {
  return schedule_.at(size_t(optimizer_->iterations()));
}

void Trainer::shuffle() {
  // Keras: a fresh permutation of the samples every epoch.
  std::iota(order_.begin(), order_.end(), 0u);
  for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng_.below(i)]);
  grad_square_sums_.assign(model_.size(), 0.0);
  step_in_epoch_ = 0;
}

double Trainer::flops_per_sample() {
  double flops = 0;
  for (size_t l = 0; l < model_.size(); ++l) {
    const double gemm = 2.0 * double(model_.layer(l).inputs()) * double(model_.layer(l).outputs());
    flops += gemm * (l == 0 ? 2 : 3);  // forward, weight gradient, input gradient
  }
  return flops;
}

std::string Trainer::when() const {
  return "epoch " + std::to_string(epoch_ + 1) + ", step " + std::to_string(step_in_epoch_);
}

std::string Trainer::layer_name(size_t layer) {
  const std::string weight = model_.layer(layer).parameters().front()->name;  // "dense_2.weight"
  return weight.substr(0, weight.rfind('.')) + " (layer " + std::to_string(layer + 1) + " of " +
         std::to_string(model_.size()) + ")";
}

void Trainer::require_finite(MatrixView<const float> values, const char* what, size_t layer) {
  // One SIMD pass: a sum is finite whenever every term is (a NaN or an infinity carries
  // through); only then is it worth looking for the element.
  if (std::isfinite(sum<float>(values))) return;
  for (size_t r = 0; r < values.rows(); ++r) {
    for (size_t c = 0; c < values.cols(); ++c) {
      if (!std::isfinite(values(r, c))) {
        throw NumericalFault(std::string(what) + " of " + layer_name(layer) + " became " +
                             std::to_string(values(r, c)) + " (row " + std::to_string(r) +
                             ", column " + std::to_string(c) + ") in " + when());
      }
    }
  }
}

// Adds the time since the last mark to a phase of a step; reads the clock only when the phases
// are asked for (a clock read costs ~20 ns).
class PhaseClock {
 public:
  explicit PhaseClock(StepPhases* phases)
      : phases_(phases), last_(phases ? Clock::now() : Clock::time_point()) {}
  void mark(double StepPhases::*phase) {
    if (!phases_) return;
    const auto now = Clock::now();
    phases_->*phase += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  // The part of the phase just marked that the data-parallel step spent in updates (one
  // process updates each parameter inside the backward pass): the optimizer's.
  void move_updates(double StepPhases::*phase, const distributed::UpdateTimes& update) {
    if (!phases_) return;
    phases_->*phase -= update.optimizer;
    phases_->optimizer += update.optimizer;
  }
  // The times the data-parallel step's update measured.
  void add(const distributed::UpdateTimes& update) {
    if (!phases_) return;
    phases_->sums += update.communication;
    phases_->optimizer += update.optimizer;
    last_ = Clock::now();
  }
  bool on() const { return phases_ != nullptr; }

 private:
  StepPhases* phases_;
  Clock::time_point last_;
};

void Trainer::forward_and_backward(IndexRange rows, float weight, StepResult& result,
                                   PhaseClock& clock) {
  gather_batch(rows.begin, rows.size());
  clock.mark(&StepPhases::gather);
  tape_.reset();
  autograd::Var<float> x = tape_.constant(
      MatrixView<const float>(batch_.view()).block(0, 0, rows.size(), batch_.cols()));
  autograd::Var<float> y = network_input(x);
  for (size_t l = 0; l < model_.size(); ++l) {
    y = model_.layer(l).forward(tape_, y);
    if (check_numerics_) require_finite(y.value(), "the activations", l);
  }
  clock.mark(&StepPhases::forward);
  // The loss and the metric in one pass over the batch.
  const autograd::LossWithMape<float> loss = autograd::mse_loss_with_mape(y, x);
  result.metric = loss.mape;
  result.loss = loss.loss.value()(0, 0);
  if (!std::isfinite(result.loss)) {
    throw NumericalFault("the loss became " + std::to_string(result.loss) + " in " + when());
  }
  clock.mark(&StepPhases::loss);
  distributed::UpdateTimes updates;
  step_.backward(tape_, loss.loss, weight, clock.on() ? &updates : nullptr);
  clock.mark(&StepPhases::backward);
  clock.move_updates(&StepPhases::backward, updates);
}

void Trainer::update(float weight, StepResult& result, PhaseClock& clock) {
  // The batch's figures and whether any process was asked to stop, summed over the processes:
  // every process then stops after the same step.
  const int signal = interrupt_signal();
  double figures[] = {result.loss * weight, result.metric * weight, double(signal == SIGINT),
                      double(signal != 0 && signal != SIGINT)};
  // One pass per parameter: the update, the zeroing, and the squared norms the diagnostics
  // need (parameters come as weight, bias per layer).
  distributed::UpdateTimes times;
  step_.update(figures, &parameter_square_sums_, clock.on() ? &times : nullptr);
  clock.add(times);
  result.loss = figures[0];
  result.metric = figures[1];
  result.stop_signal = figures[2] > 0 ? SIGINT : figures[3] > 0 ? SIGTERM : 0;
}

void Trainer::require_finite_gradients() {
  // A sum of squares is finite exactly when every element is (barring overflow past 3e38,
  // itself a fault).
  for (size_t l = model_.size(); l-- > 0;) {
    for (size_t j : {0, 1}) {
      const float squares = parameter_square_sums_[2 * l + j];
      if (!std::isfinite(squares)) {
        throw NumericalFault(std::string("the gradient of ") +
                             (j == 0 ? "the weights" : "the bias") + " of " + layer_name(l) +
                             " is not finite or too large to square " + "(sum of squares " +
                             std::to_string(squares) + ") in " + when());
      }
    }
  }
}

StepResult Trainer::train_step(size_t start, size_t size, StepPhases* phases) {
  PhaseClock clock(phases);
  ++step_in_epoch_;
  const IndexRange batch{start, start + size}, mine = step_.rows(batch);
  // This process's part of the batch's mean: its rows' mean weighted by their share, so the
  // gradients and losses summed over the processes are those of the whole batch.
  const float weight = step_.weight(batch);
  StepResult result;
  // Before the backward pass: on one process it updates each parameter as its gradient is done.
  optimizer_->set_learning_rate(float(next_learning_rate()));
  if (!mine.empty()) forward_and_backward(mine, weight, result, clock);
  update(weight, result, clock);
  for (size_t l = 0; l < model_.size(); ++l) grad_square_sums_[l] += parameter_square_sums_[2 * l];
  if (check_numerics_) require_finite_gradients();
  if (phases) ++phases->steps;
  return result;
}

const EpochRecord& Trainer::train_epoch(const Progress& progress) {
  const auto start_time = Clock::now();
  shuffle();
  const double raw = raw_loss_factor(config_);
  const size_t batch = size_t(config_.batch), n = train_rows_;
  double loss_sum = 0, mape_sum = 0;
  for (size_t start = 0; start < n; start += batch) {
    const size_t size = std::min(batch, n - start);
    const StepResult step = train_step(start, size);
    loss_sum += step.loss * double(size);
    mape_sum += step.metric * double(size);
    if (progress) progress(start + size, n, raw * loss_sum / double(start + size));
    if (step.stop_signal) throw Interrupted(step.stop_signal);
  }
  const double train_seconds = std::chrono::duration<double>(Clock::now() - start_time).count();
  step_.gather_optimizer_state();

  const Evaluation validation = evaluate(data_.test);
  EpochRecord record;
  record.epoch = ++epoch_;
  record.loss = raw * loss_sum / double(n);
  record.mape = mape_sum / double(n);
  record.val_loss = validation.loss;
  record.val_mape = validation.mape;
  record.zero_output_fraction = validation.zero_output_fraction;
  record.layers = diagnose(validation, grad_square_sums_, step_in_epoch_);
  const Matrix<float>& output_activity = validation.activity.back();
  if (record.layers.back().relu) {
    double dead_error = 0;
    for (size_t j = 0; j < output_activity.cols(); ++j) {
      if (output_activity(0, j) == 0) dead_error += validation.pixel_squared_error(0, j);
    }
    const double total_error = sum<float>(validation.pixel_squared_error);
    record.dead_output_loss_share = total_error > 0 ? dead_error / total_error : 0.0;
  }
  record.seconds = std::chrono::duration<double>(Clock::now() - start_time).count();
  record.samples_per_s = double(n) / train_seconds;
  history_.push_back(record);
  return history_.back();
}

Evaluation Trainer::evaluate(const LabeledImages& images) {
  Evaluation out;
  const size_t pixels = images.pixels_per_image();
  for (size_t l = 0; l < model_.size(); ++l)
    out.activity.emplace_back(1, model_.layer(l).outputs());
  out.pixel_squared_error = Matrix<float>(1, pixels);
  double squared_sum = 0, mape_sum = 0, nonzero = 0;
  const size_t n = images.count;
  const IndexRange mine = step_.rows({0, n});
  for (size_t start = mine.begin; start < mine.end; start += kEvaluationBatch) {
    const size_t size = std::min(kEvaluationBatch, mine.end - start);
    tape_.reset();
    autograd::NoGrad<float> evaluation(tape_);
    MatrixView<float> converted = tape_.allocate(size, pixels);
    convert_images(images, start, size, pixel_factor_, converted);
    autograd::Var<float> x = tape_.constant(converted);
    autograd::Var<float> y = network_input(x);
    for (size_t l = 0; l < model_.size(); ++l) {
      y = model_.layer(l).forward(tape_, y);
      MatrixView<float> column = tape_.allocate(1, y.cols());
      column_sums<float>(y.value(), column);
      add<float>(out.activity[l], column, out.activity[l]);
    }
    const double elements = double(size * pixels);
    const autograd::LossWithMape<float> errors = autograd::mse_loss_with_mape(y, x);
    squared_sum += double(errors.loss.value()(0, 0)) * elements;
    mape_sum += errors.mape * elements;
    MatrixView<float> error = tape_.allocate(y.rows(), y.cols());
    MatrixView<float> pixel_error = tape_.allocate(1, y.cols());
    mul<float>(errors.diff, errors.diff, error);
    column_sums<float>(error, pixel_error);
    add<float>(out.pixel_squared_error, pixel_error, out.pixel_squared_error);
    MatrixView<float> sign_of_y = tape_.allocate(y.rows(), y.cols());
    sign<float>(y.value(), sign_of_y);
    abs<float>(sign_of_y, sign_of_y);
    nonzero += sum<float>(sign_of_y);
  }
  if (processes_.size() > 1) sum_over_processes(out, squared_sum, mape_sum, nonzero);
  const double elements = double(n * pixels);
  out.loss = raw_loss_factor(config_) * squared_sum / elements;
  out.mape = mape_sum / elements;
  out.zero_output_fraction = 1.0 - nonzero / elements;
  return out;
}

void Trainer::sum_over_processes(Evaluation& evaluation, double& squared_sum, double& mape_sum,
                                 double& nonzero) {
  // Everything in one message: the three sums, then the activity of each layer and the
  // per-pixel error. Activity is a sum of ReLU outputs, so a unit is dead on the whole set
  // exactly when its sum over processes is 0.
  std::vector<Matrix<float>*> rows;
  for (Matrix<float>& a : evaluation.activity) rows.push_back(&a);
  rows.push_back(&evaluation.pixel_squared_error);
  std::vector<double> values = {squared_sum, mape_sum, nonzero};
  for (const Matrix<float>* m : rows)
    values.insert(values.end(), &(*m)(0, 0), &(*m)(0, 0) + m->cols());
  processes_.allreduce_sum(values);
  squared_sum = values[0], mape_sum = values[1], nonzero = values[2];
  size_t at = 3;
  for (Matrix<float>* m : rows) {
    for (size_t j = 0; j < m->cols(); ++j) (*m)(0, j) = float(values[at++]);
  }
}

std::vector<LayerDiagnostics> Trainer::diagnose(const Evaluation& validation,
                                                const std::vector<double>& grad_square_sums,
                                                size_t steps) {
  std::vector<LayerDiagnostics> out;
  const bool seen_before = dead_before_.size() == model_.size();
  dead_before_.resize(model_.size());
  for (size_t l = 0; l < model_.size(); ++l) {
    auto& layer = model_.layer(l);
    std::vector<bool>& dead_before = dead_before_[l];
    dead_before.resize(layer.outputs(), false);
    LayerDiagnostics d;
    d.relu = layer.activation() == Activation::kRelu;
    d.units = int(layer.outputs());
    const bool pixel_units = layer.outputs() == zero_pixel_.size();
    int zero_pixels = 0;
    for (size_t j = 0; j < layer.outputs(); ++j) {
      const bool zero_pixel = pixel_units && zero_pixel_[j];
      zero_pixels += zero_pixel;
      const bool dead = d.relu && validation.activity[l](0, j) == 0;
      if (dead) {
        ++d.dead_units;
        d.dead_zero_pixel += zero_pixel;
      }
      d.revived_units += seen_before && dead_before[j] && !dead;
      dead_before[j] = dead;
    }
    const int live_candidates = d.units - zero_pixels;
    d.dead_excess_fraction =
        live_candidates > 0 ? double(d.dead_units - d.dead_zero_pixel) / live_candidates : 0.0;
    d.grad_norm = steps ? std::sqrt(grad_square_sums[l] / double(steps)) : 0.0;
    // ||W - I||^2 = ||W||^2 - 2 tr(W) + ||I||^2, with ||I||^2 = min(rows, cols).
    const Matrix<float>& w = layer.weight().value;
    const size_t diagonal = std::min(w.rows(), w.cols());
    double trace = 0;
    for (size_t i = 0; i < diagonal; ++i) trace += w(i, i);
    const double squares = double(sum_squares<float>(w)) - 2 * trace + double(diagonal);
    d.distance_from_identity = std::sqrt(std::max(squares, 0.0) / double(diagonal));
    out.push_back(d);
  }
  return out;
}

Matrix<float> Trainer::reconstruct(size_t count) {
  count = std::min(count, data_.test.count);
  tape_.reset();
  autograd::NoGrad<float> evaluation(tape_);
  MatrixView<float> converted = tape_.allocate(count, data_.test.pixels_per_image());
  convert_images(data_.test, 0, count, pixel_factor_, converted);
  autograd::Var<float> x = tape_.constant(converted);
  autograd::Var<float> y = model_.forward(tape_, network_input(x));
  Matrix<float> out(count, y.cols());
  copy<float>(y.value(), out);
  return out;
}

std::vector<Matrix<float>> Trainer::layer_outputs(const LabeledImages& images, size_t first,
                                                  size_t count) {
  tape_.reset();
  autograd::NoGrad<float> evaluation(tape_);
  MatrixView<float> converted = tape_.allocate(count, images.pixels_per_image());
  convert_images(images, first, count, pixel_factor_, converted);
  autograd::Var<float> y = network_input(tape_.constant(converted));
  std::vector<Matrix<float>> out;
  for (size_t l = 0; l < model_.size(); ++l) {
    y = model_.layer(l).forward(tape_, y);
    out.emplace_back(y.rows(), y.cols());
    copy<float>(y.value(), out.back());
  }
  return out;
}

std::vector<autograd::NamedTensor<float>> Trainer::checkpoint_tensors() {
  std::vector<autograd::NamedTensor<float>> tensors;
  for (autograd::Parameter<float>* p : model_.parameters())
    tensors.push_back({p->name, p->value.view()});
  for (const auto& t : optimizer_->state()) tensors.push_back(t);
  // The preconditioning travels with the model: eval and --resume use the fitted transform, not
  // one refitted on whatever data they are given.
  if (input_transform_.kind == Precondition::kWhiten)
    tensors.push_back({"input.matrix", input_transform_.matrix.view()});
  if (input_transform_.kind != Precondition::kNone)
    tensors.push_back({"input.offset", input_transform_.offset.view()});
  return tensors;
}

uint64_t Trainer::fingerprint() {
  // Two CRC-32s, of the description and of the numbers, make the 64 bits.
  TrainConfig described = config_;
  described.data.clear();  // the folder may be mounted elsewhere on each machine: its bytes count
  const std::string description = to_json(described).dump() + " epoch " + std::to_string(epoch_) +
                                  " step " + std::to_string(optimizer_->iterations());
  auto bytes = [](const void* data, size_t n) {
    return std::string_view(static_cast<const char*>(data), n);
  };
  const uint32_t text = crc32_of(0, description);
  uint32_t numbers =
      crc32_of(0, bytes(data_.train.pixels.data(), train_rows_ * data_.train.pixels_per_image()));
  numbers = crc32_of(numbers, bytes(data_.test.pixels.data(), data_.test.pixels.size()));
  for (const autograd::NamedTensor<float>& t : checkpoint_tensors()) {
    for (size_t r = 0; r < t.view.rows(); ++r)
      numbers = crc32_of(numbers, bytes(&t.view(r, 0), t.view.cols() * sizeof(float)));
  }
  return uint64_t(text) << 32 | uint64_t(numbers);
}

void Trainer::save(const std::filesystem::path& file) {
  const std::vector<autograd::NamedTensor<float>> tensors = checkpoint_tensors();
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : history_) history.push_back(to_json(r));
  save_checkpoint(file, tensors,
                  {{"format", "simdgrad-identity/1"},
                   {"epoch", std::to_string(epoch_)},
                   {"optimizer_iterations", std::to_string(optimizer_->iterations())},
                   {"optimizer", optimizer_->name()},
                   {"shuffle_rng", join_state(rng_.state())},
                   {"config", to_json(config_).dump()},
                   {"history", history.dump()}});
}

void Trainer::restore(const Checkpoint& checkpoint, const std::filesystem::path& file) {
  restore_tensors(checkpoint, checkpoint_tensors(), file);
  try {
    epoch_ = std::stoi(metadata(checkpoint, "epoch", file));
    optimizer_->set_iterations(std::stol(metadata(checkpoint, "optimizer_iterations", file)));
    history_.clear();
    for (const auto& r : nlohmann::json::parse(metadata(checkpoint, "history", file))) {
      history_.push_back(epoch_record_from_json(r));
    }
  } catch (const std::invalid_argument&) {
    throw std::runtime_error(file.string() + ": checkpoint metadata holds a malformed number");
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file.string() + ": checkpoint history is malformed: " + e.what());
  }
  rng_.set_state(parse_state(metadata(checkpoint, "shuffle_rng", file), file));
}

}  // namespace simdgrad::identity
