// BERT's initialisation for the transformer modules (nn/transformer.hpp): weights N(0, 0.02²) drawn
// from the caller's Rng, biases 0, LayerNorm γ = 1, β = 0. Internal to nn/.
#pragma once

#include <string>

#include "autodiff/random.hpp"
#include "nn/linear.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

constexpr double kBertInitStd = 0.02;

/// A parameter of `shape` with entries N(0, 0.02²) drawn from rng in row-major order.
template <class T>
Parameter<T> bert_normal(const std::string& name, const Shape& shape, Rng& rng) {
    Tensor<T> v = Tensor<T>::from_shape(shape);
    for (T& x : v) x = static_cast<T>(rng.normal(0.0, kBertInitStd));
    return Parameter<T>(name, std::move(v));
}

/// Linear(in, out) named `name` with weight N(0, 0.02²) from rng and bias 0: only the weight consumes rng.
template <class T>
Linear<T> make_bert_linear(std::size_t in, std::size_t out, const std::string& name, Rng& rng) {
    Rng unused(0);  // Linear draws its default init; both tensors are overwritten below
    Linear<T> lin(in, out, true, unused, name);
    for (T& x : lin.weight.value) x = static_cast<T>(rng.normal(0.0, kBertInitStd));
    lin.bias.value.fill(T(0));
    return lin;
}

template <class T>
Parameter<T> layer_norm_weight(const std::string& prefix, std::size_t d) {
    Tensor<T> v = Tensor<T>::from_shape({d});
    v.fill(T(1));
    return Parameter<T>(join_name(prefix, "weight"), std::move(v));
}

template <class T>
Parameter<T> layer_norm_bias(const std::string& prefix, std::size_t d) {
    Tensor<T> v = Tensor<T>::from_shape({d});
    v.fill(T(0));
    return Parameter<T>(join_name(prefix, "bias"), std::move(v));
}

}  // namespace gt::nn
