#include "autodiff/ops_misc.hpp"

#include <string>

namespace gt {

template <class T>
Var<T> embedding(Var<T> weight, const Labels& indices) {
    Tape<T>& t = tape_of(weight, "embedding");
    const TensorShape& sw = t.value(weight).shape();  // no Shape temporary: a steady step allocates nothing
    if (sw.size() != 2) throw ShapeError("embedding: expected a 2-D weight (V, D), got " + shape_str(to_shape(sw)));
    const std::size_t V = sw[0], D = sw[1], n = indices.size();
    for (std::size_t i = 0; i < n; ++i)
        if (indices[i] < 0 || static_cast<std::size_t>(indices[i]) >= V)
            throw ValueError("embedding: index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
                             " is outside [0, " + std::to_string(V) + ") for weight " + shape_str(to_shape(sw)));
    Var<T> out = t.push("embedding", {n, D}, {weight});
    const T* w = t.value(weight).data();
    T* y = t.mutable_value(out).data();
    for (std::size_t i = 0; i < n; ++i) std::copy(w + indices[i] * D, w + (indices[i] + 1) * D, y + i * D);
    t.int_scratch(out).assign(indices.begin(), indices.end());  // kept for backward (no captured copy)
    t.set_backward(out, [D](Tape<T>& t, int self) {  // scatter-add: ∂W[idx_i] += g_i
        const int iw = t.parents(self)[0];
        const std::vector<int>& idx = t.int_scratch(self);
        const T* g = t.grad_of(self).data();
        T* gw = t.grad_acc(iw).data();
        for (std::size_t i = 0; i < idx.size(); ++i) {
            T* row = gw + static_cast<std::size_t>(idx[i]) * D;
            for (std::size_t j = 0; j < D; ++j) row[j] += g[i * D + j];
        }
    });
    return out;
}

template <class T>
Var<T> dropout(Var<T> a, double p, Rng& rng, bool training) {
    Tape<T>& t = tape_of(a, "dropout");
    if (!(p >= 0.0 && p < 1.0))
        throw ValueError("dropout: expected a drop probability p in [0, 1), got " + std::to_string(p));
    if (!training || p == 0.0) return a;
    Var<T> out = t.push("dropout", t.value(a).shape(), {a});
    const std::size_t n = t.value(a).size();
    // The kept scale per element, 1/(1 − p) or 0, kept for backward: ∂a = g ⊙ mask.
    Tensor<T>& mask = t.scratch(out);
    if (mask.shape() != t.value(a).shape()) mask.resize(t.value(a).shape());
    const T scale = T(1.0 / (1.0 - p));
    T* m = mask.data();
    for (std::size_t i = 0; i < n; ++i) m[i] = rng.uniform() >= p ? scale : T(0);
    const T* x = t.value(a).data();
    T* y = t.mutable_value(out).data();
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * m[i];
    t.set_backward(out, [n](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        const T* m = t.scratch(self).data();
        bool fresh = false;
        T* ga = t.grad_write(ia, fresh).data();
        if (fresh)
            for (std::size_t i = 0; i < n; ++i) ga[i] = g[i] * m[i];
        else
            for (std::size_t i = 0; i < n; ++i) ga[i] += g[i] * m[i];
    });
    return out;
}

#define GT_INSTANTIATE(T)                                                  \
    template Var<T> embedding(Var<T>, const Labels&);                      \
    template Var<T> dropout(Var<T>, double, Rng&, bool);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
