// Orthogonal polar factor Q = U·Vᵀ of A = U·Σ·Vᵀ, used by Gram whitening (paper §2, App. B.1).
#pragma once

#include "autodiff/tensor.hpp"

namespace gt::nn {

/// Buffers reused across calls (no allocation after the first call of a given shape).
template <class T>
struct PolarWorkspace {
    Tensor<T> s, p, next;
};

/// The paper's quintic Newton–Schulz iteration (code `src/utils.py::newtonschulz`), A (m×n):
///   X ← A / (‖A‖_F + 1e-8);  repeat `steps` times: S = XᵀX (n×n);  X ← X·(15I − 10S + 3S²)/8.
/// Singular values of X below ≈ (8/15)^steps have not reached 1 (§1.6), so Q is approximate there.
/// All products go through the GEMM wrapper. q is resized to (m, n).
template <class T>
void newton_schulz_polar(const Tensor<T>& a, int steps, Tensor<T>& q, PolarWorkspace<T>& ws);

/// Exact polar factor Q = U·Vᵀ from the thin SVD of a (LAPACK gesdd via xtensor-blas).
template <class T>
void svd_polar(const Tensor<T>& a, Tensor<T>& q);

}  // namespace gt::nn
