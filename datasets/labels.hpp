// Label utilities: one-hot encoding and the paper's label randomisation (§3.5).
#pragma once

#include <cstddef>

#include "autodiff/random.hpp"
#include "datasets/dataset.hpp"

namespace gt::data {

/// (N, num_classes) with a 1 at (i, y[i]); throws ValueError for a label outside [0, num_classes).
template <class T>
Tensor<T> one_hot(const Labels& y, std::size_t num_classes);

/// Each label is, with probability p, replaced by a uniform draw from [0, num_classes) — a relabel that
/// may coincide with the true label, so the expected fraction changed is p·(1 − 1/num_classes).
/// Per sample, in order: one rng.uniform() (< p selects), then rng.below(num_classes) if selected.
/// Throws ValueError unless 0 <= p <= 1, num_classes >= 1, and every label is in range.
Labels randomize_labels(const Labels& y, std::size_t num_classes, double p, Rng& rng);

}  // namespace gt::data
