#include "analysis/matrix.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <xtensor-blas/xlinalg.hpp>

#include "autodiff/gemm.hpp"

namespace gt::analysis {

template <class T>
void require_matrix(const Tensor<T>& t, const char* where, const char* what) {
    if (t.dimension() != 2)
        throw ShapeError(std::string(where) + ": expected " + what + " to be a 2-D matrix, got " +
                         shape_str(shape_of(t)));
}

template <class T>
Tensor<T> cross_rows(const Tensor<T>& a, const Tensor<T>& b, const char* where) {
    require_matrix(a, where, "the left factor");
    require_matrix(b, where, "the right factor");
    if (a.shape()[0] != b.shape()[0])
        throw ShapeError(std::string(where) + ": expected both factors to have the same number of rows (samples), got " +
                         shape_str(shape_of(a)) + " and " + shape_str(shape_of(b)));
    return matmul_plain<T>(a, b, true, false, where);
}

template <class T>
double frobenius(const Tensor<T>& a) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) s += double(a.data()[i]) * double(a.data()[i]);
    return std::sqrt(s);
}

template <class T>
double relative_residual(const Tensor<T>& a, const Tensor<T>& b, const char* where) {
    if (shape_of(a) != shape_of(b))
        throw ShapeError(std::string(where) + ": expected equal shapes, got " + shape_str(shape_of(a)) + " and " +
                         shape_str(shape_of(b)));
    double d = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double e = double(a.data()[i]) - double(b.data()[i]);
        d += e * e;
    }
    const double nb = frobenius(b);
    return nb > 0.0 ? std::sqrt(d) / nb : std::sqrt(d);
}

namespace {

// Lower Cholesky factor of g + ridge·I, or false if the matrix is not (numerically) positive definite.
template <class T>
bool cholesky_lower(const Tensor<T>& g, double ridge, Tensor<T>& l) {
    Tensor<T> m = g;
    const std::size_t d = g.shape()[0];
    for (std::size_t i = 0; i < d; ++i) m(i, i) += T(ridge);
    if (d == 1) {  // xtensor-blas asserts on 1×1 input; the factor is the square root
        if (!(m(0, 0) > T(0))) return false;
        l = m;
        l(0, 0) = std::sqrt(m(0, 0));
        return true;
    }
    try {
        l = xt::linalg::cholesky(m);
    } catch (const std::runtime_error&) {
        return false;
    }
    // A singular matrix can factor with a pivot at rounding level (its sign decided by the order of the
    // sums), so a pivot² below d·ε·max diag counts as zero: the matrix is numerically singular. With a
    // ridge λ > 0 every exact pivot² is ≥ λ, so a pivot² ≥ λ/2 is always accepted.
    double max_diag = 0.0;
    for (std::size_t i = 0; i < d; ++i) max_diag = std::max(max_diag, std::abs(double(m(i, i))));
    double zero_pivot = double(d) * double(std::numeric_limits<T>::epsilon()) * max_diag;
    if (ridge > 0.0) zero_pivot = std::min(zero_pivot, 0.5 * ridge);
    for (std::size_t i = 0; i < d; ++i) {
        const double p = double(l(i, i));
        if (!(p > 0.0) || !std::isfinite(p) || p * p <= zero_pivot) return false;
    }
    return true;
}

}  // namespace

template <class T>
NormalSolve<T> solve_normal_equations(const Tensor<T>& g, const Tensor<T>& b, double lambda, const char* where) {
    require_matrix(g, where, "the Gram matrix");
    require_matrix(b, where, "the right-hand side");
    const std::size_t d = g.shape()[0];
    if (g.shape()[1] != d || b.shape()[0] != d)
        throw ShapeError(std::string(where) + ": expected a square d×d Gram and a d×k right-hand side, got " +
                         shape_str(shape_of(g)) + " and " + shape_str(shape_of(b)));
    if (!(lambda >= 0.0) || !std::isfinite(lambda))
        throw ValueError(std::string(where) + ": expected a ridge lambda >= 0, got " + std::to_string(lambda));
    NormalSolve<T> r;
    r.ridge = lambda;
    Tensor<T> l;
    if (!cholesky_lower(g, r.ridge, l)) {
        r.ridge = lambda + kFallbackRidge;
        if (!cholesky_lower(g, r.ridge, l))
            throw ValueError(std::string(where) + ": the normal equations are not positive definite even with ridge " +
                             std::to_string(r.ridge) + " (check the features for NaN/Inf)");
    }
    // L Lᵀ X = B: forward substitution for Lᵀ X, then back substitution (k right-hand sides at once).
    const std::size_t k = b.shape()[1];
    Tensor<T> x = b;
    for (std::size_t i = 0; i < d; ++i) {
        for (std::size_t j = 0; j < i; ++j)
            for (std::size_t c = 0; c < k; ++c) x(i, c) -= l(i, j) * x(j, c);
        for (std::size_t c = 0; c < k; ++c) x(i, c) /= l(i, i);
    }
    for (std::size_t ii = d; ii-- > 0;) {
        for (std::size_t j = ii + 1; j < d; ++j)
            for (std::size_t c = 0; c < k; ++c) x(ii, c) -= l(j, ii) * x(j, c);
        for (std::size_t c = 0; c < k; ++c) x(ii, c) /= l(ii, ii);
    }
    r.x = std::move(x);
    return r;
}

#define GT_INSTANTIATE(T)                                                                               \
    template void require_matrix<T>(const Tensor<T>&, const char*, const char*);                      \
    template Tensor<T> cross_rows<T>(const Tensor<T>&, const Tensor<T>&, const char*);                \
    template double frobenius<T>(const Tensor<T>&);                                                    \
    template double relative_residual<T>(const Tensor<T>&, const Tensor<T>&, const char*);            \
    template NormalSolve<T> solve_normal_equations<T>(const Tensor<T>&, const Tensor<T>&, double, const char*);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
