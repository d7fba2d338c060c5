#include "autodiff/ops_activation.hpp"

#include <cmath>

namespace gt {

namespace {

// Point-wise op skeleton over raw buffers: y = f(x); ∂x += g·df(x, y).
template <class T, class F, class DF>
Var<T> pointwise(const char* op, Var<T> a, F f, DF df) {
    Tape<T>& t = tape_of(a, op);
    Var<T> out = t.push(op, shape_of(t.value(a)), {a});
    const Tensor<T>& x = t.value(a);
    Tensor<T>& y = t.mutable_value(out);
    const std::size_t n = x.size();
    for (std::size_t i = 0; i < n; ++i) y.data()[i] = f(x.data()[i]);
    t.set_backward(out, [df](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* x = t.value(ia).data();
        const T* y = t.value(self).data();
        const T* g = t.grad_of(self).data();
        Tensor<T>& ga = t.grad_acc(ia);
        const std::size_t n = ga.size();
        for (std::size_t i = 0; i < n; ++i) ga.data()[i] += g[i] * df(x[i], y[i]);
    });
    return out;
}

}  // namespace

template <class T>
Var<T> relu(Var<T> a) {
    return pointwise<T>("relu", a, [](T x) { return x > T(0) ? x : T(0); },
                        [](T x, T) { return x > T(0) ? T(1) : T(0); });
}

template <class T>
Var<T> gelu(Var<T> a) {
    constexpr T inv_sqrt2 = T(0.70710678118654752440);
    constexpr T inv_sqrt_2pi = T(0.39894228040143267794);
    return pointwise<T>("gelu", a, [](T x) { return T(0.5) * x * (T(1) + std::erf(x * inv_sqrt2)); },
                        [](T x, T) {
                            return T(0.5) * (T(1) + std::erf(x * inv_sqrt2)) + x * inv_sqrt_2pi * std::exp(T(-0.5) * x * x);
                        });
}

template <class T>
Var<T> sigmoid(Var<T> a) {
    return pointwise<T>("sigmoid", a,
                        [](T x) { return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x)); },
                        [](T, T y) { return y * (T(1) - y); });
}

template <class T>
Var<T> tanh(Var<T> a) {
    return pointwise<T>("tanh", a, [](T x) { return std::tanh(x); }, [](T, T y) { return T(1) - y * y; });
}

template <class T>
Var<T> softplus(Var<T> a) {
    return pointwise<T>("softplus", a, [](T x) { return x > T(20) ? x : std::log1p(std::exp(x)); },
                        [](T x, T) { return x > T(20) ? T(1) : T(1) / (T(1) + std::exp(-x)); });
}

#define GT_INSTANTIATE(T)               \
    template Var<T> relu(Var<T>);       \
    template Var<T> gelu(Var<T>);       \
    template Var<T> sigmoid(Var<T>);    \
    template Var<T> tanh(Var<T>);       \
    template Var<T> softplus(Var<T>);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
