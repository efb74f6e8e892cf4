#include "simdgrad/autograd/layers.h"

#include <stdexcept>

namespace simdgrad::autograd {

template <class T>
Dense<T>::Dense(std::string name, size_t in, size_t out, Activation activation)
    : weight_(name + ".weight", out, in), bias_(name + ".bias", 1, out), activation_(activation) {}

template <class T>
Var<T> Dense<T>::forward(Tape<T>& tape, Var<T> x) {
  return linear(x, tape.parameter(weight_), tape.parameter(bias_), activation_);
}

template <class T>
void Dense<T>::initialize(Initializer kind, Random& rng) {
  autograd::initialize(kind, weight_.value.view(), rng);
  zeros(bias_.value.view());
}

template <class T>
Dense<T>& Sequential<T>::add_dense(size_t in, size_t out, Activation activation) {
  if (!layers_.empty() && layers_.back()->outputs() != in) {
    throw std::invalid_argument("Sequential: layer " + std::to_string(layers_.size()) + " takes " +
                                std::to_string(in) + " inputs, the previous layer gives " +
                                std::to_string(layers_.back()->outputs()));
  }
  layers_.push_back(
      std::make_unique<Dense<T>>("dense_" + std::to_string(layers_.size()), in, out, activation));
  return *layers_.back();
}

template <class T>
Var<T> Sequential<T>::forward(Tape<T>& tape, Var<T> x) {
  for (auto& layer : layers_) x = layer->forward(tape, x);
  return x;
}

template <class T>
void Sequential<T>::initialize(Initializer kind, Random& rng) {
  for (auto& layer : layers_) layer->initialize(kind, rng);
}

template <class T>
std::vector<Parameter<T>*> Sequential<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (auto& layer : layers_) {
    for (Parameter<T>* p : layer->parameters()) out.push_back(p);
  }
  return out;
}

template class Dense<float>;
template class Dense<double>;
template class Sequential<float>;
template class Sequential<double>;

}  // namespace simdgrad::autograd
