// Reductions: sum and mean over everything or over one axis.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

template <class T> Var<T> sum(Var<T> a);   // 0-d result
template <class T> Var<T> mean(Var<T> a);  // 0-d result
template <class T> Var<T> sum(Var<T> a, std::size_t axis, bool keepdims = false);
template <class T> Var<T> mean(Var<T> a, std::size_t axis, bool keepdims = false);

}  // namespace gt
