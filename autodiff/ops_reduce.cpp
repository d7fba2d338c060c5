#include "autodiff/ops_reduce.hpp"

#include <string>

namespace gt {

namespace {

// Sum (scaled by `scale`) over `axis` of a viewed as (outer, n, inner); the gradient broadcasts back.
template <class T>
Var<T> reduce_axis(const char* op, Var<T> a, std::size_t axis, bool keepdims, bool is_mean) {
    Tape<T>& t = tape_of(a, op);
    const Shape s = shape_of(t.value(a));
    if (axis >= s.size())
        throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " out of range for shape " + shape_str(s));
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
    for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
    const std::size_t n = s[axis];
    Shape os = s;
    if (keepdims) os[axis] = 1;
    else os.erase(os.begin() + static_cast<std::ptrdiff_t>(axis));
    Var<T> out = t.push(op, os, {a});
    const T scale = is_mean ? (n ? T(1) / T(n) : T(0)) : T(1);
    const T* x = t.value(a).data();
    T* y = t.mutable_value(out).data();
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < inner; ++j) {
            T acc = T(0);
            for (std::size_t k = 0; k < n; ++k) acc += x[(o * n + k) * inner + j];
            y[o * inner + j] = acc * scale;
        }
    t.set_backward(out, [outer, inner, n, scale](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        T* ga = t.grad_acc(ia).data();
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t k = 0; k < n; ++k)
                for (std::size_t j = 0; j < inner; ++j) ga[(o * n + k) * inner + j] += g[o * inner + j] * scale;
    });
    return out;
}

template <class T>
Var<T> reduce_all(const char* op, Var<T> a, bool is_mean) {
    Tape<T>& t = tape_of(a, op);
    const std::size_t n = t.value(a).size();
    Var<T> out = t.push(op, Shape{}, {a});
    const T* x = t.value(a).data();
    T acc = T(0);
    for (std::size_t i = 0; i < n; ++i) acc += x[i];
    const T scale = is_mean ? (n ? T(1) / T(n) : T(0)) : T(1);
    t.mutable_value(out).data()[0] = acc * scale;
    t.set_backward(out, [scale](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T g = t.grad_of(self).data()[0] * scale;
        Tensor<T>& ga = t.grad_acc(ia);
        for (std::size_t i = 0; i < ga.size(); ++i) ga.data()[i] += g;
    });
    return out;
}

}  // namespace

template <class T> Var<T> sum(Var<T> a) { return reduce_all<T>("sum", a, false); }
template <class T> Var<T> mean(Var<T> a) { return reduce_all<T>("mean", a, true); }
template <class T> Var<T> sum(Var<T> a, std::size_t axis, bool keepdims) { return reduce_axis<T>("sum", a, axis, keepdims, false); }
template <class T> Var<T> mean(Var<T> a, std::size_t axis, bool keepdims) { return reduce_axis<T>("mean", a, axis, keepdims, true); }

#define GT_INSTANTIATE(T)                                  \
    template Var<T> sum(Var<T>);                           \
    template Var<T> mean(Var<T>);                          \
    template Var<T> sum(Var<T>, std::size_t, bool);        \
    template Var<T> mean(Var<T>, std::size_t, bool);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
