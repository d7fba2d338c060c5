#include "nn/conv.hpp"

#include "autodiff/ops_conv.hpp"
#include "autodiff/ops_shape.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"

namespace gt::nn {

template <class T>
Conv2d<T>::Conv2d(std::size_t in_ch, std::size_t out_ch, std::size_t kernel, std::size_t stride,
                  std::size_t padding, bool bias, Rng& rng, const std::string& name)
    : in_(in_ch), out_(out_ch), k_(kernel), stride_(stride), pad_(padding), has_bias_(bias) {
    if (in_ch == 0 || out_ch == 0 || kernel == 0 || stride == 0)
        throw ValueError("Conv2d '" + name + "': expected positive channels, kernel and stride, got in=" +
                         std::to_string(in_ch) + ", out=" + std::to_string(out_ch) + ", kernel=" +
                         std::to_string(kernel) + ", stride=" + std::to_string(stride));
    const std::size_t fan_in = in_ch * kernel * kernel;
    weight = Parameter<T>(join_name(name, "weight"), Tensor<T>::from_shape({out_ch, in_ch, kernel, kernel}));
    init_uniform_fan_in(weight.value, fan_in, rng);
    if (bias) {
        this->bias = Parameter<T>(join_name(name, "bias"), Tensor<T>::from_shape({out_ch}));
        init_uniform_fan_in(this->bias.value, fan_in, rng);
    }
}

template <class T>
std::size_t Conv2d<T>::output_size(std::size_t n) const {
    if (n + 2 * pad_ < k_) return 0;
    return (n + 2 * pad_ - k_) / stride_ + 1;
}

template <class T>
Var<T> Conv2d<T>::forward(Tape<T>& tape, Var<T> x) {
    const Var<T> w = weight.enter(tape);
    const Var<T> b = has_bias_ ? bias.enter(tape) : Var<T>{};
    return gt::conv2d(x, w, b, stride_, pad_);
}

template <class T>
std::vector<Parameter<T>*> Conv2d<T>::parameters() {
    if (has_bias_) return {&weight, &bias};
    return {&weight};
}

template <class T>
Var<T> MaxPool2d<T>::forward(Tape<T>&, Var<T> x) {
    return gt::max_pool2d(x, k_, s_);
}

template <class T>
Var<T> flatten_batch(Var<T> x) {
    const Tensor<T>& v = x.value();
    const TensorShape& s = v.shape();
    if (s.size() == 2) return x;
    if (s.empty()) throw ShapeError("flatten: expected a batch (B, ...), got a 0-d tensor");
    return gt::reshape(x, s[0], v.size() / (s[0] == 0 ? 1 : s[0]));
}

template <class T>
Var<T> Flatten<T>::forward(Tape<T>&, Var<T> x) {
    return flatten_batch(x);
}

template class Conv2d<float>;
template class Conv2d<double>;
template class MaxPool2d<float>;
template class MaxPool2d<double>;
template class Flatten<float>;
template class Flatten<double>;
template Var<float> flatten_batch(Var<float>);
template Var<double> flatten_batch(Var<double>);

}  // namespace gt::nn
