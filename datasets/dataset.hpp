// Dataset<T> and Split<T>: features, labels and regression targets for one set of samples.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "autodiff/tensor.hpp"

namespace gt::data {

/// One set of samples. Classification sets fill `y` and `num_classes`; regression sets fill `target`.
template <class T>
struct Dataset {
    std::string name;
    Tensor<T> x;                  // (N, ...) features; images (N, C, H, W) scaled to [0, 1]
    Labels y;                     // class labels in [0, num_classes) (empty for regression sets)
    Tensor<T> target;             // (N, k) real targets for regression sets (empty for classification)
    std::size_t num_classes = 0;

    /// Number of samples N (0 for an empty set).
    std::size_t size() const;
    /// Shape of one sample: x's shape without its first axis.
    Shape sample_shape() const;
    /// True when `target` holds values (a default xarray is a 0-d scalar, not "empty").
    bool has_target() const;
};

template <class T>
struct Split {
    Dataset<T> train, test;
};

/// Throws ValueError/ShapeError unless the parts agree: y has N labels in [0, num_classes) or is empty,
/// target is (N, k) or empty, and at least one of them is present.
template <class T>
void validate(const Dataset<T>& d);

/// The samples at `index` (in that order), labels and targets included; indices are checked.
template <class T>
Dataset<T> select(const Dataset<T>& d, const std::vector<std::size_t>& index);

/// Copies rows index[0..k) of src (N, ...) into dst, resized to (k, ...). No index checks: hot path.
template <class T>
void gather_rows(const Tensor<T>& src, const std::size_t* index, std::size_t k, Tensor<T>& dst);

}  // namespace gt::data
