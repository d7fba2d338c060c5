// Small dense helpers shared by the analysis module: shape checks that name the caller, AᵀB through the
// one GEMM wrapper, norms, relative residuals, and a Cholesky solve of d×d normal equations.
#pragma once

#include <string>

#include "autodiff/tensor.hpp"

namespace gt::analysis {

/// Throws ShapeError "<where>: expected <what> to be a 2-D matrix, got (..)" unless t is 2-D.
template <class T>
void require_matrix(const Tensor<T>& t, const char* where, const char* what);

/// AᵀB for sample-by-row matrices A (N×p), B (N×q): Σ_i a_i b_iᵀ, a p×q matrix (never N×N).
template <class T>
Tensor<T> cross_rows(const Tensor<T>& a, const Tensor<T>& b, const char* where);

/// Frobenius norm, accumulated in double.
template <class T>
double frobenius(const Tensor<T>& a);

/// ‖a − b‖_F / ‖b‖_F, or ‖a − b‖_F when b is zero (shapes must match).
template <class T>
double relative_residual(const Tensor<T>& a, const Tensor<T>& b, const char* where);

/// Solution X of (G + ridge·I) X = B for symmetric positive semi-definite G (d×d), B (d×k), by
/// Cholesky and two triangular substitutions; never an explicit inverse.
/// If G + lambda·I is not positive definite, retries once with an extra ridge of 1e-5 (what the
/// paper's reference code does on a failed inverse) and reports the total ridge added to G.
template <class T>
struct NormalSolve {
    Tensor<T> x;
    double ridge = 0.0;  // the total multiple of I added to G (lambda, plus 1e-5 if that was needed)
};
template <class T>
NormalSolve<T> solve_normal_equations(const Tensor<T>& g, const Tensor<T>& b, double lambda, const char* where);

/// The fallback ridge added when the normal equations are not positive definite.
inline constexpr double kFallbackRidge = 1e-5;

}  // namespace gt::analysis
