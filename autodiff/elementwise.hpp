// The one skeleton of element-wise ops, and the only place that picks which CPU build of an element-wise
// kernel runs and whether a gradient is written or added:
//
//   unary(op, a, k)                y_i = k.f(x_i);  ∂x_i (+)= k.grad(g_i, x_i, y_i)
//   run(loop, args...)             loop(args...), as the widest build this CPU runs when Loop::vector
//   add_to_grad(t, i, loop, args)  loop(store, ∂node_i, args...): store is Write when node i's gradient
//                                  buffer is fresh in this pass (no zero-fill first), Add otherwise
//   GT_ELEMENTWISE_OP(name, K)     defines gt::name(a) = unary("name", a, K<T>{}) for float and double
//
// A kernel k is a small struct with `static constexpr bool vector` and f(x), grad(g, x, y) marked
// GT_KERNEL_INLINE. vector = true: the loops are compiled for AVX-512, AVX2+FMA and baseline x86-64
// (GT_TARGET_*, autodiff/cpu_features.hpp) and best_isa() picks one per call. vector = false: plain code,
// for loops around libm calls, which do not vectorize and whose results FMA contraction would change.
#pragma once

#include <cstddef>
#include <type_traits>

#include "autodiff/cpu_features.hpp"
#include "autodiff/tape.hpp"

namespace gt::elementwise {

enum class Store { Write, Add };
template <Store S>
using StoreAs = std::integral_constant<Store, S>;

/// out = d (Write) or out += d (Add).
template <Store S, class T>
GT_KERNEL_INLINE void store(StoreAs<S>, T& out, T d) {
    if constexpr (S == Store::Write) out = d;
    else out += d;
}

template <class Loop, class... A>
GT_TARGET_AVX512 auto on_avx512(const Loop& loop, A... a) { return loop(a...); }
template <class Loop, class... A>
GT_TARGET_AVX2 auto on_avx2(const Loop& loop, A... a) { return loop(a...); }
template <class Loop, class... A>
GT_TARGET_BASELINE auto on_baseline(const Loop& loop, A... a) { return loop(a...); }

/// loop(a...) compiled for best_isa() (Loop::vector) or as plain code.
template <class Loop, class... A>
auto run(const Loop& loop, A... a) {
    if constexpr (Loop::vector) {
        switch (best_isa()) {
            case Isa::Avx512: return on_avx512(loop, a...);
            case Isa::Avx2: return on_avx2(loop, a...);
            default: return on_baseline(loop, a...);
        }
    } else {
        return loop(a...);
    }
}

/// Node i's gradient (+)= loop's contribution: loop(StoreAs<S>, out, a...) writes every entry of out.
template <class T, class Loop, class... A>
void add_to_grad(Tape<T>& t, int i, const Loop& loop, A... a) {
    bool fresh = false;
    T* out = t.grad_write(i, fresh).data();
    if (fresh) run(loop, StoreAs<Store::Write>{}, out, a...);
    else run(loop, StoreAs<Store::Add>{}, out, a...);
}

template <class K>
struct UnaryForward {
    static constexpr bool vector = K::vector;
    K k;
    template <class T>
    GT_KERNEL_INLINE void operator()(const T* x, T* y, std::size_t n) const {
        const K kk = k;
        for (std::size_t i = 0; i < n; ++i) y[i] = kk.f(x[i]);
    }
};

template <class K>
struct UnaryBackward {
    static constexpr bool vector = K::vector;
    K k;
    template <Store S, class T>
    GT_KERNEL_INLINE void operator()(StoreAs<S> s, T* gx, const T* x, const T* y, const T* g, std::size_t n) const {
        const K kk = k;
        for (std::size_t i = 0; i < n; ++i) store(s, gx[i], kk.grad(g[i], x[i], y[i]));
    }
};

/// The element-wise op y = k.f(a) with ∂a (+)= k.grad(g, a, y).
template <class T, class K>
Var<T> unary(const char* op, Var<T> a, K k) {
    Tape<T>& t = tape_of(a, op);
    Var<T> out = t.push(op, t.value(a).shape(), {a});
    const std::size_t n = t.value(a).size();
    run(UnaryForward<K>{k}, t.value(a).data(), t.mutable_value(out).data(), n);
    t.set_backward(out, [k, n](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        add_to_grad(t, ia, UnaryBackward<K>{k}, t.value(ia).data(), t.value(self).data(), t.grad_of(self).data(), n);
    });
    return out;
}

}  // namespace gt::elementwise

/// Defines the op `template <class T> Var<T> name(Var<T> a)` as elementwise::unary("name", a, K<T>{}) and
/// instantiates it for float and double; K is a kernel template of T. Used inside namespace gt.
#define GT_ELEMENTWISE_OP(name, K)                            \
    template <class T>                                        \
    Var<T> name(Var<T> a) {                                   \
        return ::gt::elementwise::unary(#name, a, K<T>{});    \
    }                                                         \
    template Var<float> name(Var<float>);                     \
    template Var<double> name(Var<double>);
