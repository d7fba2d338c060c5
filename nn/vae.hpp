// The paper's MLP β-VAE (§3.6, `src/model.py::VAE` with hidden 512, latent 32, two hidden layers):
//   encoder Linear(D, 512) GELU Linear(512, 512) GELU → fc_mu, fc_logvar (512 → 32)
//   decoder Linear(32, 512) GELU Linear(512, 512) GELU Linear(512, D) Sigmoid
#pragma once

#include <memory>
#include <vector>

#include "nn/linear.hpp"

namespace gt::nn {

template <class T>
struct VAEOutput {
    Var<T> x;       // the flattened input (B, D)
    Var<T> mu;      // (B, latent)
    Var<T> logvar;  // (B, latent)
    Var<T> z;       // μ + exp(½ logvar) ⊙ eps
    Var<T> recon;   // (B, D), in (0, 1)
};

template <class T>
class VAE : public Module<T> {
   public:
    /// Parameters named as PyTorch's state_dict: encoder.{0,2}, fc_mu, fc_logvar, decoder.{0,2,4}.
    VAE(std::size_t input_dim, Rng& rng, std::size_t hidden = 512, std::size_t latent = 32,
        std::size_t num_hidden = 2);

    /// x (B, ...) flattened to (B, D); eps (B, latent) is the reparameterisation noise.
    VAEOutput<T> forward(Tape<T>& tape, Var<T> x, const Tensor<T>& eps);
    /// Draws eps ~ N(0, I) from the run's Rng (the paper samples in eval too).
    VAEOutput<T> forward(Tape<T>& tape, Var<T> x, Rng& rng);
    /// μ, logvar of x (no sampling).
    std::pair<Var<T>, Var<T>> encode(Tape<T>& tape, Var<T> x);
    Var<T> decode(Tape<T>& tape, Var<T> z);

    std::vector<Parameter<T>*> parameters() override;
    std::size_t input_dim() const { return input_dim_; }
    std::size_t latent_dim() const { return latent_; }
    std::vector<Linear<T>*> encoder() const;
    std::vector<Linear<T>*> decoder() const;
    Linear<T>& fc_mu() { return *fc_mu_; }
    Linear<T>& fc_logvar() { return *fc_logvar_; }

   private:
    std::size_t input_dim_, latent_;
    std::vector<std::unique_ptr<Linear<T>>> enc_, dec_;
    std::unique_ptr<Linear<T>> fc_mu_, fc_logvar_;
    Tensor<T> eps_;  // forward(tape, x, rng)'s noise, kept across steps (reparameterize copies it)
};

extern template class VAE<float>;
extern template class VAE<double>;

}  // namespace gt::nn
