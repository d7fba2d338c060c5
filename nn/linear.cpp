#include "nn/linear.hpp"

#include "autodiff/ops_linalg.hpp"
#include "nn/init.hpp"

namespace gt::nn {

std::string join_name(const std::string& prefix, const std::string& leaf) {
    return prefix.empty() ? leaf : prefix + "." + leaf;
}

template <class T>
Linear<T>::Linear(std::size_t in, std::size_t out, bool bias, Rng& rng, const std::string& name, Init init)
    : in_(in), out_(out), has_bias_(bias) {
    if (in == 0 || out == 0)
        throw ValueError("Linear '" + name + "': expected positive in/out features, got in=" + std::to_string(in) +
                         ", out=" + std::to_string(out));
    weight = Parameter<T>(join_name(name, "weight"), Tensor<T>::from_shape({out, in}));
    if (init == Init::NormalFanIn)
        init_normal_fan_in(weight.value, in, rng);
    else
        init_uniform_fan_in(weight.value, in, rng);
    if (bias) {
        this->bias = Parameter<T>(join_name(name, "bias"), Tensor<T>::from_shape({out}));
        init_uniform_fan_in(this->bias.value, in, rng);
    }
}

template <class T>
Var<T> Linear<T>::forward(Tape<T>& tape, Var<T> x) {
    const Var<T> w = weight.enter(tape);
    return has_bias_ ? gt::linear(x, w, bias.enter(tape)) : gt::linear(x, w);
}

template <class T>
std::vector<Parameter<T>*> Linear<T>::parameters() {
    if (has_bias_) return {&weight, &bias};
    return {&weight};
}

template class Linear<float>;
template class Linear<double>;

}  // namespace gt::nn
