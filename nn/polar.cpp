#include "nn/polar.hpp"

#include <cmath>
#include <string>

#include <xtensor-blas/xlinalg.hpp>

#include "autodiff/gemm.hpp"

namespace gt::nn {

namespace {
template <class T>
void check_matrix(const Tensor<T>& a, const char* who) {
    if (a.dimension() != 2 || a.size() == 0)
        throw ShapeError(std::string(who) + ": expected a non-empty 2-D matrix, got " + shape_str(shape_of(a)));
}
}  // namespace

template <class T>
void newton_schulz_polar(const Tensor<T>& a, int steps, Tensor<T>& q, PolarWorkspace<T>& ws) {
    check_matrix(a, "newton_schulz_polar");
    if (steps < 0) throw ValueError("newton_schulz_polar: expected steps >= 0, got " + std::to_string(steps));
    const std::size_t m = a.shape(0), n = a.shape(1);
    T sq = T(0);
    for (const T v : a) sq += v * v;
    const T scale = T(1) / (std::sqrt(sq) + T(1e-8));
    if (q.shape() != a.shape()) q.resize(a.shape());
    const T* ap = a.data();
    T* x = q.data();
    for (std::size_t i = 0; i < a.size(); ++i) x[i] = ap[i] * scale;
    if (shape_of(ws.p) != Shape{n, n}) ws.p.resize({n, n});
    if (ws.next.shape() != a.shape()) ws.next.resize(a.shape());
    for (int it = 0; it < steps; ++it) {
        // S = XᵀX and P = 3S² = 3SᵀS are symmetric: syrk does half the work of a GEMM.
        if (shape_of(ws.s) != Shape{n, n}) ws.s.resize({n, n});
        syrk_raw<T>(true, n, m, T(1), q.data(), n, T(0), ws.s.data(), n);        // S = XᵀX
        syrk_raw<T>(true, n, n, T(3), ws.s.data(), n, T(0), ws.p.data(), n);     // P = 3S²
        T* p = ws.p.data();
        const T* s = ws.s.data();
        for (std::size_t i = 0; i < n * n; ++i) p[i] -= T(10) * s[i];  // P −= 10S
        for (std::size_t i = 0; i < n; ++i) p[i * n + i] += T(15);    // P += 15I
        gemm<T>(q, false, ws.p, false, ws.next, T(1) / T(8), T(0), "newton_schulz X·P/8");
        std::swap(q, ws.next);
    }
}

template <class T>
void svd_polar(const Tensor<T>& a, Tensor<T>& q) {
    check_matrix(a, "svd_polar");
    auto usv = xt::linalg::svd(a, false, true);
    const Tensor<T> u = std::get<0>(usv), vt = std::get<2>(usv);
    gemm<T>(u, false, vt, false, q, T(1), T(0), "svd_polar U·Vᵀ");
}

template void newton_schulz_polar(const Tensor<float>&, int, Tensor<float>&, PolarWorkspace<float>&);
template void newton_schulz_polar(const Tensor<double>&, int, Tensor<double>&, PolarWorkspace<double>&);
template void svd_polar(const Tensor<float>&, Tensor<float>&);
template void svd_polar(const Tensor<double>&, Tensor<double>&);

}  // namespace gt::nn
