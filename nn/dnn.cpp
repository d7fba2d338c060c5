#include "nn/dnn.hpp"

#include <string>

#include "nn/conv.hpp"

namespace gt::nn {

template <class T>
DNN<T>::DNN(std::size_t in, std::size_t hidden, std::size_t out, std::size_t num_hidden, bool bias, Activation act,
            Rng& rng)
    : act_(act), in_(in) {
    if (num_hidden == 0) throw ValueError("DNN: expected num_hidden >= 1, got 0");
    for (std::size_t l = 0; l <= num_hidden; ++l) {
        const std::size_t fi = l == 0 ? in : hidden, fo = l == num_hidden ? out : hidden;
        layers_.push_back(std::make_unique<Linear<T>>(fi, fo, bias, rng, "layers." + std::to_string(l)));
    }
}

template <class T>
MLPOutput<T> DNN<T>::forward(Tape<T>& tape, Var<T> x) {
    MLPOutput<T> o;
    Var<T> h = flatten_batch(x);
    if (h.value().shape()[1] != in_)
        throw ShapeError("DNN::forward: expected " + std::to_string(in_) + " input features per sample, got input " +
                         shape_str(x.shape()));
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        o.layer_inputs.push_back(h);
        const Var<T> z = layers_[l]->forward(tape, h);
        o.pre_activations.push_back(z);
        if (l + 1 < layers_.size()) {
            h = activate(act_, z);
            o.hidden.push_back(h);
        } else {
            o.logits = z;
        }
    }
    return o;
}

template <class T>
std::vector<Parameter<T>*> DNN<T>::parameters() {
    std::vector<Parameter<T>*> ps;
    for (auto& l : layers_) append_parameters(ps, *l);
    return ps;
}

template <class T>
std::vector<Linear<T>*> DNN<T>::linears() {
    return owned_pointers(layers_);
}

template class DNN<float>;
template class DNN<double>;

}  // namespace gt::nn
