#include "analysis/pca.hpp"

#include <cmath>
#include <string>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

template <class T>
Pca<T> pca_fit_from_moments(const Tensor<T>& hth, const Tensor<T>& sum_h, std::size_t n, std::size_t k) {
    const char* where = "pca";
    require_matrix(hth, where, "HᵀH");
    const std::size_t d = hth.shape()[0];
    if (hth.shape()[1] != d || sum_h.dimension() != 1 || sum_h.size() != d)
        throw ShapeError(std::string(where) + ": expected HᵀH (d × d) and Σh (d,), got " + shape_str(shape_of(hth)) +
                         " and " + shape_str(shape_of(sum_h)));
    if (n < 2) throw ValueError(std::string(where) + ": expected at least 2 samples, got " + std::to_string(n));
    if (k == 0 || k > d)
        throw ValueError(std::string(where) + ": expected 1 <= k <= d = " + std::to_string(d) + ", got k = " +
                         std::to_string(k));
    // Covariance (HᵀH − N μμᵀ)/(N − 1), in double for the eigensolver.
    xt::xarray<double> cov = xt::zeros<double>({d, d});
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j)
            cov(i, j) = (double(hth(i, j)) - double(sum_h(i)) * double(sum_h(j)) / double(n)) / double(n - 1);
    auto [w, v] = xt::linalg::eigh(cov);  // ascending eigenvalues
    Pca<T> p;
    p.mean = Tensor<T>::from_shape({d});
    for (std::size_t i = 0; i < d; ++i) p.mean(i) = T(double(sum_h(i)) / double(n));
    p.components = Tensor<T>::from_shape({d, k});
    p.variances = Tensor<T>::from_shape({k});
    for (std::size_t c = 0; c < k; ++c) {
        const std::size_t src = d - 1 - c;
        std::size_t arg = 0;
        for (std::size_t i = 1; i < d; ++i)
            if (std::abs(v(i, src)) > std::abs(v(arg, src))) arg = i;
        const double sign = v(arg, src) < 0 ? -1.0 : 1.0;
        for (std::size_t i = 0; i < d; ++i) p.components(i, c) = T(sign * v(i, src));
        p.variances(c) = T(w(src));
    }
    return p;
}

template <class T>
Pca<T> pca_fit(const Tensor<T>& h, std::size_t k) {
    require_matrix(h, "pca", "the features H (N × d)");
    const Tensor<T> hth = cross_rows(h, h, "pca");
    const Tensor<T> sum_h = xt::sum(h, {0});
    return pca_fit_from_moments<T>(hth, sum_h, h.shape()[0], k);
}

template <class T>
Tensor<T> pca_project(const Tensor<T>& h, std::size_t k) {
    const Pca<T> p = pca_fit(h, k);
    return matmul_plain<T>(h, p.components, false, false, "pca_project");
}

template <class T>
Tensor<T> reduce_if_wide(const Tensor<T>& h, std::size_t above, std::size_t k) {
    require_matrix(h, "reduce_if_wide", "the features H (N × d)");
    if (h.shape()[1] <= above) return h;
    return pca_project(h, k);
}

#define GT_INSTANTIATE(T)                                                                         \
    template struct Pca<T>;                                                                      \
    template Pca<T> pca_fit<T>(const Tensor<T>&, std::size_t);                                   \
    template Pca<T> pca_fit_from_moments<T>(const Tensor<T>&, const Tensor<T>&, std::size_t, std::size_t); \
    template Tensor<T> pca_project<T>(const Tensor<T>&, std::size_t);                            \
    template Tensor<T> reduce_if_wide<T>(const Tensor<T>&, std::size_t, std::size_t);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
