// Table lookup (the embedding op) and seeded dropout.
#pragma once

#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"

namespace gt {

/// Rows of weight (V×D) picked by indices → (n×D); gradient scatters-adds into the picked rows.
template <class T> Var<T> embedding(Var<T> weight, const Labels& indices);

/// Inverted dropout (nn.Dropout): y = a ⊙ m/(1 − p), m_i = 1[rng.uniform() ≥ p] drawn in element order.
/// Identity (returns `a` itself, no node, no draw) when !training or p = 0; p must be in [0, 1)
/// (ValueError otherwise). The same Rng state gives the same mask.
template <class T> Var<T> dropout(Var<T> a, double p, Rng& rng, bool training = true);

}  // namespace gt
