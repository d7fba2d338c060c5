#include "autodiff/ops_linalg.hpp"

#include <algorithm>

#include "autodiff/gemm.hpp"

namespace gt {

namespace {

// gemm_raw, also for an empty inner dimension (BLAS wants lda ≥ max(1, k)): C = beta·C then.
template <class T>
void gemm_any_k(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t lda,
                const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
        return;
    }
    gemm_raw<T>(ta, tb, m, n, k, T(1), a, lda, b, ldb, beta, c, ldc);
}

std::string operand_str(const TensorShape& s, bool transposed) {
    return shape_str(to_shape(s)) + (transposed ? "ᵀ" : "");
}

}  // namespace

// C = op(A)·op(B) per batch (one batch for 2-D operands). With op(A) m×k and op(B) k×n:
//   ∂op(A) = g·op(B)ᵀ, so ∂A += g·op(B)ᵀ, or op(B)·gᵀ when A is read transposed;
//   ∂op(B) = op(A)ᵀ·g, so ∂B += op(A)ᵀ·g, or gᵀ·op(A) when B is read transposed.
// Every product reads the stored operands in place, with their own row length as leading dimension.
template <class T>
Var<T> matmul(Var<T> a, Var<T> b, bool transpose_a, bool transpose_b) {
    Tape<T>& t = same_tape(a, b, "matmul");
    const TensorShape &sa = t.value(a).shape(), &sb = t.value(b).shape();
    const bool batched = sa.size() == 3 && sb.size() == 3;
    if (!batched && !(sa.size() == 2 && sb.size() == 2))
        throw ShapeError("matmul: expected two 2-D or two 3-D operands, got " + shape_str(to_shape(sa)) + " and " +
                         shape_str(to_shape(sb)));
    const std::size_t r = batched ? 1 : 0;  // first matrix axis
    const std::size_t m = transpose_a ? sa[r + 1] : sa[r], ka = transpose_a ? sa[r] : sa[r + 1];
    const std::size_t kb = transpose_b ? sb[r + 1] : sb[r], n = transpose_b ? sb[r] : sb[r + 1];
    if (batched && sa[0] != sb[0])
        throw ShapeError("matmul: batch sizes differ: " + operand_str(sa, false) + " and " + operand_str(sb, false));
    if (ka != kb)
        throw ShapeError(std::string("matmul: inner dimensions differ: ") + (batched ? "batched " : "") +
                         operand_str(sa, transpose_a) + " times " + operand_str(sb, transpose_b));
    const std::size_t B = batched ? sa[0] : 1, k = ka;
    const std::size_t lda = sa[r + 1], ldb = sb[r + 1];
    Var<T> out = batched ? t.push("matmul", {B, m, n}, {a, b}) : t.push("matmul", {m, n}, {a, b});
    const T *pa = t.value(a).data(), *pb = t.value(b).data();
    T* pc = t.mutable_value(out).data();
    for (std::size_t i = 0; i < B; ++i)
        gemm_any_k<T>(transpose_a, transpose_b, m, n, k, pa + i * m * k, lda, pb + i * k * n, ldb, T(0), pc + i * m * n, n);
    t.set_backward(out, [B, m, n, k, lda, ldb, transpose_a, transpose_b](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0], ib = t.parents(self)[1];
        const T* g = t.grad_of(self).data();
        const T *pa = t.value(ia).data(), *pb = t.value(ib).data();
        if (t.needs_grad(ia)) {
            T* ga = t.grad_acc(ia).data();
            for (std::size_t i = 0; i < B; ++i) {
                const T *gi = g + i * m * n, *bi = pb + i * k * n;
                if (!transpose_a)
                    gemm_any_k<T>(false, !transpose_b, m, k, n, gi, n, bi, ldb, T(1), ga + i * m * k, lda);
                else
                    gemm_any_k<T>(transpose_b, true, k, m, n, bi, ldb, gi, n, T(1), ga + i * m * k, lda);
            }
        }
        if (t.needs_grad(ib)) {
            T* gb = t.grad_acc(ib).data();
            for (std::size_t i = 0; i < B; ++i) {
                const T *gi = g + i * m * n, *ai = pa + i * m * k;
                if (!transpose_b)
                    gemm_any_k<T>(!transpose_a, false, k, n, m, ai, lda, gi, n, T(1), gb + i * k * n, ldb);
                else
                    gemm_any_k<T>(true, transpose_a, n, k, m, gi, n, ai, lda, T(1), gb + i * k * n, ldb);
            }
        }
    });
    return out;
}

