// Seeded subsets and splits of a dataset.
#pragma once

#include <cstddef>

#include "autodiff/random.hpp"
#include "datasets/dataset.hpp"

namespace gt::data {

/// k samples drawn without replacement (the first k of rng.permutation(N)), kept in their original
/// order. Throws ValueError when k > N.
template <class T>
Dataset<T> random_subset(const Dataset<T>& d, std::size_t k, Rng& rng);

/// Shuffled split in the manner of sklearn's train_test_split: n_test = ceil(test_fraction · N);
/// with perm = rng.permutation(N), test = perm[0, n_test), train = perm[n_test, N), in permuted order.
/// Throws ValueError unless 0 < test_fraction < 1 and both parts are non-empty.
template <class T>
Split<T> random_split(const Dataset<T>& d, double test_fraction, Rng& rng);

}  // namespace gt::data
