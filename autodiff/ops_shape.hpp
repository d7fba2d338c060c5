// Shape ops: reshape, transpose/permute, slice (narrow), concat.
#pragma once

#include <vector>

#include "autodiff/tape.hpp"

namespace gt {

/// Same data, new shape (element count must match).
template <class T> Var<T> reshape(Var<T> a, const Shape& shape);
/// reshape to (rows, cols) without building a Shape (no allocation in a steady step).
template <class T> Var<T> reshape(Var<T> a, std::size_t rows, std::size_t cols);
/// 2-D transpose.
template <class T> Var<T> transpose(Var<T> a);
/// General axis permutation (PyTorch permute).
template <class T> Var<T> permute(Var<T> a, const std::vector<std::size_t>& axes);
/// a.narrow(axis, start, length) — the elements [start, start+length) along axis.
template <class T> Var<T> slice(Var<T> a, std::size_t axis, std::size_t start, std::size_t length);
/// Concatenation along axis; all other dimensions must match.
template <class T> Var<T> concat(const std::vector<Var<T>>& parts, std::size_t axis);

}  // namespace gt
