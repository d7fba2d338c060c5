#include "autodiff/ops_shape.hpp"

#include <algorithm>
#include <string>

namespace gt {

namespace {

// Views shape s around `axis` as (outer, s[axis], inner).
void split_at(const Shape& s, std::size_t axis, std::size_t& outer, std::size_t& inner) {
    outer = 1;
    inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
    for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
}

std::string list_str(const std::vector<std::size_t>& v) {
    std::string r = "[";
    for (std::size_t i = 0; i < v.size(); ++i) r += (i ? ", " : "") + std::to_string(v[i]);
    return r + "]";
}

// Walks the output of a permutation in row-major order and calls f(out_index, in_offset).
template <class F>
void for_each_permuted(const Shape& in_shape, const std::vector<std::size_t>& axes, F f) {
    const std::size_t r = in_shape.size();
    Shape in_stride(r, 1), out_shape(r), out_stride_in(r);
    for (std::size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * in_shape[i];
    for (std::size_t i = 0; i < r; ++i) {
        out_shape[i] = in_shape[axes[i]];
        out_stride_in[i] = in_stride[axes[i]];  // step in the input when output axis i advances
    }
    const std::size_t n = numel(in_shape);
    std::vector<std::size_t> idx(r, 0);
    std::size_t off = 0;
    for (std::size_t k = 0; k < n; ++k) {
        f(k, off);
        for (std::size_t d = r; d-- > 0;) {  // odometer increment
            if (++idx[d] < out_shape[d]) {
                off += out_stride_in[d];
                break;
            }
            off -= (out_shape[d] - 1) * out_stride_in[d];
            idx[d] = 0;
        }
    }
}

}  // namespace

namespace {
template <class T, class S>
Var<T> reshape_to(Var<T> a, const S& shape) {
    Tape<T>& t = tape_of(a, "reshape");
    const std::size_t n = t.value(a).size();
    std::size_t want = 1;
    for (std::size_t d : shape) want *= d;
    if (want != n)
        throw ShapeError("reshape: cannot view shape " + shape_str(shape_of(t.value(a))) + " (" + std::to_string(n) +
                         " elements) as " + shape_str(Shape(shape.begin(), shape.end())) + " (" +
                         std::to_string(want) + " elements)");
    Var<T> out = t.push("reshape", shape, {a});
    std::copy(t.value(a).data(), t.value(a).data() + n, t.mutable_value(out).data());
    t.set_backward(out, [](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        Tensor<T>& ga = t.grad_acc(ia);
        for (std::size_t i = 0; i < ga.size(); ++i) ga.data()[i] += g[i];
    });
    return out;
}
}  // namespace

template <class T>
Var<T> reshape(Var<T> a, const Shape& shape) {
    return reshape_to(a, shape);
}

template <class T>
Var<T> reshape(Var<T> a, std::size_t rows, std::size_t cols) {
    return reshape_to(a, std::initializer_list<std::size_t>{rows, cols});
}

template <class T>
Var<T> transpose(Var<T> a) {
    Tape<T>& t = tape_of(a, "transpose");
    const Shape s = shape_of(t.value(a));
    if (s.size() != 2) throw ShapeError("transpose: expected a 2-D input, got " + shape_str(s));
    const std::size_t m = s[0], n = s[1];
    Var<T> out = t.push("transpose", {n, m}, {a});
    const T* x = t.value(a).data();
    T* y = t.mutable_value(out).data();
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) y[j * m + i] = x[i * n + j];
    t.set_backward(out, [m, n](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        T* ga = t.grad_acc(ia).data();
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) ga[i * n + j] += g[j * m + i];
    });
    return out;
}

template <class T>
Var<T> permute(Var<T> a, const std::vector<std::size_t>& axes) {
    Tape<T>& t = tape_of(a, "permute");
    const Shape s = shape_of(t.value(a));
    std::vector<std::size_t> sorted = axes;
    std::sort(sorted.begin(), sorted.end());
    bool ok = axes.size() == s.size();
    for (std::size_t i = 0; ok && i < sorted.size(); ++i) ok = sorted[i] == i;
    if (!ok)
        throw ShapeError("permute: expected a permutation of 0.." + std::to_string(s.size()) + "-1 for shape " +
                         shape_str(s) + ", got axes " + list_str(axes));
    Shape os(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) os[i] = s[axes[i]];
    Var<T> out = t.push("permute", os, {a});
    const T* x = t.value(a).data();
    T* y = t.mutable_value(out).data();
    for_each_permuted(s, axes, [x, y](std::size_t k, std::size_t off) { y[k] = x[off]; });
    t.set_backward(out, [s, axes](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        T* ga = t.grad_acc(ia).data();
        for_each_permuted(s, axes, [g, ga](std::size_t k, std::size_t off) { ga[off] += g[k]; });
    });
    return out;
}

