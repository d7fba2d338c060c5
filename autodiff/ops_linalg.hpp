// Matrix products on the tape; all go through the GEMM wrapper.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

/// a (m×k) · b (k×n); or batched a (B×m×k) · b (B×k×n).
template <class T> Var<T> matmul(Var<T> a, Var<T> b);

/// y = x·Wᵀ + b, fused (PyTorch nn.Linear): x (N×in), W (out×in), b (out) or empty Var for none.
/// Backward: ∂x = g·W, ∂W += gᵀ·x (GEMM with beta = 1), ∂b += Σ_rows g.
template <class T> Var<T> linear(Var<T> x, Var<T> w, Var<T> b = Var<T>{});

}  // namespace gt
