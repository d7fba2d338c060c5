// PCA of a feature matrix H (N × d, samples as rows) to k dimensions.
// We use the exact symmetric eigendecomposition of the d × d covariance (LAPACK syevd through
// xt::linalg::eigh); the paper's reference code uses torch.pca_lowrank (a randomized method, niter 2),
// so its projections agree with ours only up to that method's approximation error.
// As in the reference code, the covariance is centred but the projection is applied to the
// *uncentred* H: P = H V.
#pragma once

#include "autodiff/tensor.hpp"

namespace gt::analysis {

template <class T>
struct Pca {
    Tensor<T> mean;        // (d,) column means of H
    Tensor<T> components;  // d × k, orthonormal columns, by decreasing variance; sign fixed so that the
                           // largest-magnitude entry of each column is positive
    Tensor<T> variances;   // (k,) eigenvalues of the covariance (1/(N−1) normalisation)
};

template <class T>
Pca<T> pca_fit(const Tensor<T>& h, std::size_t k);

/// The same from the sufficient statistics HᵀH (d × d), Σh (d,) and N (used by streaming).
template <class T>
Pca<T> pca_fit_from_moments(const Tensor<T>& hth, const Tensor<T>& sum_h, std::size_t n, std::size_t k);

/// H V with V the top-k components of H.
template <class T>
Tensor<T> pca_project(const Tensor<T>& h, std::size_t k);

/// The reference code's rule: project to k dims only if d > above (1000 → 256 there); else H unchanged.
template <class T>
Tensor<T> reduce_if_wide(const Tensor<T>& h, std::size_t above = 1000, std::size_t k = 256);

}  // namespace gt::analysis
