// Staircase diagnostics (Fig. 8, App. B.4): the ridge-regularised OLS fit of the target on the features
//     y_OLS = H (HᵀH + εI)⁻¹ Hᵀ y,   ε = 0.01 in the reference code,
// and the three distances of the triangle ‖ŷ − y‖ ≤ ‖ŷ − y_OLS‖ + ‖y_OLS − y‖ (L2 over samples).
#pragma once

#include "autodiff/tensor.hpp"

namespace gt::analysis {

struct StaircaseNorms {
    double y_minus_ols = 0.0;     // ‖y − y_OLS‖
    double yhat_minus_ols = 0.0;  // ‖ŷ − y_OLS‖
    double y_minus_yhat = 0.0;    // ‖y − ŷ‖
    double ridge = 0.0;           // ε actually used (ε, plus 1e-5 if HᵀH + εI was not positive definite)
};

/// h: N × d features; y, y_hat: the target and the network output, (N,) or (N × k).
template <class T>
StaircaseNorms staircase(const Tensor<T>& h, const Tensor<T>& y, const Tensor<T>& y_hat, double eps = 0.01);

/// y_OLS itself, shaped like y.
template <class T>
Tensor<T> ridge_fit(const Tensor<T>& h, const Tensor<T>& y, double eps, double* ridge_used = nullptr);

}  // namespace gt::analysis
