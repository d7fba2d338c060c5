// Feature scaling: per-channel affine normalisation and per-column min–max scaling.
#pragma once

#include <vector>

#include "datasets/dataset.hpp"

namespace gt::data {

/// In place, for x of shape (N, C, ...): x[:, c] = (x[:, c] − mean[c]) / std[c] (torchvision's
/// Normalize). Throws ValueError unless mean and std have C entries and every std is > 0.
template <class T>
void normalize_channels(Tensor<T>& x, const std::vector<double>& mean, const std::vector<double>& std);

/// In place, for x of shape (N, k): each column mapped affinely so that its minimum is 0 and its
/// maximum 1 (exactly). Throws ShapeError unless x is (N, k) with N > 0, and ValueError for a
/// constant column (it cannot be scaled).
template <class T>
void min_max_columns(Tensor<T>& x);

}  // namespace gt::data
