#include "analysis/staircase.hpp"

#include <string>

#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

namespace {

template <class T>
Tensor<T> as_columns(const Tensor<T>& y, std::size_t n, const char* what) {
    Tensor<T> m = y;
    if (y.dimension() == 1) m.reshape({y.size(), std::size_t(1)});
    if (m.dimension() != 2 || m.shape()[0] != n)
        throw ShapeError(std::string("staircase: expected ") + what + " of shape (" + std::to_string(n) + ",) or (" +
                         std::to_string(n) + ", k), got " + shape_str(shape_of(y)));
    return m;
}

}  // namespace

template <class T>
Tensor<T> ridge_fit(const Tensor<T>& h, const Tensor<T>& y, double eps, double* ridge_used) {
    require_matrix(h, "staircase", "the features H (N × d)");
    const Tensor<T> yc = as_columns(y, h.shape()[0], "y");
    const NormalSolve<T> s = solve_normal_equations(cross_rows(h, h, "staircase"), cross_rows(h, yc, "staircase"), eps,
                                                    "staircase");
    if (ridge_used) *ridge_used = s.ridge;
    Tensor<T> fit = matmul_plain<T>(h, s.x, false, false, "staircase");
    fit.reshape(shape_of(y));
    return fit;
}

template <class T>
StaircaseNorms staircase(const Tensor<T>& h, const Tensor<T>& y, const Tensor<T>& y_hat, double eps) {
    require_matrix(h, "staircase", "the features H (N × d)");
    const std::size_t n = h.shape()[0];
    const Tensor<T> yc = as_columns(y, n, "y");
    const Tensor<T> yhc = as_columns(y_hat, n, "y_hat");
    if (shape_of(yc) != shape_of(yhc))
        throw ShapeError("staircase: expected y and y_hat of the same shape, got " + shape_str(shape_of(y)) + " and " +
                         shape_str(shape_of(y_hat)));
    StaircaseNorms r;
    const Tensor<T> ols = ridge_fit(h, yc, eps, &r.ridge);
    r.y_minus_ols = frobenius(Tensor<T>(yc - ols));
    r.yhat_minus_ols = frobenius(Tensor<T>(yhc - ols));
    r.y_minus_yhat = frobenius(Tensor<T>(yc - yhc));
    return r;
}

#define GT_INSTANTIATE(T)                                                                                      \
    template Tensor<T> ridge_fit<T>(const Tensor<T>&, const Tensor<T>&, double, double*);                     \
    template StaircaseNorms staircase<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, double);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
