// Convolution-family layers on NCHW tensors: Conv2d, MaxPool2d, Flatten (PyTorch semantics).
#pragma once

#include <string>

#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

template <class T>
class Conv2d : public Module<T> {
   public:
    /// weight (out_ch, in_ch, k, k) and bias (out_ch) ~ U(±1/√(in_ch·k·k)) from `rng`.
    Conv2d(std::size_t in_ch, std::size_t out_ch, std::size_t kernel, std::size_t stride, std::size_t padding,
           bool bias, Rng& rng, const std::string& name = "");

    /// x (B, in_ch, H, W) → (B, out_ch, H', W'), H' = (H + 2p − k)/s + 1.
    Var<T> forward(Tape<T>& tape, Var<T> x);
    std::vector<Parameter<T>*> parameters() override;

    /// Spatial output size for an input of size `n`.
    std::size_t output_size(std::size_t n) const;
    std::size_t in_channels() const { return in_; }
    std::size_t out_channels() const { return out_; }
    std::size_t kernel() const { return k_; }
    std::size_t stride() const { return stride_; }
    std::size_t padding() const { return pad_; }

    Parameter<T> weight;
    Parameter<T> bias;  // empty when the layer has no bias

   private:
    std::size_t in_, out_, k_, stride_, pad_;
    bool has_bias_;
};

/// Max pooling with a k×k window and stride s (s = k by default), no padding.
template <class T>
class MaxPool2d : public Module<T> {
   public:
    explicit MaxPool2d(std::size_t k, std::size_t s = 0) : k_(k), s_(s == 0 ? k : s) {}
    Var<T> forward(Tape<T>& tape, Var<T> x);
    std::size_t output_size(std::size_t n) const { return n < k_ ? 0 : (n - k_) / s_ + 1; }

   private:
    std::size_t k_, s_;
};

/// (B, ...) → (B, prod(...)); a 2-D input passes through unchanged.
template <class T>
class Flatten : public Module<T> {
   public:
    Var<T> forward(Tape<T>& tape, Var<T> x);
};

/// The free-function form of Flatten.
template <class T>
Var<T> flatten_batch(Var<T> x);

extern template class Conv2d<float>;
extern template class Conv2d<double>;
extern template class MaxPool2d<float>;
extern template class MaxPool2d<double>;
extern template class Flatten<float>;
extern template class Flatten<double>;

}  // namespace gt::nn
