#include "autodiff/ops_elementwise.hpp"

#include <cmath>
#include <limits>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>

#include "autodiff/elementwise.hpp"

namespace gt {

namespace {

// ∂node_i += d, summed over the axes along which node i was broadcast first (checks shapes).
template <class T>
void add_reduced(Tape<T>& t, int i, const Tensor<T>& d, const char* op) {
    Tensor<T>& acc = t.grad_acc(i);
    if (d.shape() == acc.shape()) {
        xt::noalias(acc) += d;
    } else {
        Tensor<T> r = reduce_to_shape(d, shape_of(acc), op);
        xt::noalias(acc) += r;
    }
}

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
            add_reduced(t, ia, d, op);
        }
        if (t.needs_grad(ib)) {
            const Tensor<T>& d = gb(g, t.value(ia), t.value(ib));
            add_reduced(t, ib, d, op);
        }
    });
    return out;
}

// The unary kernels (autodiff/elementwise.hpp): y = f(x), ∂x (+)= grad(g, x, y). Plain code (not
// vector): these loops were never vectorized per instruction set, and FMA contraction would change them.
template <class T>
struct Neg {
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const { return -x; }
    GT_KERNEL_INLINE T grad(T g, T, T) const { return -g; }
};
template <class T>
struct AddScalar {
    static constexpr bool vector = false;
    T s;
    GT_KERNEL_INLINE T f(T x) const { return x + s; }
    GT_KERNEL_INLINE T grad(T g, T, T) const { return g; }
};
template <class T>
struct MulScalar {
    static constexpr bool vector = false;
    T s;
    GT_KERNEL_INLINE T f(T x) const { return x * s; }
    GT_KERNEL_INLINE T grad(T g, T, T) const { return g * s; }
};
template <class T>
struct RsubScalar {
    static constexpr bool vector = false;
    T s;
    GT_KERNEL_INLINE T f(T x) const { return s - x; }
    GT_KERNEL_INLINE T grad(T g, T, T) const { return -g; }
};
template <class T>
struct PowScalar {  // ∂x = g·p·x^(p−1)
    static constexpr bool vector = false;
    T p;
    GT_KERNEL_INLINE T f(T x) const { return std::pow(x, p); }
    GT_KERNEL_INLINE T grad(T g, T x, T) const { return g * p * std::pow(x, p - T(1)); }
};
template <class T>
struct Exp {  // ∂x = g·y
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const { return std::exp(x); }
    GT_KERNEL_INLINE T grad(T g, T, T y) const { return g * y; }
};
template <class T>
struct Log {  // ∂x = g/x
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const { return std::log(x); }
    GT_KERNEL_INLINE T grad(T g, T x, T) const { return g / x; }
};
template <class T>
struct Sqrt {  // ∂x = g/(2y)
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const { return std::sqrt(x); }
    GT_KERNEL_INLINE T grad(T g, T, T y) const { return g / (T(2) * y); }
};
template <class T>
struct Abs {  // ∂x = g·sign(x), sign(±0) = ±0 and sign(NaN) = NaN (xt::sign)
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const { return std::abs(x); }
    GT_KERNEL_INLINE T grad(T g, T x, T) const {
        const T sign = std::isnan(x) ? std::numeric_limits<T>::quiet_NaN() : std::copysign(x == T(0) ? T(0) : T(1), x);
        return g * sign;
    }
};

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
Var<T> add_scalar(Var<T> a, T s) { return elementwise::unary("add_scalar", a, AddScalar<T>{s}); }
template <class T>
Var<T> mul_scalar(Var<T> a, T s) { return elementwise::unary("mul_scalar", a, MulScalar<T>{s}); }
template <class T>
Var<T> rsub_scalar(Var<T> a, T s) { return elementwise::unary("rsub_scalar", a, RsubScalar<T>{s}); }
template <class T>
Var<T> pow_scalar(Var<T> a, T p) { return elementwise::unary("pow_scalar", a, PowScalar<T>{p}); }

GT_ELEMENTWISE_OP(neg, Neg)
GT_ELEMENTWISE_OP(exp, Exp)
GT_ELEMENTWISE_OP(log, Log)
GT_ELEMENTWISE_OP(sqrt, Sqrt)
GT_ELEMENTWISE_OP(abs, Abs)

#define GT_INSTANTIATE(T)                                 \
    template Var<T> add(Var<T>, Var<T>);                  \
    template Var<T> sub(Var<T>, Var<T>);                  \
    template Var<T> mul(Var<T>, Var<T>);                  \
    template Var<T> div(Var<T>, Var<T>);                  \
    template Var<T> add_scalar(Var<T>, T);                \
    template Var<T> mul_scalar(Var<T>, T);                \
    template Var<T> rsub_scalar(Var<T>, T);               \
    template Var<T> pow_scalar(Var<T>, T);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
