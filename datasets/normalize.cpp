#include "datasets/normalize.hpp"

#include <algorithm>
#include <string>

namespace gt::data {

template <class T>
void normalize_channels(Tensor<T>& x, const std::vector<double>& mean, const std::vector<double>& std) {
    if (x.dimension() < 2)
        throw ShapeError("normalize_channels: expected x of shape (N, C, ...), found " + shape_str(shape_of(x)));
    const std::size_t n = x.shape()[0], c = x.shape()[1];
    if (mean.size() != c || std.size() != c)
        throw ValueError("normalize_channels: expected " + std::to_string(c) + " means and stds (one per channel of " +
                         shape_str(shape_of(x)) + "), found " + std::to_string(mean.size()) + " and " +
                         std::to_string(std.size()));
    for (std::size_t k = 0; k < c; ++k)
        if (!(std[k] > 0.0))
            throw ValueError("normalize_channels: expected std > 0, found " + std::to_string(std[k]) +
                             " for channel " + std::to_string(k));
    const std::size_t plane = n * c == 0 ? 0 : x.size() / (n * c);
    T* p = x.data();
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < c; ++k) {
            const T m = T(mean[k]), inv = T(1.0 / std[k]);
            T* q = p + (i * c + k) * plane;
            for (std::size_t j = 0; j < plane; ++j) q[j] = (q[j] - m) * inv;
        }
}

template <class T>
void min_max_columns(Tensor<T>& x) {
    if (x.dimension() != 2 || x.shape()[0] == 0)
        throw ShapeError("min_max_columns: expected x of shape (N, k) with N > 0, found " + shape_str(shape_of(x)));
    const std::size_t n = x.shape()[0], k = x.shape()[1];
    T* p = x.data();
    for (std::size_t j = 0; j < k; ++j) {
        T lo = p[j], hi = p[j];
        for (std::size_t i = 1; i < n; ++i) {
            lo = std::min(lo, p[i * k + j]);
            hi = std::max(hi, p[i * k + j]);
        }
        if (!(hi > lo))
            throw ValueError("min_max_columns: expected a non-constant column, found column " + std::to_string(j) +
                             " constant at " + std::to_string(lo));
        const T range = hi - lo;
        for (std::size_t i = 0; i < n; ++i) p[i * k + j] = (p[i * k + j] - lo) / range;
    }
}

template void normalize_channels(Tensor<float>&, const std::vector<double>&, const std::vector<double>&);
template void normalize_channels(Tensor<double>&, const std::vector<double>&, const std::vector<double>&);
template void min_max_columns(Tensor<float>&);
template void min_max_columns(Tensor<double>&);

}  // namespace gt::data
