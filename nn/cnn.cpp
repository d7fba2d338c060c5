#include "nn/cnn.hpp"

#include <string>

#include "autodiff/ops_activation.hpp"

namespace gt::nn {

template <class T>
CNN<T>::CNN(std::size_t in_channels, std::size_t height, std::size_t width, std::size_t num_classes, Rng& rng,
            CNNOptions opt)
    : in_ch_(in_channels), h_(height), w_(width) {
    if (opt.num_conv == 0) throw ValueError("CNN: expected num_conv >= 1, got 0");
    pool_.assign(opt.num_conv, false);
    for (std::size_t i : opt.pool_after) {
        if (i >= opt.num_conv)
            throw ValueError("CNN: pool_after names conv " + std::to_string(i) + " but there are only " +
                             std::to_string(opt.num_conv) + " conv layers");
        pool_[i] = true;
    }
    std::size_t h = height, w = width;
    for (std::size_t l = 0; l < opt.num_conv; ++l) {
        convs_.push_back(std::make_unique<Conv2d<T>>(l == 0 ? in_channels : opt.channels, opt.channels, opt.kernel, 1,
                                                     opt.kernel / 2, opt.bias, rng, "layers." + std::to_string(l)));
        h = convs_.back()->output_size(h);
        w = convs_.back()->output_size(w);
        if (pool_[l]) {
            h = pool_layer_.output_size(h);
            w = pool_layer_.output_size(w);
        }
        if (h == 0 || w == 0)
            throw ValueError("CNN: a " + std::to_string(height) + "×" + std::to_string(width) +
                             " input shrinks to nothing after conv " + std::to_string(l));
    }
    fc_ = std::make_unique<Linear<T>>(opt.channels * h * w, num_classes, opt.bias, rng,
                                      "layers." + std::to_string(opt.num_conv));
}

template <class T>
CNNOutput<T> CNN<T>::forward(Tape<T>& tape, Var<T> x) {
    const TensorShape& s = x.value().shape();
    if (s.size() != 4 || s[1] != in_ch_ || s[2] != h_ || s[3] != w_)
        throw ShapeError("CNN::forward: expected input (B, " + std::to_string(in_ch_) + ", " + std::to_string(h_) +
                         ", " + std::to_string(w_) + "), got " + shape_str(to_shape(s)));
    CNNOutput<T> o;
    Var<T> h = x;
    for (std::size_t l = 0; l < convs_.size(); ++l) {
        o.conv_inputs.push_back(h);
        Var<T> z = convs_[l]->forward(tape, h);
        o.conv_outputs.push_back(z);
        if (pool_[l]) z = pool_layer_.forward(tape, z);
        h = relu(z);
        o.hidden.push_back(h);
    }
    o.features = flatten_batch(h);
    o.logits = fc_->forward(tape, o.features);
    return o;
}

template <class T>
std::vector<Parameter<T>*> CNN<T>::parameters() {
    std::vector<Parameter<T>*> ps;
    for (auto& c : convs_) append_parameters(ps, *c);
    append_parameters(ps, *fc_);
    return ps;
}

template <class T>
std::vector<Conv2d<T>*> CNN<T>::convs() {
    return owned_pointers(convs_);
}

template class CNN<float>;
template class CNN<double>;

}  // namespace gt::nn
