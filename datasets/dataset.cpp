#include "datasets/dataset.hpp"
#include "datasets/huge_pages.hpp"

#include <algorithm>

namespace gt::data {

template <class T>
std::size_t Dataset<T>::size() const {
    return x.dimension() == 0 ? 0 : x.shape()[0];
}

template <class T>
Shape Dataset<T>::sample_shape() const {
    if (x.dimension() == 0) return {};
    return Shape(x.shape().begin() + 1, x.shape().end());
}

template <class T>
bool Dataset<T>::has_target() const {
    return target.dimension() > 0 && target.size() > 0;
}

template <class T>
void validate(const Dataset<T>& d) {
    const std::string where = "dataset '" + d.name + "'";
    if (d.x.dimension() < 2)
        throw ShapeError(where + ": expected features of shape (N, ...) with at least 2 axes, found " +
                         shape_str(shape_of(d.x)));
    const std::size_t n = d.size();
    if (d.y.empty() && !d.has_target())
        throw ValueError(where + ": expected labels or targets, found neither");
    if (!d.y.empty()) {
        if (d.y.size() != n)
            throw ValueError(where + ": expected " + std::to_string(n) + " labels (one per sample), found " +
                             std::to_string(d.y.size()));
        for (std::size_t i = 0; i < n; ++i)
            if (d.y[i] < 0 || static_cast<std::size_t>(d.y[i]) >= d.num_classes)
                throw ValueError(where + ": expected labels in [0, " + std::to_string(d.num_classes) +
                                 "), found " + std::to_string(d.y[i]) + " at sample " + std::to_string(i));
    }
    if (d.has_target() && (d.target.dimension() != 2 || d.target.shape()[0] != n))
        throw ShapeError(where + ": expected targets of shape (" + std::to_string(n) + ", k), found " +
                         shape_str(shape_of(d.target)));
}

template <class T>
void gather_rows(const Tensor<T>& src, const std::size_t* index, std::size_t k, Tensor<T>& dst) {
    // The shapes are compared in place (no Shape temporaries), so refilling a kept batch allocates nothing.
    const TensorShape& ss = src.shape();
    const std::size_t row = ss[0] == 0 ? 0 : src.size() / ss[0];
    const TensorShape& ds = dst.shape();
    const bool same = ds.size() == ss.size() && ds[0] == k && std::equal(ss.begin() + 1, ss.end(), ds.begin() + 1);
    // A moved-from tensor keeps its shape but not its storage, and resize() to the same shape is a
    // no-op: check the storage too, so a caller may hand in a tensor whose buffer it moved away.
    if (!same || dst.storage().size() != k * row) {
        Shape shape = shape_of(src);
        shape[0] = k;
        dst = sample_storage<T>(shape);
    }
    const T* s = src.data();
    T* o = dst.data();
    for (std::size_t i = 0; i < k; ++i) std::copy_n(s + index[i] * row, row, o + i * row);
}

template <class T>
Dataset<T> select(const Dataset<T>& d, const std::vector<std::size_t>& index) {
    const std::size_t n = d.size();
    for (std::size_t i : index)
        if (i >= n)
            throw ValueError("select from dataset '" + d.name + "': expected sample indices in [0, " +
                             std::to_string(n) + "), found " + std::to_string(i));
    Dataset<T> out;
    out.name = d.name;
    out.num_classes = d.num_classes;
    gather_rows(d.x, index.data(), index.size(), out.x);
    if (!d.y.empty()) {
        out.y.reserve(index.size());
        for (std::size_t i : index) out.y.push_back(d.y[i]);
    }
    if (d.has_target()) gather_rows(d.target, index.data(), index.size(), out.target);
    return out;
}

#define GT_INSTANTIATE(T)                                                                     \
    template struct Dataset<T>;                                                               \
    template void validate(const Dataset<T>&);                                                \
    template Dataset<T> select(const Dataset<T>&, const std::vector<std::size_t>&);           \
    template void gather_rows(const Tensor<T>&, const std::size_t*, std::size_t, Tensor<T>&);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::data
