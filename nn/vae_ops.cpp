#include "nn/vae_ops.hpp"

#include <algorithm>
#include <cmath>

namespace gt::nn {

template <class T>
Var<T> reparameterize(Var<T> mu, Var<T> logvar, const Tensor<T>& eps) {
    Tape<T>& t = same_tape(mu, logvar, "reparameterize");
    const TensorShape &sm = t.value(mu).shape(), &sl = t.value(logvar).shape(), &se = eps.shape();
    if (sm != sl || sm != se)
        throw ShapeError("reparameterize: mu " + shape_str(to_shape(sm)) + ", logvar " + shape_str(to_shape(sl)) +
                         " and eps " + shape_str(to_shape(se)) + " must have the same shape");
    Var<T> out = t.push("reparameterize", sm, {mu, logvar});
    const std::size_t n = t.value(mu).size();
    Tensor<T>& e = t.scratch(out);  // eps, kept for backward
    if (e.shape() != eps.shape()) e.resize(eps.shape());
    std::copy(eps.data(), eps.data() + n, e.data());
    const T* m = t.value(mu).data();
    const T* lv = t.value(logvar).data();
    T* z = t.mutable_value(out).data();
    for (std::size_t i = 0; i < n; ++i) z[i] = m[i] + std::exp(T(0.5) * lv[i]) * eps.data()[i];
    t.set_backward(out, [n](Tape<T>& t, int self) {
        // ∂μ = g;  ∂logvar = g · ½·exp(½·logvar)·eps
        const int im = t.parents(self)[0], il = t.parents(self)[1];
        const T* g = t.grad_of(self).data();
        const T* e = t.scratch(self).data();
        if (t.needs_grad(im)) {
            T* gm = t.grad_acc(im).data();
            for (std::size_t i = 0; i < n; ++i) gm[i] += g[i];
        }
        if (t.needs_grad(il)) {
            const T* lv = t.value(il).data();
            T* gl = t.grad_acc(il).data();
            for (std::size_t i = 0; i < n; ++i) gl[i] += g[i] * T(0.5) * std::exp(T(0.5) * lv[i]) * e[i];
        }
    });
    return out;
}

template <class T>
Var<T> gaussian_kl(Var<T> mu, Var<T> logvar) {
    Tape<T>& t = same_tape(mu, logvar, "gaussian_kl");
    const TensorShape &sm = t.value(mu).shape(), &sl = t.value(logvar).shape();
    if (sm.size() != 2 || sm != sl)
        throw ShapeError("gaussian_kl: expected mu and logvar of the same 2-D shape (B, d), got mu " +
                         shape_str(to_shape(sm)) + " and logvar " + shape_str(to_shape(sl)));
    const std::size_t B = sm[0], n = t.value(mu).size();
    Var<T> out = t.push("gaussian_kl", Shape{}, {mu, logvar});
    const T* m = t.value(mu).data();
    const T* lv = t.value(logvar).data();
    T acc = T(0);
    for (std::size_t i = 0; i < n; ++i) acc += T(1) + lv[i] - m[i] * m[i] - std::exp(lv[i]);
    t.mutable_value(out).data()[0] = B ? T(-0.5) * acc / T(B) : T(0);
    t.set_backward(out, [B, n](Tape<T>& t, int self) {
        // ∂μ = g·μ/B;  ∂logvar = g·½(exp(logvar) − 1)/B
        const int im = t.parents(self)[0], il = t.parents(self)[1];
        const T g = t.grad_of(self).data()[0] / T(B);
        if (t.needs_grad(im)) {
            const T* m = t.value(im).data();
            T* gm = t.grad_acc(im).data();
            for (std::size_t i = 0; i < n; ++i) gm[i] += g * m[i];
        }
        if (t.needs_grad(il)) {
            const T* lv = t.value(il).data();
            T* gl = t.grad_acc(il).data();
            for (std::size_t i = 0; i < n; ++i) gl[i] += g * T(0.5) * (std::exp(lv[i]) - T(1));
        }
    });
    return out;
}

#define GT_INSTANTIATE(T)                                                  \
    template Var<T> reparameterize(Var<T>, Var<T>, const Tensor<T>&);      \
    template Var<T> gaussian_kl(Var<T>, Var<T>);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::nn
