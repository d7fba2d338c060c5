// The paper's losses, as thin wrappers over the autodiff ops (PyTorch reductions).
// With a mean-reduced loss, ∂L/∂(hidden) carries the 1/B factor, exactly as in the paper's code.
#pragma once

#include "autodiff/ops_loss.hpp"
#include "autodiff/tape.hpp"

namespace gt::nn {

/// nn.CrossEntropyLoss (mean over the batch): logits (B, C), labels in [0, C).
template <class T>
Var<T> cross_entropy_loss(Var<T> logits, const Labels& labels);
/// nn.MSELoss (mean over all elements).
template <class T>
Var<T> mse_loss(Var<T> pred, Var<T> target);
/// nn.BCELoss with the given reduction; prob in [0, 1].
template <class T>
Var<T> bce_loss(Var<T> prob, Var<T> target, Reduction r);
/// KL(N(μ, e^logvar) ‖ N(0, I)) summed over latents, averaged over the batch.
template <class T>
Var<T> gaussian_kl_loss(Var<T> mu, Var<T> logvar);
/// The β-VAE loss of the paper's code (§3.6): BCE_sum(recon, x)/B + β·KL, x (B, D) in [0, 1].
template <class T>
Var<T> vae_loss(Var<T> recon, Var<T> x, Var<T> mu, Var<T> logvar, T beta);

/// Number of rows whose arg-max equals the label (first maximum on ties, as torch.argmax).
template <class T>
std::size_t count_correct(const Tensor<T>& logits, const Labels& labels);

}  // namespace gt::nn
