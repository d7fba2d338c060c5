// Average Gradient Outer Product (§1.7) and the Pearson correlation used to compare Gram diagonals
// (Fig. 7).
//   agop_outputs: (1/N) Σ_i Σ_c ∇_{x_i} f_c ∇_{x_i} f_cᵀ, one backward per output c seeded with the
//                 one-hot upstream e_c on every row. It assumes that output row i depends only on
//                 input row i (no coupling across the batch).
//   agop_loss:    (1/N) Σ_i ∇_{x_i} L ∇_{x_i} Lᵀ with the gradient the tape gives; for a mean loss each
//                 row carries the 1/N factor.
// Neither touches parameter gradients (they use tape.grad(out, {x}, upstream)), but each runs its own
// backward passes: read the gradients of the training backward (tape.grad(v)) before calling them.
#pragma once

#include <vector>

#include "autodiff/tape.hpp"

namespace gt::analysis {

/// x: an input node (N, ...) that requires grad; out: (N × K). Returns D × D, D = numel per sample.
template <class T>
Tensor<T> agop_outputs(Tape<T>& tape, Var<T> x, Var<T> out);

/// loss: a one-element node.
template <class T>
Tensor<T> agop_loss(Tape<T>& tape, Var<T> x, Var<T> loss);

/// Pearson correlation of two equally long sequences (throws if either is constant).
double pearson(const std::vector<double>& a, const std::vector<double>& b);

/// Pearson correlation of the diagonals of two square matrices of the same size.
template <class T>
double diagonal_pearson(const Tensor<T>& a, const Tensor<T>& b);

}  // namespace gt::analysis
