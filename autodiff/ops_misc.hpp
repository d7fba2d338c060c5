// Ops used by particular models: embedding lookup, the VAE's reparameterisation and Gaussian KL.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

/// Rows of weight (V×D) picked by indices → (n×D); gradient scatters-adds into the picked rows.
template <class T> Var<T> embedding(Var<T> weight, const Labels& indices);
/// z = μ + exp(½·logvar) ⊙ eps, with eps a constant tensor of μ's shape (drawn by the caller's seeded engine).
template <class T> Var<T> reparameterize(Var<T> mu, Var<T> logvar, const Tensor<T>& eps);
/// KL(N(μ, e^logvar) ‖ N(0, I)) per sample, averaged over the batch (rows):
///   mean_b [ −½ Σ_j (1 + logvar − μ² − e^logvar) ]  (the paper's VAE code). 0-d result.
template <class T> Var<T> gaussian_kl(Var<T> mu, Var<T> logvar);

}  // namespace gt
