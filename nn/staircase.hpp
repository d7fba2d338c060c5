// The staircase network of Figure 8 (paper App. B.4, §4.2): bias-free ReLU MLP in → w → w → 1,
// weights ~ N(0, 1/fan_in), output divided by √w (the lazy/rich regime is set by the width).
#pragma once

#include <array>
#include <memory>

#include "nn/linear.hpp"

namespace gt::nn {

template <class T>
struct StaircaseOutput {
    Var<T> output;   // (N, 1) = layer3(h2)/√w
    Var<T> hidden1;  // post-ReLU of layer 1 (N, w)
    Var<T> hidden2;  // post-ReLU of layer 2 (N, w): the H of the y_OLS diagnostic
};

template <class T>
class StaircaseNet : public Module<T> {
   public:
    /// Parameters layers.0.weight (w, in), layers.1.weight (w, w), layers.2.weight (1, w).
    StaircaseNet(std::size_t in, std::size_t width, Rng& rng);
    StaircaseOutput<T> forward(Tape<T>& tape, Var<T> x);
    std::vector<Parameter<T>*> parameters() override;
    std::size_t width() const { return width_; }
    Linear<T>& layer(std::size_t i) { return *layers_.at(i); }

   private:
    std::size_t width_;
    std::array<std::unique_ptr<Linear<T>>, 3> layers_;
};

extern template class StaircaseNet<float>;
extern template class StaircaseNet<double>;

}  // namespace gt::nn
