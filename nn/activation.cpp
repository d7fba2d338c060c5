#include "nn/activation.hpp"

#include "autodiff/ops_activation.hpp"

namespace gt::nn {

Activation parse_activation(const std::string& name) {
    if (name == "gelu") return Activation::GELU;
    if (name == "relu") return Activation::ReLU;
    if (name == "sigmoid") return Activation::Sigmoid;
    if (name == "tanh") return Activation::Tanh;
    if (name == "identity") return Activation::Identity;
    throw ValueError("parse_activation: expected one of gelu, relu, sigmoid, tanh, identity; got '" + name + "'");
}

std::string to_string(Activation a) {
    switch (a) {
        case Activation::GELU: return "gelu";
        case Activation::ReLU: return "relu";
        case Activation::Sigmoid: return "sigmoid";
        case Activation::Tanh: return "tanh";
        case Activation::Identity: return "identity";
    }
    return "unknown";
}

template <class T>
Var<T> activate(Activation a, Var<T> x) {
    switch (a) {
        case Activation::GELU: return gelu(x);
        case Activation::ReLU: return relu(x);
        case Activation::Sigmoid: return sigmoid(x);
        case Activation::Tanh: return gt::tanh(x);
        case Activation::Identity: return x;
    }
    throw ValueError("activate: unknown activation value " + std::to_string(static_cast<int>(a)));
}

template <class T>
Var<T> ActivationLayer<T>::forward(Tape<T>&, Var<T> x) {
    return activate(act_, x);
}

template Var<float> activate(Activation, Var<float>);
template Var<double> activate(Activation, Var<double>);
template class ActivationLayer<float>;
template class ActivationLayer<double>;

}  // namespace gt::nn
