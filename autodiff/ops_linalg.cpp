#include "autodiff/ops_linalg.hpp"

#include "autodiff/gemm.hpp"

namespace gt {

template <class T>
Var<T> matmul(Var<T> a, Var<T> b) {
    Tape<T>& t = same_tape(a, b, "matmul");
    const TensorShape &sa = t.value(a).shape(), &sb = t.value(b).shape();
    if (sa.size() == 2 && sb.size() == 2) {
        if (sa[1] != sb[0])
            throw ShapeError("matmul: inner dimensions differ: " + shape_str(to_shape(sa)) + " times " +
                             shape_str(to_shape(sb)));
        Var<T> out = t.push("matmul", {sa[0], sb[1]}, {a, b});
        gemm<T>(t.value(a), false, t.value(b), false, t.mutable_value(out), T(1), T(0), "matmul");
        t.set_backward(out, [](Tape<T>& t, int self) {
            const int ia = t.parents(self)[0], ib = t.parents(self)[1];
            const Tensor<T>& g = t.grad_of(self);
            if (t.needs_grad(ia)) gemm<T>(g, false, t.value(ib), true, t.grad_acc(ia), T(1), T(1), "matmul backward");
            if (t.needs_grad(ib)) gemm<T>(t.value(ia), true, g, false, t.grad_acc(ib), T(1), T(1), "matmul backward");
        });
        return out;
    }
    if (sa.size() == 3 && sb.size() == 3) {
        if (sa[0] != sb[0] || sa[2] != sb[1])
            throw ShapeError("matmul: batched shapes do not fit: " + shape_str(to_shape(sa)) + " times " +
                             shape_str(to_shape(sb)));
        const std::size_t B = sa[0], m = sa[1], k = sa[2], n = sb[2];
        Var<T> out = t.push("matmul", {B, m, n}, {a, b});
        for (std::size_t i = 0; i < B; ++i)
            gemm_raw<T>(false, false, m, n, k, T(1), t.value(a).data() + i * m * k, k, t.value(b).data() + i * k * n,
                        n, T(0), t.mutable_value(out).data() + i * m * n, n);
        t.set_backward(out, [B, m, n, k](Tape<T>& t, int self) {
            const int ia = t.parents(self)[0], ib = t.parents(self)[1];
            const T* g = t.grad_of(self).data();
            if (t.needs_grad(ia)) {
                T* ga = t.grad_acc(ia).data();
                for (std::size_t i = 0; i < B; ++i)
                    gemm_raw<T>(false, true, m, k, n, T(1), g + i * m * n, n, t.value(ib).data() + i * k * n, n, T(1),
                                ga + i * m * k, k);
            }
            if (t.needs_grad(ib)) {
                T* gb = t.grad_acc(ib).data();
                for (std::size_t i = 0; i < B; ++i)
                    gemm_raw<T>(true, false, k, n, m, T(1), t.value(ia).data() + i * m * k, k, g + i * m * n, n, T(1),
                                gb + i * k * n, n);
            }
        });
        return out;
    }
    throw ShapeError("matmul: expected two 2-D or two 3-D operands, got " + shape_str(to_shape(sa)) + " and " +
                     shape_str(to_shape(sb)));
}

template <class T>
Var<T> linear(Var<T> x, Var<T> w, Var<T> b) {
    Tape<T>& t = same_tape(x, w, "linear");
    const TensorShape &sx = t.value(x).shape(), &sw = t.value(w).shape();
    if (sx.size() != 2 || sw.size() != 2 || sx[1] != sw[1])
        throw ShapeError("linear: expected x (N, in) and W (out, in), got x " + shape_str(to_shape(sx)) + " and W " +
                         shape_str(to_shape(sw)));
    const bool has_bias = b.valid();
    if (has_bias) {
        same_tape(x, b, "linear");
        const TensorShape& sb = t.value(b).shape();
        if (sb.size() != 1 || sb[0] != sw[0])
            throw ShapeError("linear: expected bias of shape " + shape_str(Shape{sw[0]}) + ", got " +
                             shape_str(to_shape(sb)));
    }
    const std::size_t N = sx[0], out_f = sw[0];
    Var<T> out = has_bias ? t.push("linear", {N, out_f}, {x, w, b}) : t.push("linear", {N, out_f}, {x, w});
    Tensor<T>& y = t.mutable_value(out);
    if (has_bias) {  // y = 1·bᵀ then y += x·Wᵀ (beta = 1): no temporary
        const T* bp = t.value(b).data();
        for (std::size_t i = 0; i < N; ++i) std::copy(bp, bp + out_f, y.data() + i * out_f);
        gemm<T>(t.value(x), false, t.value(w), true, y, T(1), T(1), "linear");
    } else {
        gemm<T>(t.value(x), false, t.value(w), true, y, T(1), T(0), "linear");
    }
    t.set_backward(out, [has_bias](Tape<T>& t, int self) {
        const auto& ps = t.parents(self);
        const int ix = ps[0], iw = ps[1];
        const Tensor<T>& g = t.grad_of(self);
        if (t.needs_grad(ix)) gemm<T>(g, false, t.value(iw), false, t.grad_acc(ix), T(1), T(1), "linear backward");
        if (t.needs_grad(iw)) gemm<T>(g, true, t.value(ix), false, t.grad_acc(iw), T(1), T(1), "linear backward");
        if (has_bias && t.needs_grad(ps[2])) {
            Tensor<T>& gb = t.grad_acc(ps[2]);
            const std::size_t N = g.shape()[0], F = g.shape()[1];
            for (std::size_t i = 0; i < N; ++i)
                for (std::size_t j = 0; j < F; ++j) gb.data()[j] += g.data()[i * F + j];
        }
    });
    return out;
}

template Var<float> matmul(Var<float>, Var<float>);
template Var<double> matmul(Var<double>, Var<double>);
template Var<float> linear(Var<float>, Var<float>, Var<float>);
template Var<double> linear(Var<double>, Var<double>, Var<double>);

}  // namespace gt
