#include "autodiff/ops_norm.hpp"

#include <cmath>
#include <string>

namespace gt {

// Per row of D entries: μ, σ² (biased, about μ: two loops over the row while it is in cache), rstd =
// 1/√(σ² + eps), x̂ = (x − μ)·rstd, y = x̂ ⊙ γ + β. Statistics are accumulated in double for both types.
// scratch = (rows, 2): μ and rstd of each row, so the backward recomputes x̂ without a second mean pass.
// Backward, ĝ = g ⊙ γ: ∂x = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) (written: it covers all of ∂x);
// ∂γ += Σ_rows g ⊙ x̂; ∂β += Σ_rows g.
template <class T>
Var<T> layer_norm(Var<T> x, Var<T> gamma, Var<T> beta, double eps) {
    Tape<T>& t = tape_of(x, "layer_norm");
    const TensorShape& sx = t.value(x).shape();
    if (sx.empty()) throw ShapeError("layer_norm: expected an input (..., D) of rank ≥ 1, got a 0-d input ()");
    const std::size_t D = sx.back();
    if (D == 0) throw ShapeError("layer_norm: the last axis is empty, got input " + shape_str(to_shape(sx)));
    if (!(eps >= 0.0)) throw ValueError("layer_norm: expected eps ≥ 0, got " + std::to_string(eps));
    const bool has_gamma = gamma.valid(), has_beta = beta.valid();
    for (auto [p, name] : {std::pair{gamma, "gamma"}, std::pair{beta, "beta"}}) {
        if (!p.valid()) continue;
        same_tape(x, p, "layer_norm");
        const TensorShape& sp = t.value(p).shape();
        if (sp.size() != 1 || sp[0] != D)
            throw ShapeError(std::string("layer_norm: expected ") + name + " of shape " + shape_str(Shape{D}) +
                             " for input " + shape_str(to_shape(sx)) + ", got " + shape_str(to_shape(sp)));
    }
    const std::size_t rows = t.value(x).size() / D;
    Var<T> out = has_gamma && has_beta ? t.push("layer_norm", sx, {x, gamma, beta})
                 : has_gamma           ? t.push("layer_norm", sx, {x, gamma})
                 : has_beta            ? t.push("layer_norm", sx, {x, beta})
                                       : t.push("layer_norm", sx, {x});
    Tensor<T>& stats = t.scratch(out);
    if (stats.size() != 2 * rows) stats.resize({rows, 2});
    const T* xp = t.value(x).data();
    const T* gp = has_gamma ? t.value(gamma).data() : nullptr;
    const T* bp = has_beta ? t.value(beta).data() : nullptr;
    T* yp = t.mutable_value(out).data();
    T* st = stats.data();
    for (std::size_t r = 0; r < rows; ++r) {
        const T* xr = xp + r * D;
        T* yr = yp + r * D;
        double mean = 0.0, var = 0.0;
        for (std::size_t j = 0; j < D; ++j) mean += double(xr[j]);
        mean /= double(D);
        for (std::size_t j = 0; j < D; ++j) var += (double(xr[j]) - mean) * (double(xr[j]) - mean);
        var /= double(D);
        const double rstd = 1.0 / std::sqrt(var + eps);
        for (std::size_t j = 0; j < D; ++j) {
            T v = T((double(xr[j]) - mean) * rstd);
            if (gp) v *= gp[j];
            if (bp) v += bp[j];
            yr[j] = v;
        }
        st[2 * r] = T(mean);
        st[2 * r + 1] = T(rstd);
    }
    t.set_backward(out, [rows, D, has_gamma, has_beta](Tape<T>& t, int self) {
        const auto& ps = t.parents(self);
        const int ix = ps[0], ig = has_gamma ? ps[1] : -1, ib = has_beta ? ps[has_gamma ? 2 : 1] : -1;
        const T* g = t.grad_of(self).data();
        const T* xp = t.value(ix).data();
        const T* st = t.scratch(self).data();
        const T* gam = has_gamma ? t.value(ig).data() : nullptr;
        const bool need_x = t.needs_grad(ix), need_g = has_gamma && t.needs_grad(ig),
                   need_b = has_beta && t.needs_grad(ib);
        bool fresh = false;
        T* gx = need_x ? t.grad_write(ix, fresh).data() : nullptr;
        T* gg = need_g ? t.grad_acc(ig).data() : nullptr;
        T* gb = need_b ? t.grad_acc(ib).data() : nullptr;
        for (std::size_t r = 0; r < rows; ++r) {
            const T *xr = xp + r * D, *gr = g + r * D;
            const double mean = double(st[2 * r]), rstd = double(st[2 * r + 1]);
            double sum_gh = 0.0, sum_ghx = 0.0;  // Σ ĝ and Σ ĝ ⊙ x̂ over the row
            for (std::size_t j = 0; j < D; ++j) {
                const double xh = (double(xr[j]) - mean) * rstd;
                const double gh = gam ? double(gr[j]) * double(gam[j]) : double(gr[j]);
                sum_gh += gh;
                sum_ghx += gh * xh;
                if (gg) gg[j] += T(double(gr[j]) * xh);
                if (gb) gb[j] += gr[j];
            }
            if (!gx) continue;
            const double mean_gh = sum_gh / double(D), mean_ghx = sum_ghx / double(D);
            T* gxr = gx + r * D;
            for (std::size_t j = 0; j < D; ++j) {
                const double xh = (double(xr[j]) - mean) * rstd;
                const double gh = gam ? double(gr[j]) * double(gam[j]) : double(gr[j]);
                const T d = T(rstd * (gh - mean_gh - xh * mean_ghx));
                if (fresh) gxr[j] = d;
                else gxr[j] += d;
            }
        }
    });
    return out;
}

template Var<float> layer_norm(Var<float>, Var<float>, Var<float>, double);
template Var<double> layer_norm(Var<double>, Var<double>, Var<double>, double);

}  // namespace gt
