// Matrix products on the tape; all go through the GEMM wrapper.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

/// op(a) · op(b), op(x) = x or xᵀ by the flags: a (m×k) · b (k×n), or batched a (B×m×k) · b (B×k×n)
/// with each batch's matrix transposed by the flags. A transposed operand is read in place (no copy).
template <class T> Var<T> matmul(Var<T> a, Var<T> b, bool transpose_a = false, bool transpose_b = false);

/// y = x·Wᵀ + b, fused (PyTorch nn.Linear): x (..., in) with any leading axes (read as N×in rows, no
/// copy), W (out×in), b (out) or empty Var for none; y (..., out).
/// Backward: ∂x = g·W, ∂W += gᵀ·x (GEMM with beta = 1), ∂b += Σ_rows g.
template <class T> Var<T> linear(Var<T> x, Var<T> w, Var<T> b = Var<T>{});

}  // namespace gt
