#include "analysis/agop.hpp"

#include <cmath>
#include <string>

#include "analysis/covariance_tracking.hpp"
#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

template <class T>
Tensor<T> agop_outputs(Tape<T>& tape, Var<T> x, Var<T> out) {
    const char* where = "agop_outputs";
    const Tensor<T>& xv = tape.value(x);
    const Tensor<T>& ov = tape.value(out);
    if (ov.dimension() != 2 || xv.dimension() < 2 || ov.shape()[0] != xv.shape()[0])
        throw ShapeError(std::string(where) + ": expected outputs (N × K) for inputs (N, ...), got outputs " +
                         shape_str(shape_of(ov)) + " and inputs " + shape_str(shape_of(xv)));
    const std::size_t n = ov.shape()[0], k = ov.shape()[1], d = xv.size() / n;
    Tensor<T> sum = xt::zeros<T>({d, d});
    Tensor<T> seed = xt::zeros<T>(ov.shape());
    for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t i = 0; i < n; ++i) seed(i, c) = T(1);
        const Tensor<T> g = samples_as_rows(tape.grad(out, {x}, seed)[0], where);
        gemm<T>(g, true, g, false, sum, T(1), T(1), where);
        for (std::size_t i = 0; i < n; ++i) seed(i, c) = T(0);
    }
    sum /= T(n);
    return sum;
}

template <class T>
Tensor<T> agop_loss(Tape<T>& tape, Var<T> x, Var<T> loss) {
    const Tensor<T> g = samples_as_rows(tape.grad(loss, {x})[0], "agop_loss");
    Tensor<T> a = cross_rows(g, g, "agop_loss");
    a /= T(g.shape()[0]);
    return a;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size() || a.size() < 2)
        throw ValueError("pearson: expected two sequences of equal length >= 2, got " + std::to_string(a.size()) +
                         " and " + std::to_string(b.size()));
    const double n = double(a.size());
    double ma = 0, mb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    if (!(saa > 0) || !(sbb > 0)) throw ValueError("pearson: a sequence is constant, the correlation is undefined");
    return sab / std::sqrt(saa * sbb);
}

template <class T>
double diagonal_pearson(const Tensor<T>& a, const Tensor<T>& b) {
    if (a.dimension() != 2 || a.shape()[0] != a.shape()[1] || shape_of(a) != shape_of(b))
        throw ShapeError("diagonal_pearson: expected two square matrices of the same size, got " +
                         shape_str(shape_of(a)) + " and " + shape_str(shape_of(b)));
    std::vector<double> da(a.shape()[0]), db(a.shape()[0]);
    for (std::size_t i = 0; i < da.size(); ++i) da[i] = double(a(i, i)), db[i] = double(b(i, i));
    return pearson(da, db);
}

#define GT_INSTANTIATE(T)                                                  \
    template Tensor<T> agop_outputs<T>(Tape<T>&, Var<T>, Var<T>);         \
    template Tensor<T> agop_loss<T>(Tape<T>&, Var<T>, Var<T>);            \
    template double diagonal_pearson<T>(const Tensor<T>&, const Tensor<T>&);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
