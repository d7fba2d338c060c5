#include "analysis/target_linearity.hpp"

#include <string>

#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

template <class T>
double centred_total(const Tensor<T>& y, DenominatorCentring centring) {
    require_matrix(y, "target_linearity", "the target Y (N × C)");
    const std::size_t n = y.shape()[0], c = y.shape()[1];
    double total = 0.0;
    if (c == 1 || centring == DenominatorCentring::Column) {
        for (std::size_t j = 0; j < c; ++j) {
            double mean = 0.0;
            for (std::size_t i = 0; i < n; ++i) mean += double(y(i, j));
            mean /= double(n);
            for (std::size_t i = 0; i < n; ++i) total += (double(y(i, j)) - mean) * (double(y(i, j)) - mean);
        }
    } else {  // the reference code's row-mean quirk
        for (std::size_t i = 0; i < n; ++i) {
            double mean = 0.0;
            for (std::size_t j = 0; j < c; ++j) mean += double(y(i, j));
            mean /= double(c);
            for (std::size_t j = 0; j < c; ++j) total += (double(y(i, j)) - mean) * (double(y(i, j)) - mean);
        }
    }
    return total;
}

template <class T>
TlResult target_linearity(const Tensor<T>& h, const Tensor<T>& y, const TlOptions& options) {
    const char* where = "target_linearity";
    require_matrix(h, where, "the features H (N × d)");
    require_matrix(y, where, "the target Y (N × C)");
    if (h.shape()[0] != y.shape()[0])
        throw ShapeError(std::string(where) + ": expected H and Y to have the same number of samples, got H " +
                         shape_str(shape_of(h)) + " and Y " + shape_str(shape_of(y)));
    if (h.shape()[0] < 2)
        throw ValueError(std::string(where) + ": expected at least 2 samples, got " + std::to_string(h.shape()[0]));
    const Tensor<T> g = cross_rows(h, h, where);   // HᵀH (d × d)
    const Tensor<T> hy = cross_rows(h, y, where);  // HᵀY (d × C)
    const NormalSolve<T> s = solve_normal_equations(g, hy, options.lambda, where);
    Tensor<T> fit = matmul_plain<T>(h, s.x, false, false, where);  // Ŷ = H B (N × C)
    double residual = 0.0;
    for (std::size_t i = 0; i < fit.size(); ++i) {
        const double e = double(y.data()[i]) - double(fit.data()[i]);
        residual += e * e;
    }
    TlResult r;
    r.residual_ss = residual;
    r.total_ss = centred_total(y, options.centring);
    r.ridge = s.ridge;
    if (!(r.total_ss > 0.0))
        throw ValueError(std::string(where) + ": the centred target has zero variance (constant Y), TL is undefined");
    r.tl = 1.0 - r.residual_ss / r.total_ss;
    return r;
}

template <class T>
TlResult target_linearity_vector(const Tensor<T>& h, const Tensor<T>& y, const TlOptions& options) {
    if (y.dimension() == 1) {
        Tensor<T> col = y;
        col.reshape({y.size(), std::size_t(1)});
        return target_linearity<T>(h, col, options);
    }
    if (y.dimension() != 2 || y.shape()[1] != 1)
        throw ShapeError("target_linearity_vector: expected y of shape (N,) or (N, 1), got " + shape_str(shape_of(y)));
    return target_linearity<T>(h, y, options);
}

template <class T>
Tensor<T> centred_one_hot(const Labels& labels, std::size_t num_classes) {
    if (num_classes == 0) throw ValueError("centred_one_hot: expected at least one class, got 0");
    if (labels.empty()) throw ValueError("centred_one_hot: expected at least one label, got none");
    const std::size_t n = labels.size();
    Tensor<T> y = xt::zeros<T>({n, num_classes});
    for (std::size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || std::size_t(labels[i]) >= num_classes)
            throw ValueError("centred_one_hot: expected labels in [0, " + std::to_string(num_classes) + "), got " +
                             std::to_string(labels[i]) + " at sample " + std::to_string(i));
        y(i, std::size_t(labels[i])) = T(1);
    }
    for (std::size_t c = 0; c < num_classes; ++c) {
        double mean = 0.0;
        for (std::size_t i = 0; i < n; ++i) mean += double(y(i, c));
        mean /= double(n);
        for (std::size_t i = 0; i < n; ++i) y(i, c) -= T(mean);
    }
    return y;
}

#define GT_INSTANTIATE(T)                                                                    \
    template double centred_total<T>(const Tensor<T>&, DenominatorCentring);                \
    template TlResult target_linearity<T>(const Tensor<T>&, const Tensor<T>&, const TlOptions&); \
    template TlResult target_linearity_vector<T>(const Tensor<T>&, const Tensor<T>&, const TlOptions&); \
    template Tensor<T> centred_one_hot<T>(const Labels&, std::size_t);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
