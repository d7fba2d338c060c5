// The Feature Learning Equation (paper Eq. 1): for a linear map z = W h,
//     ∇_h L · hᵀ  =  Wᵀ ∇_W L          (both sides d_in × d_in).
// Over a mini-batch the left side is Σ_i ∇_{h_i}L h_iᵀ; with a mean loss each ∇_{h_i}L already carries
// the 1/B factor, so no further normalisation is applied. A bias added to z changes neither side.
//
// Convolution form (App. C.1): with U = unfold(x) of shape (B, D, L) (patches as columns) and the
// kernel viewed as W̃ (Cout, D), the identity reads Σ_{b,l} ∇_{u_bl}L u_blᵀ = W̃ᵀ ∇_W̃ L.
#pragma once

#include "autodiff/tape.hpp"

namespace gt::analysis {

template <class T>
struct FlSides {
    Tensor<T> lhs;          // ∇_h L · hᵀ  (feature evolution), d_in × d_in
    Tensor<T> rhs;          // Wᵀ ∇_W L    (weight update),     d_in × d_in
    double residual = 0.0;  // ‖lhs − rhs‖_F / ‖rhs‖_F
};

/// From tensors: h and dh are N × d_in (samples as rows), w and dw are out × d_in.
template <class T>
FlSides<T> feature_learning(const Tensor<T>& h, const Tensor<T>& dh, const Tensor<T>& w, const Tensor<T>& dw);

/// Off a tape after backward: h is the node the linear layer multiplies, w its weight (a parameter
/// leaf, or any node of shape out × d_in). Parameter gradients accumulate, so zero them before the
/// backward pass that this reads.
template <class T>
FlSides<T> feature_learning(const Tape<T>& tape, Var<T> h, Var<T> w);

/// Convolution form from tensors: u and du are (B, D, L); w and dw the kernel (Cout, Cin, kh, kw) or
/// its flattened view (Cout, D).
template <class T>
FlSides<T> feature_learning_conv(const Tensor<T>& u, const Tensor<T>& du, const Tensor<T>& w, const Tensor<T>& dw);

/// Convolution form off a tape: u is the unfold node, w the kernel node (4-D or flattened).
template <class T>
FlSides<T> feature_learning_conv(const Tape<T>& tape, Var<T> u, Var<T> w);

/// Patches as sample rows: (B, D, L) → (B·L, D), row b·L + l holding column l of U_b.
template <class T>
Tensor<T> patches_as_rows(const Tensor<T>& u, const char* where);

/// A kernel (Cout, ...) viewed as the matrix W̃ (Cout, D); a 2-D input is returned unchanged.
template <class T>
Tensor<T> kernel_as_matrix(const Tensor<T>& w, const char* where);

}  // namespace gt::analysis
