// Point-wise nonlinearities (PyTorch semantics).
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

template <class T> Var<T> relu(Var<T> a);      // ∂ = 1[a > 0] (0 at 0, as PyTorch)
template <class T> Var<T> gelu(Var<T> a);      // exact: a·Φ(a), Φ the standard normal CDF (erf form)
template <class T> Var<T> sigmoid(Var<T> a);
template <class T> Var<T> tanh(Var<T> a);
template <class T> Var<T> softplus(Var<T> a);  // log(1 + eᵃ), beta 1, linear above 20 (PyTorch threshold)

}  // namespace gt
