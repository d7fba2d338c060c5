#include "analysis/surrogate.hpp"

#include <string>

#include "analysis/matrix.hpp"
#include "analysis/pca.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

namespace {

template <class T>
double squared_norm(const Tensor<T>& a) {
    const double f = frobenius(a);
    return f * f;
}

}  // namespace

template <class T>
SurrogateResult surrogate(const Tensor<T>& h, const Tensor<T>& w, const Tensor<T>& y, const SurrogateOptions& o) {
    const char* where = "surrogate";
    require_matrix(h, where, "the features H (N × d)");
    require_matrix(w, where, "the weight W (out × d)");
    require_matrix(y, where, "the target Y (N × C)");
    if (w.shape()[1] != h.shape()[1] || y.shape()[0] != h.shape()[0])
        throw ShapeError(std::string(where) + ": expected H (N × d), W (out × d), Y (N × C), got H " +
                         shape_str(shape_of(h)) + ", W " + shape_str(shape_of(w)) + ", Y " + shape_str(shape_of(y)));
    Tensor<T> z = matmul_plain<T>(h, w, false, true, where);  // Z = H Wᵀ
    if (z.shape()[1] > o.pca_above) z = pca_project(z, o.pca_dim);
    SurrogateResult r;
    r.width = z.shape()[1];
    r.s = squared_norm(cross_rows(z, y, where));  // Σ_c ‖Zᵀy_c‖²
    r.s_mean = r.s / double(y.shape()[1]);
    r.z_norm2 = squared_norm(z);
    return r;
}

template <class T>
SurrogateResult surrogate_from_moments(const Tensor<T>& hth, const Tensor<T>& hty, const Tensor<T>& sum_h,
                                       std::size_t n, const Tensor<T>& w, const SurrogateOptions& o) {
    const char* where = "surrogate_from_moments";
    require_matrix(hth, where, "HᵀH");
    require_matrix(hty, where, "HᵀY");
    require_matrix(w, where, "the weight W (out × d)");
    const std::size_t d = hth.shape()[0];
    if (hth.shape()[1] != d || hty.shape()[0] != d || w.shape()[1] != d)
        throw ShapeError(std::string(where) + ": expected HᵀH (d × d), HᵀY (d × C), W (out × d), got " +
                         shape_str(shape_of(hth)) + ", " + shape_str(shape_of(hty)) + ", " + shape_str(shape_of(w)));
    // Moments of Z = H Wᵀ: ZᵀY = W HᵀY, ZᵀZ = W HᵀH Wᵀ, Σz = W Σh.
    Tensor<T> zty = matmul_plain<T>(w, hty, false, false, where);
    Tensor<T> ztz = matmul_plain<T>(matmul_plain<T>(w, hth, false, false, where), w, false, true, where);
    SurrogateResult r;
    r.width = w.shape()[0];
    if (w.shape()[0] > o.pca_above) {
        Tensor<T> sum_z = Tensor<T>::from_shape({w.shape()[0]});
        for (std::size_t i = 0; i < w.shape()[0]; ++i) {
            double s = 0.0;
            for (std::size_t j = 0; j < d; ++j) s += double(w(i, j)) * double(sum_h(j));
            sum_z(i) = T(s);
        }
        const Pca<T> p = pca_fit_from_moments(ztz, sum_z, n, o.pca_dim);
        zty = matmul_plain<T>(p.components, zty, true, false, where);
        ztz = matmul_plain<T>(matmul_plain<T>(p.components, ztz, true, false, where), p.components, false, false, where);
        r.width = o.pca_dim;
    }
    r.s = squared_norm(zty);
    r.s_mean = r.s / double(hty.shape()[1]);
    double trace = 0.0;
    for (std::size_t i = 0; i < ztz.shape()[0]; ++i) trace += double(ztz(i, i));
    r.z_norm2 = trace;
    return r;
}

#define GT_INSTANTIATE(T)                                                                                     \
    template SurrogateResult surrogate<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,              \
                                          const SurrogateOptions&);                                          \
    template SurrogateResult surrogate_from_moments<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, \
                                                       std::size_t, const Tensor<T>&, const SurrogateOptions&);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
