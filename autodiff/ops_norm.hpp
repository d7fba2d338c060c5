// Layer normalisation over the last axis (nn.LayerNorm), fused: the forward and the backward each visit a row once.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

/// y = (x − μ)/√(σ² + eps) ⊙ γ + β per row of the last axis (biased variance, as PyTorch);
/// x (..., D), gamma and beta (D), or empty Vars for no affine part (each may be left out alone:
/// no γ scales by 1, no β shifts by 0). μ and 1/√(σ² + eps) of each row are kept for the backward.
template <class T> Var<T> layer_norm(Var<T> x, Var<T> gamma, Var<T> beta, double eps = 1e-5);

}  // namespace gt
