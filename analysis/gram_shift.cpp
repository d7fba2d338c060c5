#include "analysis/gram_shift.hpp"

#include <cmath>
#include <string>

#include "analysis/feature_learning.hpp"
#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

template <class T>
Tensor<T> virtual_update(const Tensor<T>& h, const Tensor<T>& dh, T gamma, const char* where) {
    if (shape_of(h) != shape_of(dh))
        throw ShapeError(std::string(where) + ": expected the features and their gradient to have the same shape, got " +
                         shape_str(shape_of(h)) + " and " + shape_str(shape_of(dh)));
    Tensor<T> out = h;
    const T* g = dh.data();
    T* o = out.data();
    for (std::size_t i = 0; i < out.size(); ++i) o[i] -= gamma * g[i];
    return out;
}

namespace {

// (A + D)ᵀ(A + D) − AᵀA = DᵀA + AᵀD + DᵀD for the step D = −γ∇_A L, evaluated term by term (an exact
// identity, no truncation in γ). Rounding A + D and subtracting two Grams would lose digits instead:
// the error ε‖A‖² is compared with ‖ΔG‖ ~ γ‖A‖‖∇_A L‖, which can be tiny (many samples, small γ).
template <class T>
Tensor<T> gram_difference(const Tensor<T>& a, const Tensor<T>& d, const char* where) {
    Tensor<T> out = cross_rows(d, a, where);
    gemm<T>(a, true, d, false, out, T(1), T(1), where);
    gemm<T>(d, true, d, false, out, T(1), T(1), where);
    return out;
}

}  // namespace

template <class T>
GramShift<T> gram_shift(const Tensor<T>& h, const Tensor<T>& dh, const Tensor<T>& w, const Tensor<T>& dw, T gamma) {
    const char* where = "gram_shift";
    if (!(gamma > T(0)) || !std::isfinite(double(gamma)))
        throw ValueError(std::string(where) + ": expected a step size gamma > 0, got " + std::to_string(double(gamma)));
    require_matrix(h, where, "the features h (N × d_in)");
    require_matrix(w, where, "the weight W (out × d_in)");
    if (h.shape()[1] != w.shape()[1])
        throw ShapeError(std::string(where) + ": expected h (N × d_in) and W (out × d_in) to share d_in, got h " +
                         shape_str(shape_of(h)) + " and W " + shape_str(shape_of(w)));
    if (shape_of(h) != shape_of(dh) || shape_of(w) != shape_of(dw))
        throw ShapeError(std::string(where) + ": expected h, W and their gradients to have the same shape, got h " +
                         shape_str(shape_of(h)) + ", ∇h " + shape_str(shape_of(dh)) + ", W " + shape_str(shape_of(w)) +
                         ", ∇W " + shape_str(shape_of(dw)));
    const Tensor<T> step_w = T(-gamma) * dw;  // the actual GD step on W
    const Tensor<T> step_h = T(-gamma) * dh;  // the virtual step on h

    GramShift<T> r;
    r.delta_gram = gram_difference(w, step_w, where);
    r.vcs = gram_difference(h, step_h, where);
    const T g2 = gamma * gamma;
    r.remainder = g2 * (cross_rows(dw, dw, where) - cross_rows(dh, dh, where));
    r.abs_first = frobenius(Tensor<T>(r.delta_gram - r.vcs));
    r.residual_first = relative_residual(r.vcs, r.delta_gram, where);
    r.residual_exact = relative_residual(Tensor<T>(r.vcs + r.remainder), r.delta_gram, where);
    return r;
}

template <class T>
GramShift<T> gram_shift(const Tape<T>& tape, Var<T> h, Var<T> w, T gamma) {
    return gram_shift<T>(tape.value(h), tape.grad(h), tape.value(w), tape.grad(w), gamma);
}

template <class T>
GramShift<T> gram_shift_conv(const Tensor<T>& u, const Tensor<T>& du, const Tensor<T>& w, const Tensor<T>& dw,
                             T gamma) {
    const char* where = "gram_shift_conv";
    return gram_shift<T>(patches_as_rows(u, where), patches_as_rows(du, where), kernel_as_matrix(w, where),
                         kernel_as_matrix(dw, where), gamma);
}

template <class T>
GramShift<T> gram_shift_conv(const Tape<T>& tape, Var<T> u, Var<T> w, T gamma) {
    return gram_shift_conv<T>(tape.value(u), tape.grad(u), tape.value(w), tape.grad(w), gamma);
}

#define GT_INSTANTIATE(T)                                                                                         \
    template struct GramShift<T>;                                                                                \
    template Tensor<T> virtual_update<T>(const Tensor<T>&, const Tensor<T>&, T, const char*);                    \
    template GramShift<T> gram_shift<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, T); \
    template GramShift<T> gram_shift<T>(const Tape<T>&, Var<T>, Var<T>, T);                                      \
    template GramShift<T> gram_shift_conv<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,               \
                                             const Tensor<T>&, T);                                               \
    template GramShift<T> gram_shift_conv<T>(const Tape<T>&, Var<T>, Var<T>, T);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
