#include "nn/vae.hpp"

#include <string>

#include "autodiff/ops_activation.hpp"
#include "nn/conv.hpp"
#include "nn/vae_ops.hpp"

namespace gt::nn {

template <class T>
VAE<T>::VAE(std::size_t input_dim, Rng& rng, std::size_t hidden, std::size_t latent, std::size_t num_hidden)
    : input_dim_(input_dim), latent_(latent) {
    if (num_hidden == 0) throw ValueError("VAE: expected num_hidden >= 1, got 0");
    // Construction order = PyTorch's registration order (encoder, fc_mu, fc_logvar, decoder).
    for (std::size_t i = 0; i < num_hidden; ++i)
        enc_.push_back(std::make_unique<Linear<T>>(i == 0 ? input_dim : hidden, hidden, true, rng,
                                                   "encoder." + std::to_string(2 * i)));
    fc_mu_ = std::make_unique<Linear<T>>(hidden, latent, true, rng, "fc_mu");
    fc_logvar_ = std::make_unique<Linear<T>>(hidden, latent, true, rng, "fc_logvar");
    for (std::size_t i = 0; i < num_hidden; ++i)
        dec_.push_back(std::make_unique<Linear<T>>(i == 0 ? latent : hidden, hidden, true, rng,
                                                   "decoder." + std::to_string(2 * i)));
    dec_.push_back(std::make_unique<Linear<T>>(hidden, input_dim, true, rng,
                                               "decoder." + std::to_string(2 * num_hidden)));
}

template <class T>
std::pair<Var<T>, Var<T>> VAE<T>::encode(Tape<T>& tape, Var<T> x) {
    Var<T> h = flatten_batch(x);
    if (h.value().shape()[1] != input_dim_)
        throw ShapeError("VAE::encode: expected " + std::to_string(input_dim_) +
                         " input features per sample, got input " + shape_str(x.shape()));
    for (auto& l : enc_) h = gelu(l->forward(tape, h));
    return {fc_mu_->forward(tape, h), fc_logvar_->forward(tape, h)};
}

template <class T>
Var<T> VAE<T>::decode(Tape<T>& tape, Var<T> z) {
    Var<T> h = z;
    for (std::size_t i = 0; i + 1 < dec_.size(); ++i) h = gelu(dec_[i]->forward(tape, h));
    return sigmoid(dec_.back()->forward(tape, h));
}

template <class T>
VAEOutput<T> VAE<T>::forward(Tape<T>& tape, Var<T> x, const Tensor<T>& eps) {
    VAEOutput<T> o;
    o.x = flatten_batch(x);
    std::tie(o.mu, o.logvar) = encode(tape, o.x);
    const std::size_t rows = o.mu.value().shape()[0];
    if (eps.dimension() != 2 || eps.shape()[0] != rows || eps.shape()[1] != latent_)
        check_shape(false, "VAE::forward (eps)", shape_str(Shape{rows, latent_}), shape_of(eps));
    o.z = reparameterize(o.mu, o.logvar, eps);  // μ + exp(½ logvar) ⊙ eps
    o.recon = decode(tape, o.z);
    return o;
}

template <class T>
VAEOutput<T> VAE<T>::forward(Tape<T>& tape, Var<T> x, Rng& rng) {
    const TensorShape& s = x.value().shape();
    const std::size_t rows = s.empty() ? 0 : s[0];
    if (eps_.dimension() != 2 || eps_.shape()[0] != rows || eps_.shape()[1] != latent_) eps_.resize({rows, latent_});
    for (T& e : eps_) e = static_cast<T>(rng.normal());
    return forward(tape, x, eps_);
}

template <class T>
std::vector<Parameter<T>*> VAE<T>::parameters() {
    std::vector<Parameter<T>*> ps;
    for (auto& l : enc_) append_parameters(ps, *l);
    append_parameters(ps, *fc_mu_);
    append_parameters(ps, *fc_logvar_);
    for (auto& l : dec_) append_parameters(ps, *l);
    return ps;
}

template <class T>
std::vector<Linear<T>*> VAE<T>::encoder() const {
    std::vector<Linear<T>*> r;
    for (auto& l : enc_) r.push_back(l.get());
    return r;
}

template <class T>
std::vector<Linear<T>*> VAE<T>::decoder() const {
    std::vector<Linear<T>*> r;
    for (auto& l : dec_) r.push_back(l.get());
    return r;
}

template class VAE<float>;
template class VAE<double>;

}  // namespace gt::nn
