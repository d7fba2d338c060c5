#include "datasets/subset.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace gt::data {

template <class T>
Dataset<T> random_subset(const Dataset<T>& d, std::size_t k, Rng& rng) {
    const std::size_t n = d.size();
    if (k > n)
        throw ValueError("random_subset of '" + d.name + "': expected at most " + std::to_string(n) +
                         " samples, found a request for " + std::to_string(k));
    std::vector<std::size_t> index = rng.permutation(n);
    index.resize(k);
    std::sort(index.begin(), index.end());
    return select(d, index);
}

template <class T>
Split<T> random_split(const Dataset<T>& d, double test_fraction, Rng& rng) {
    const std::size_t n = d.size();
    if (!(test_fraction > 0.0 && test_fraction < 1.0))
        throw ValueError("random_split of '" + d.name + "': expected test_fraction in (0, 1), found " +
                         std::to_string(test_fraction));
    const auto n_test = static_cast<std::size_t>(std::ceil(test_fraction * static_cast<double>(n)));
    if (n_test == 0 || n_test >= n)
        throw ValueError("random_split of '" + d.name + "': expected two non-empty parts, found " +
                         std::to_string(n_test) + " test samples out of " + std::to_string(n));
    const std::vector<std::size_t> perm = rng.permutation(n);
    const std::vector<std::size_t> test(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(n_test));
    const std::vector<std::size_t> train(perm.begin() + static_cast<std::ptrdiff_t>(n_test), perm.end());
    return {select(d, train), select(d, test)};
}

template Dataset<float> random_subset(const Dataset<float>&, std::size_t, Rng&);
template Dataset<double> random_subset(const Dataset<double>&, std::size_t, Rng&);
template Split<float> random_split(const Dataset<float>&, double, Rng&);
template Split<double> random_split(const Dataset<double>&, double, Rng&);

}  // namespace gt::data
