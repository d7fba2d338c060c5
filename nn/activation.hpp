// The point-wise nonlinearities a model can choose, as an enum and as a parameter-free layer.
#pragma once

#include <string>

#include "autodiff/tape.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

enum class Activation { GELU, ReLU, Sigmoid, Tanh, Identity };

/// "gelu", "relu", "sigmoid", "tanh", "identity" (case-sensitive); ValueError listing them otherwise.
Activation parse_activation(const std::string& name);
std::string to_string(Activation a);

/// act(x); GELU is the exact erf form (PyTorch's default).
template <class T>
Var<T> activate(Activation a, Var<T> x);

/// A parameter-free layer applying one activation.
template <class T>
class ActivationLayer : public Module<T> {
   public:
    explicit ActivationLayer(Activation a) : act_(a) {}
    Var<T> forward(Tape<T>& tape, Var<T> x);
    Activation kind() const { return act_; }

   private:
    Activation act_;
};

extern template class ActivationLayer<float>;
extern template class ActivationLayer<double>;

}  // namespace gt::nn