// x (..., in) is read as N×in rows (N = the product of the leading axes) and y (..., out) written as N×out.
template <class T>
Var<T> linear(Var<T> x, Var<T> w, Var<T> b) {
    Tape<T>& t = same_tape(x, w, "linear");
    const TensorShape &sx = t.value(x).shape(), &sw = t.value(w).shape();
    if (sx.size() < 2 || sw.size() != 2 || sx.back() != sw[1])
        throw ShapeError("linear: expected x (..., in) of rank ≥ 2 and W (out, in), got x " + shape_str(to_shape(sx)) +
                         " and W " + shape_str(to_shape(sw)));
    const bool has_bias = b.valid();
    if (has_bias) {
        same_tape(x, b, "linear");
        const TensorShape& sb = t.value(b).shape();
        if (sb.size() != 1 || sb[0] != sw[0])
            throw ShapeError("linear: expected bias of shape " + shape_str(Shape{sw[0]}) + ", got " +
                             shape_str(to_shape(sb)));
    }
    const std::size_t in_f = sw[1], out_f = sw[0];
    std::size_t N = 1;
    for (std::size_t i = 0; i + 1 < sx.size(); ++i) N *= sx[i];
    TensorShape ys = sx;  // (..., out): a copy of x's own shape type, held inline up to rank 4
    ys.back() = out_f;
    Var<T> out = has_bias ? t.push("linear", ys, {x, w, b}) : t.push("linear", ys, {x, w});
    T* y = t.mutable_value(out).data();
    if (has_bias) {  // y = 1·bᵀ then y += x·Wᵀ (beta = 1): no temporary
        const T* bp = t.value(b).data();
        for (std::size_t i = 0; i < N; ++i) std::copy(bp, bp + out_f, y + i * out_f);
    }
    gemm_any_k<T>(false, true, N, out_f, in_f, t.value(x).data(), in_f, t.value(w).data(), in_f,
                  has_bias ? T(1) : T(0), y, out_f);
    t.set_backward(out, [has_bias, N, in_f, out_f](Tape<T>& t, int self) {
        const auto& ps = t.parents(self);
        const int ix = ps[0], iw = ps[1];
        const T* g = t.grad_of(self).data();
        if (t.needs_grad(ix))  // ∂x (N×in) += g (N×out) · W (out×in)
            gemm_any_k<T>(false, false, N, in_f, out_f, g, out_f, t.value(iw).data(), in_f, T(1),
                          t.grad_acc(ix).data(), in_f);
        if (t.needs_grad(iw))  // ∂W (out×in) += gᵀ · x
            gemm_any_k<T>(true, false, out_f, in_f, N, g, out_f, t.value(ix).data(), in_f, T(1),
                          t.grad_acc(iw).data(), in_f);
        if (has_bias && t.needs_grad(ps[2])) {
            T* gb = t.grad_acc(ps[2]).data();
            for (std::size_t i = 0; i < N; ++i)
                for (std::size_t j = 0; j < out_f; ++j) gb[j] += g[i * out_f + j];
        }
    });
    return out;
}

template Var<float> matmul(Var<float>, Var<float>, bool, bool);
template Var<double> matmul(Var<double>, Var<double>, bool, bool);
template Var<float> linear(Var<float>, Var<float>, Var<float>);
template Var<double> linear(Var<double>, Var<double>, Var<double>);

}  // namespace gt
