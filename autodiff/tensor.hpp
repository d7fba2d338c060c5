// Tensor type, shape helpers and the error types shared by every gramtape module.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

namespace gt {

/// Every value and gradient on the tape is an evaluated, row-major, dynamic-rank array.
template <class T>
using Tensor = xt::xarray<T, xt::layout_type::row_major>;

using Shape = std::vector<std::size_t>;

/// A tensor's own shape type, `t.shape()` (xtensor's small vector: up to 4 dimensions held inline, so
/// reading or comparing it allocates nothing, unlike building a Shape).
using TensorShape = Tensor<double>::shape_type;
static_assert(std::is_same_v<TensorShape, Tensor<float>::shape_type>);

/// Integer class labels (one per sample).
using Labels = std::vector<int>;

/// Base of every gramtape exception: the message says what was expected, what was found, and where.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
/// A shape did not fit an op (the message names the op and both shapes).
struct ShapeError : Error {
    using Error::Error;
};
/// A value was out of its valid range (flag, hyper-parameter, label, NaN ...).
struct ValueError : Error {
    using Error::Error;
};
/// A file could not be read, written, or had the wrong content.
struct IoError : Error {
    using Error::Error;
};

/// "(64, 784)" — shapes as PyTorch prints them.
std::string shape_str(const Shape& s);

template <class S>
Shape to_shape(const S& s) {
    return Shape(s.begin(), s.end());
}

template <class T>
Shape shape_of(const Tensor<T>& t) {
    return to_shape(t.shape());
}

std::size_t numel(const Shape& s);

/// Throws ShapeError "op: expected <what>, got (a, b)" when cond is false.
void check_shape(bool cond, const char* op, const std::string& expected, const Shape& got);

}  // namespace gt
