// Element-wise ops with numpy/PyTorch broadcasting. Backward sums over broadcast axes.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

template <class T> Var<T> add(Var<T> a, Var<T> b);
template <class T> Var<T> sub(Var<T> a, Var<T> b);
template <class T> Var<T> mul(Var<T> a, Var<T> b);
template <class T> Var<T> div(Var<T> a, Var<T> b);
template <class T> Var<T> neg(Var<T> a);
template <class T> Var<T> add_scalar(Var<T> a, T s);   // a + s
template <class T> Var<T> mul_scalar(Var<T> a, T s);   // a · s
template <class T> Var<T> rsub_scalar(Var<T> a, T s);  // s − a
template <class T> Var<T> pow_scalar(Var<T> a, T p);   // a^p
template <class T> Var<T> exp(Var<T> a);
template <class T> Var<T> log(Var<T> a);
template <class T> Var<T> sqrt(Var<T> a);
template <class T> Var<T> abs(Var<T> a);  // d|a|/da = sign(a), 0 at 0 (PyTorch)

template <class T> Var<T> operator+(Var<T> a, Var<T> b) { return add(a, b); }
template <class T> Var<T> operator-(Var<T> a, Var<T> b) { return sub(a, b); }
template <class T> Var<T> operator*(Var<T> a, Var<T> b) { return mul(a, b); }
template <class T> Var<T> operator/(Var<T> a, Var<T> b) { return div(a, b); }
template <class T> Var<T> operator-(Var<T> a) { return neg(a); }
template <class T> Var<T> operator+(Var<T> a, T s) { return add_scalar(a, s); }
template <class T> Var<T> operator+(T s, Var<T> a) { return add_scalar(a, s); }
template <class T> Var<T> operator-(Var<T> a, T s) { return add_scalar(a, -s); }
template <class T> Var<T> operator-(T s, Var<T> a) { return rsub_scalar(a, s); }
template <class T> Var<T> operator*(Var<T> a, T s) { return mul_scalar(a, s); }
template <class T> Var<T> operator*(T s, Var<T> a) { return mul_scalar(a, s); }
template <class T> Var<T> operator/(Var<T> a, T s) { return mul_scalar(a, T(1) / s); }

}  // namespace gt
