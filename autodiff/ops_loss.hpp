// Losses and the stable fused softmax family (PyTorch semantics, mean reduction unless stated).
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

enum class Reduction { Mean, Sum };

/// log_softmax over the last axis of a 2-D (N×C) input.
template <class T> Var<T> log_softmax(Var<T> logits);
/// −(1/K) Σ_{i kept} log_softmax(logits)_{i, y_i}; logits N×C, labels in [0, C) or ignore_index.
/// A row whose label is ignore_index gives no loss and no gradient; K counts the kept rows (PyTorch's
/// ignore_index, default −100). Every row ignored: the loss is NaN (0/0), as PyTorch. 0-d result.
/// Backward: (softmax − onehot)/K on kept rows.
template <class T> Var<T> cross_entropy(Var<T> logits, const Labels& labels, int ignore_index = -100);
/// mean((pred − target)²) over all elements; shapes must match. 0-d result.
template <class T> Var<T> mse(Var<T> pred, Var<T> target);
/// −Σ [t·log p + (1−t)·log(1−p)] (Sum) or its mean (Mean); log clamped at −100 as PyTorch.
template <class T> Var<T> binary_cross_entropy(Var<T> prob, Var<T> target, Reduction r = Reduction::Mean);

}  // namespace gt
