// The VAE's two ops (nn/vae.hpp): the reparameterisation z = μ + e^{½ logvar} ⊙ ε and the Gaussian KL
// term. Float64 gradient checks: tests/autodiff/test_gradcheck_ops.cpp (gc_reparameterize, gc_gaussian_kl).
#pragma once

#include "autodiff/tape.hpp"

namespace gt::nn {

/// z = μ + exp(½·logvar) ⊙ eps, with eps a constant tensor of μ's shape (drawn by the caller's seeded engine).
/// ∂μ += g;  ∂logvar += g ⊙ ½·exp(½·logvar) ⊙ eps.
template <class T> Var<T> reparameterize(Var<T> mu, Var<T> logvar, const Tensor<T>& eps);
/// KL(N(μ, e^logvar) ‖ N(0, I)) per sample, averaged over the batch (rows):
///   mean_b [ −½ Σ_j (1 + logvar − μ² − e^logvar) ]  (the paper's VAE code). 0-d result.
/// ∂μ += g·μ/B;  ∂logvar += g·(e^logvar − 1)/(2B).
template <class T> Var<T> gaussian_kl(Var<T> mu, Var<T> logvar);

}  // namespace gt::nn
