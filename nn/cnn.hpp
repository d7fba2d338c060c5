// The paper's small CNN (Figure 6, `src/model.py::CNN`): num_conv 3×3 convolutions (padding 1,
// `channels` filters), each followed by an optional 2×2 max-pool and a ReLU, then a linear classifier
// on the flattened features. Order per conv layer, as in the code: conv → [pool] → ReLU.
#pragma once

#include <memory>
#include <vector>

#include "nn/conv.hpp"
#include "nn/linear.hpp"
#include "nn/var_list.hpp"

namespace gt::nn {

struct CNNOptions {
    std::size_t channels = 16;
    std::size_t num_conv = 3;
    std::size_t kernel = 3;
    std::vector<std::size_t> pool_after = {0, 2};  // conv indices followed by a 2×2 max-pool
    bool bias = true;
};

template <class T>
struct CNNOutput {
    Var<T> logits;
    VarList<T> conv_inputs;   // the input of conv l ([0] = x)
    VarList<T> conv_outputs;  // conv l's output before pooling and ReLU
    VarList<T> hidden;        // after pool and ReLU (== conv_inputs[l+1] for l < num_conv − 1)
    Var<T> features;                   // the flattened input of the classifier
};

template <class T>
class CNN : public Module<T> {
   public:
    /// Input (B, in_channels, height, width); works on 1×28×28 and 3×32×32.
    /// Parameters: layers.<l>.weight/bias for the convs, layers.<num_conv>.weight/bias for the classifier.
    CNN(std::size_t in_channels, std::size_t height, std::size_t width, std::size_t num_classes, Rng& rng,
        CNNOptions opt = {});

    CNNOutput<T> forward(Tape<T>& tape, Var<T> x);
    std::vector<Parameter<T>*> parameters() override;
    std::vector<Conv2d<T>*> convs();
    Linear<T>& classifier() { return *fc_; }

   private:
    std::vector<std::unique_ptr<Conv2d<T>>> convs_;
    std::vector<bool> pool_;
    MaxPool2d<T> pool_layer_{2};
    std::unique_ptr<Linear<T>> fc_;
    std::size_t in_ch_, h_, w_;
};

extern template class CNN<float>;
extern template class CNN<double>;

}  // namespace gt::nn