template <class T>
Var<T> slice(Var<T> a, std::size_t axis, std::size_t start, std::size_t length) {
    Tape<T>& t = tape_of(a, "slice");
    const Shape s = shape_of(t.value(a));
    if (axis >= s.size())
        throw ShapeError("slice: axis " + std::to_string(axis) + " out of range for shape " + shape_str(s));
    if (start > s[axis] || length > s[axis] - start)
        throw ShapeError("slice: elements [" + std::to_string(start) + ", " + std::to_string(start + length) +
                         ") along axis " + std::to_string(axis) + " do not fit in shape " + shape_str(s));
    std::size_t outer, inner;
    split_at(s, axis, outer, inner);
    const std::size_t n = s[axis];
    Shape os = s;
    os[axis] = length;
    Var<T> out = t.push("slice", os, {a});
    const T* x = t.value(a).data();
    T* y = t.mutable_value(out).data();
    const std::size_t run = length * inner;  // contiguous elements per outer index
    for (std::size_t o = 0; o < outer; ++o)
        std::copy(x + (o * n + start) * inner, x + (o * n + start) * inner + run, y + o * run);
    t.set_backward(out, [outer, inner, n, start, run](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        T* ga = t.grad_acc(ia).data();
        for (std::size_t o = 0; o < outer; ++o) {
            T* dst = ga + (o * n + start) * inner;
            const T* src = g + o * run;
            for (std::size_t k = 0; k < run; ++k) dst[k] += src[k];
        }
    });
    return out;
}

template <class T>
Var<T> concat(const std::vector<Var<T>>& parts, std::size_t axis) {
    if (parts.empty()) throw ShapeError("concat: expected at least one input, got none");
    Tape<T>& t = tape_of(parts[0], "concat");
    const Shape s0 = shape_of(t.value(parts[0]));
    if (axis >= s0.size())
        throw ShapeError("concat: axis " + std::to_string(axis) + " out of range for shape " + shape_str(s0));
    std::vector<std::size_t> widths;  // each part's extent along axis
    std::size_t total = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        same_tape(parts[0], parts[p], "concat");
        const Shape sp = shape_of(t.value(parts[p]));
        bool ok = sp.size() == s0.size();
        for (std::size_t i = 0; ok && i < s0.size(); ++i) ok = i == axis || sp[i] == s0[i];
        if (!ok)
            throw ShapeError("concat: along axis " + std::to_string(axis) + ", input " + std::to_string(p) +
                             " has shape " + shape_str(sp) + " which does not fit input 0 of shape " + shape_str(s0));
        widths.push_back(sp[axis]);
        total += sp[axis];
    }
    std::size_t outer, inner;
    split_at(s0, axis, outer, inner);
    Shape os = s0;
    os[axis] = total;
    Var<T> out = t.push("concat", os, parts);
    T* y = t.mutable_value(out).data();
    std::size_t at = 0;  // offset along axis of the current part
    for (std::size_t p = 0; p < parts.size(); ++p) {
        const T* x = t.value(parts[p]).data();
        const std::size_t run = widths[p] * inner;
        for (std::size_t o = 0; o < outer; ++o) std::copy(x + o * run, x + (o + 1) * run, y + (o * total + at) * inner);
        at += widths[p];
    }
    t.set_backward(out, [widths, outer, inner, total](Tape<T>& t, int self) {
        const T* g = t.grad_of(self).data();
        std::size_t at = 0;
        for (std::size_t p = 0; p < widths.size(); ++p) {
            const int ip = t.parents(self)[p];
            const std::size_t run = widths[p] * inner;
            if (t.needs_grad(ip)) {
                T* gp = t.grad_acc(ip).data();
                for (std::size_t o = 0; o < outer; ++o) {
                    const T* src = g + (o * total + at) * inner;
                    for (std::size_t k = 0; k < run; ++k) gp[o * run + k] += src[k];
                }
            }
            at += widths[p];
        }
    });
    return out;
}

#define GT_INSTANTIATE(T)                                                         \
    template Var<T> reshape(Var<T>, const Shape&);                                \
    template Var<T> reshape(Var<T>, std::size_t, std::size_t);                    \
    template Var<T> transpose(Var<T>);                                            \
    template Var<T> permute(Var<T>, const std::vector<std::size_t>&);             \
    template Var<T> slice(Var<T>, std::size_t, std::size_t, std::size_t);         \
    template Var<T> concat(const std::vector<Var<T>>&, std::size_t);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
