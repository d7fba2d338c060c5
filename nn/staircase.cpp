#include "nn/staircase.hpp"

#include <cmath>
#include <string>

#include "autodiff/ops_activation.hpp"
#include "autodiff/ops_elementwise.hpp"

namespace gt::nn {

template <class T>
StaircaseNet<T>::StaircaseNet(std::size_t in, std::size_t width, Rng& rng) : width_(width) {
    const std::size_t dims[4] = {in, width, width, 1};
    for (std::size_t i = 0; i < 3; ++i) {
        layers_[i] = std::make_unique<Linear<T>>(dims[i], dims[i + 1], false, rng, "layers." + std::to_string(i),
                                                 Init::NormalFanIn);
    }
}

template <class T>
StaircaseOutput<T> StaircaseNet<T>::forward(Tape<T>& tape, Var<T> x) {
    StaircaseOutput<T> o;
    o.hidden1 = relu(layers_[0]->forward(tape, x));
    o.hidden2 = relu(layers_[1]->forward(tape, o.hidden1));
    o.output = mul_scalar(layers_[2]->forward(tape, o.hidden2), T(1) / std::sqrt(T(width_)));
    return o;
}

template <class T>
std::vector<Parameter<T>*> StaircaseNet<T>::parameters() {
    return {&layers_[0]->weight, &layers_[1]->weight, &layers_[2]->weight};
}

template class StaircaseNet<float>;
template class StaircaseNet<double>;

}  // namespace gt::nn
