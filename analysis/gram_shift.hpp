// Theorem 1 / Eq. (2): one gradient step W⁺ = W − γ∇_W L moves the weight Gram by
//     ΔG = W⁺ᵀW⁺ − WᵀW  =  VCS + R,
// where the Virtual Covariance Shift is VCS = Σ_i (h_i⁺h_i⁺ᵀ − h_ih_iᵀ) with the virtual update
// h⁺ = h − γ∇_h L (Definition 1), and the exact second-order remainder is
//     R = γ² ∇_W Lᵀ∇_W L − γ² Σ_i ∇_{h_i}L ∇_{h_i}Lᵀ.
// The first-order terms agree by the Feature Learning Equation, so ΔG − VCS = R holds to round-off
// and ‖ΔG − VCS‖ = ‖R‖ is O(γ²). Neither side uses Eq. (1): ΔG comes from the weight and its gradient
// only, VCS from the features and theirs. Both Gram differences are evaluated as DᵀA + AᵀD + DᵀD
// (exact) rather than by subtracting two rounded Grams, which would leave an error of order ε‖A‖².
#pragma once

#include "autodiff/tape.hpp"

namespace gt::analysis {

template <class T>
struct GramShift {
    Tensor<T> delta_gram;          // W⁺ᵀW⁺ − WᵀW for W⁺ = W + D, D = −γ∇_W L, as DᵀW + WᵀD + DᵀD
    Tensor<T> vcs;                 // Σ_i (h_i⁺h_i⁺ᵀ − h_ih_iᵀ), h⁺ = h + D_h, D_h = −γ∇_h L, in the same form
    Tensor<T> remainder;           // R (the exact γ² term)
    double residual_first = 0.0;   // ‖ΔG − VCS‖ / ‖ΔG‖     (Theorem 1 to first order)
    double residual_exact = 0.0;   // ‖ΔG − VCS − R‖ / ‖ΔG‖ (exact identity, round-off only)
    double abs_first = 0.0;        // ‖ΔG − VCS‖_F
};

/// h, dh: N × d_in (samples as rows); w, dw: out × d_in; gamma > 0 is the step size.
template <class T>
GramShift<T> gram_shift(const Tensor<T>& h, const Tensor<T>& dh, const Tensor<T>& w, const Tensor<T>& dw, T gamma);

template <class T>
GramShift<T> gram_shift(const Tape<T>& tape, Var<T> h, Var<T> w, T gamma);

/// Convolution form: u, du (B, D, L) are the unfold node's value and gradient (each patch is a
/// sample), w, dw the kernel (4-D or flattened to Cout × D).
template <class T>
GramShift<T> gram_shift_conv(const Tensor<T>& u, const Tensor<T>& du, const Tensor<T>& w, const Tensor<T>& dw,
                             T gamma);

template <class T>
GramShift<T> gram_shift_conv(const Tape<T>& tape, Var<T> u, Var<T> w, T gamma);

/// The virtual update h − γ∇_h L (any shape; h and dh must match).
template <class T>
Tensor<T> virtual_update(const Tensor<T>& h, const Tensor<T>& dh, T gamma, const char* where);

}  // namespace gt::analysis
