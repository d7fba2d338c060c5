#include "autodiff/ops_elementwise.hpp"

#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>

namespace gt {

namespace {

// Shared skeleton of the broadcasting binary ops: forward f(a, b), and the two partials
// ∂L/∂a = ga(g, a, b), ∂L/∂b = gb(g, a, b) before reduction to each parent's shape.
template <class T, class F, class GA, class GB>
Var<T> binary(const char* op, Var<T> a, Var<T> b, F f, GA ga, GB gb) {
    Tape<T>& t = same_tape(a, b, op);
    const TensorShape& sa = t.value(a).shape();
    // Equal shapes (no broadcast) need no Shape temporaries.
    const Var<T> out = sa == t.value(b).shape()
                           ? t.push(op, sa, {a, b})
                           : t.push(op, broadcast_shapes(to_shape(sa), shape_of(t.value(b)), op), {a, b});
    xt::noalias(t.mutable_value(out)) = f(t.value(a), t.value(b));
    t.set_backward(out, [op, ga, gb](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0], ib = t.parents(self)[1];
        const Tensor<T>& g = t.grad_of(self);
        // A partial that is g itself is passed by reference (no copy); the others are evaluated tensors.
        if (t.needs_grad(ia)) {
            const Tensor<T>& d = ga(g, t.value(ia), t.value(ib));
            t.accumulate(ia, d, op);
        }
        if (t.needs_grad(ib)) {
            const Tensor<T>& d = gb(g, t.value(ia), t.value(ib));
            t.accumulate(ib, d, op);
        }
    });
    return out;
}

// Shared skeleton of the unary ops: forward f(a), backward ∂L/∂a = df(g, a, out).
template <class T, class F, class DF>
Var<T> unary(const char* op, Var<T> a, F f, DF df) {
    Tape<T>& t = tape_of(a, op);
    Var<T> out = t.push(op, shape_of(t.value(a)), {a});
    xt::noalias(t.mutable_value(out)) = f(t.value(a));
    t.set_backward(out, [df](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        xt::noalias(t.grad_acc(ia)) += df(t.grad_of(self), t.value(ia), t.value(self));
    });
    return out;
}

}  // namespace

template <class T>
Var<T> add(Var<T> a, Var<T> b) {
    return binary<T>("add", a, b, [](const auto& x, const auto& y) { return x + y; },
                     [](const auto& g, const auto&, const auto&) -> const auto& { return g; },
                     [](const auto& g, const auto&, const auto&) -> const auto& { return g; });
}
template <class T>
Var<T> sub(Var<T> a, Var<T> b) {
    return binary<T>("sub", a, b, [](const auto& x, const auto& y) { return x - y; },
                     [](const auto& g, const auto&, const auto&) -> const auto& { return g; },
                     [](const auto& g, const auto&, const auto&) { return Tensor<T>(-g); });
}
template <class T>
Var<T> mul(Var<T> a, Var<T> b) {
    return binary<T>("mul", a, b, [](const auto& x, const auto& y) { return x * y; },
                     [](const auto& g, const auto&, const auto& y) { return Tensor<T>(g * y); },
                     [](const auto& g, const auto& x, const auto&) { return Tensor<T>(g * x); });
}
template <class T>
Var<T> div(Var<T> a, Var<T> b) {
    return binary<T>("div", a, b, [](const auto& x, const auto& y) { return x / y; },
                     [](const auto& g, const auto&, const auto& y) { return Tensor<T>(g / y); },
                     [](const auto& g, const auto& x, const auto& y) { return Tensor<T>(-g * x / (y * y)); });
}

template <class T>
Var<T> neg(Var<T> a) {
    return unary<T>("neg", a, [](const auto& x) { return -x; },
                    [](const auto& g, const auto&, const auto&) { return -g; });
}
template <class T>
Var<T> add_scalar(Var<T> a, T s) {
    return unary<T>("add_scalar", a, [s](const auto& x) { return x + s; },
                    [](const auto& g, const auto&, const auto&) { return g; });
}
template <class T>
Var<T> mul_scalar(Var<T> a, T s) {
    return unary<T>("mul_scalar", a, [s](const auto& x) { return x * s; },
                    [s](const auto& g, const auto&, const auto&) { return g * s; });
}
template <class T>
Var<T> rsub_scalar(Var<T> a, T s) {
    return unary<T>("rsub_scalar", a, [s](const auto& x) { return s - x; },
                    [](const auto& g, const auto&, const auto&) { return -g; });
}
template <class T>
Var<T> pow_scalar(Var<T> a, T p) {
    return unary<T>("pow_scalar", a, [p](const auto& x) { return xt::pow(x, p); },
                    [p](const auto& g, const auto& x, const auto&) { return g * p * xt::pow(x, p - T(1)); });
}
template <class T>
Var<T> exp(Var<T> a) {
    return unary<T>("exp", a, [](const auto& x) { return xt::exp(x); },
                    [](const auto& g, const auto&, const auto& y) { return g * y; });
}
template <class T>
Var<T> log(Var<T> a) {
    return unary<T>("log", a, [](const auto& x) { return xt::log(x); },
                    [](const auto& g, const auto& x, const auto&) { return g / x; });
}
template <class T>
Var<T> sqrt(Var<T> a) {
    return unary<T>("sqrt", a, [](const auto& x) { return xt::sqrt(x); },
                    [](const auto& g, const auto&, const auto& y) { return g / (T(2) * y); });
}
template <class T>
Var<T> abs(Var<T> a) {
    return unary<T>("abs", a, [](const auto& x) { return xt::abs(x); },
                    [](const auto& g, const auto& x, const auto&) { return g * xt::sign(x); });
}

#define GT_INSTANTIATE(T)                                 \
    template Var<T> add(Var<T>, Var<T>);                  \
    template Var<T> sub(Var<T>, Var<T>);                  \
    template Var<T> mul(Var<T>, Var<T>);                  \
    template Var<T> div(Var<T>, Var<T>);                  \
    template Var<T> neg(Var<T>);                          \
    template Var<T> add_scalar(Var<T>, T);                \
    template Var<T> mul_scalar(Var<T>, T);                \
    template Var<T> rsub_scalar(Var<T>, T);               \
    template Var<T> pow_scalar(Var<T>, T);                \
    template Var<T> exp(Var<T>);                          \
    template Var<T> log(Var<T>);                          \
    template Var<T> sqrt(Var<T>);                         \
    template Var<T> abs(Var<T>);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
