#include "autodiff/ops_misc.hpp"

#include <string>

namespace gt {

template <class T>
Var<T> embedding(Var<T> weight, const Labels& indices) {
    Tape<T>& t = tape_of(weight, "embedding");
    const Shape sw = shape_of(t.value(weight));
    if (sw.size() != 2) throw ShapeError("embedding: expected a 2-D weight (V, D), got " + shape_str(sw));
    const std::size_t V = sw[0], D = sw[1], n = indices.size();
    for (std::size_t i = 0; i < n; ++i)
        if (indices[i] < 0 || static_cast<std::size_t>(indices[i]) >= V)
            throw ValueError("embedding: index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
                             " is outside [0, " + std::to_string(V) + ") for weight " + shape_str(sw));
    Var<T> out = t.push("embedding", {n, D}, {weight});
    const T* w = t.value(weight).data();
    T* y = t.mutable_value(out).data();
    for (std::size_t i = 0; i < n; ++i) std::copy(w + indices[i] * D, w + (indices[i] + 1) * D, y + i * D);
    t.set_backward(out, [indices, D](Tape<T>& t, int self) {  // scatter-add: ∂W[idx_i] += g_i
        const int iw = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        T* gw = t.grad_acc(iw).data();
        for (std::size_t i = 0; i < indices.size(); ++i) {
            T* row = gw + static_cast<std::size_t>(indices[i]) * D;
            for (std::size_t j = 0; j < D; ++j) row[j] += g[i * D + j];
        }
    });
    return out;
}

#define GT_INSTANTIATE(T)                                                  \
    template Var<T> embedding(Var<T>, const Labels&);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
