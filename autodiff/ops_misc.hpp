// Table lookup: the embedding op.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

/// Rows of weight (V×D) picked by indices → (n×D); gradient scatters-adds into the picked rows.
template <class T> Var<T> embedding(Var<T> weight, const Labels& indices);

}  // namespace gt
