#include "autodiff/ops_attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "autodiff/gemm.hpp"

namespace gt {

namespace {

// y = softmax(x) over one row of n entries, the maximum subtracted first (no overflow).
template <class T>
void softmax_row(const T* x, T* y, std::size_t n) {
    const T m = *std::max_element(x, x + n);
    T s = T(0);
    for (std::size_t j = 0; j < n; ++j) s += (y[j] = std::exp(x[j] - m));
    const T inv = T(1) / s;
    for (std::size_t j = 0; j < n; ++j) y[j] *= inv;
}

// The same over the entries j with keep[j] (≥ 1 of them); the others get exactly 0, as softmax with
// −∞ at the masked places.
template <class T>
void masked_softmax_row(const T* x, T* y, std::size_t n, const int* masked) {
    T m = -std::numeric_limits<T>::infinity();
    for (std::size_t j = 0; j < n; ++j)
        if (!masked[j]) m = std::max(m, x[j]);
    T s = T(0);
    for (std::size_t j = 0; j < n; ++j) s += (y[j] = masked[j] ? T(0) : std::exp(x[j] - m));
    const T inv = T(1) / s;
    for (std::size_t j = 0; j < n; ++j) y[j] *= inv;
}

// dx = y ⊙ (g − Σ_j g_j y_j) on one row, written (Write) or added.
template <class T>
void softmax_row_backward(const T* y, const T* g, T* dx, std::size_t n, bool write) {
    T dot = T(0);
    for (std::size_t j = 0; j < n; ++j) dot += g[j] * y[j];
    if (write)
        for (std::size_t j = 0; j < n; ++j) dx[j] = y[j] * (g[j] - dot);
    else
        for (std::size_t j = 0; j < n; ++j) dx[j] += y[j] * (g[j] - dot);
}

std::string shapes_str(const TensorShape& q, const TensorShape& k, const TensorShape& v) {
    return "q " + shape_str(to_shape(q)) + ", k " + shape_str(to_shape(k)) + ", v " + shape_str(to_shape(v));
}

}  // namespace

template <class T>
Var<T> softmax(Var<T> a) {
    Tape<T>& t = tape_of(a, "softmax");
    const TensorShape& s = t.value(a).shape();
    if (s.empty()) throw ShapeError("softmax: expected an input of rank ≥ 1 (softmax over the last axis), got ()");
    const std::size_t C = s.back(), rows = C ? t.value(a).size() / C : 0;
    Var<T> out = t.push("softmax", s, {a});
    const T* x = t.value(a).data();
    T* y = t.mutable_value(out).data();
    for (std::size_t r = 0; r < rows; ++r) softmax_row(x + r * C, y + r * C, C);
    t.set_backward(out, [rows, C](Tape<T>& t, int self) {  // the contribution covers all of ∂a: written
        const int ia = t.parents(self)[0];
        const T* y = t.value(self).data();
        const T* g = t.grad_of(self).data();
        bool fresh = false;
        T* ga = t.grad_write(ia, fresh).data();
        for (std::size_t r = 0; r < rows; ++r) softmax_row_backward(y + r * C, g + r * C, ga + r * C, C, fresh);
    });
    return out;
}

// Head h of batch row b is the column block [h·d, (h+1)·d) of the (T, D) matrices q_b, k_b, v_b: a
// GEMM operand with leading dimension D, so no head is copied. With S = Q Kᵀ/√d and P = softmax(S + M):
//   O = P V;   dP = dO Vᵀ;   dV = Pᵀ dO;   dS = P ⊙ (dP − rowsum(dP ⊙ P));   dQ = dS K/√d;   dK = dSᵀ Q/√d.
// scratch = [ P of every (b, h), B·H·Tq·Tk | dP → dS of one head, Tq·Tk ]; int_scratch = the key flags.
// Each (b, h) block of dQ, dK, dV is produced by one GEMM, so the three gradients are written (beta = 0)
// when fresh; grad_write is called in the order q, k, v, the order the blocks are produced in, so when
// q, k, v are the same node, the first GEMM on a block writes it and the later ones add.
template <class T>
Var<T> multi_head_attention(Var<T> q, Var<T> k, Var<T> v, std::size_t heads,
                            const std::vector<std::uint8_t>& key_padding) {
    const char* op = "multi_head_attention";
    Tape<T>& t = same_tape(q, k, op);
    same_tape(q, v, op);
    const TensorShape &sq = t.value(q).shape(), &sk = t.value(k).shape(), &sv = t.value(v).shape();
    if (sq.size() != 3 || sk.size() != 3 || sv.size() != 3 || sk != sv || sq[0] != sk[0] || sq[2] != sk[2])
        throw ShapeError(std::string(op) + ": expected q (B, Tq, D) and k, v (B, Tk, D), got " + shapes_str(sq, sk, sv));
    const std::size_t B = sq[0], Tq = sq[1], Tk = sk[1], D = sq[2];
    if (heads == 0 || D % heads != 0)
        throw ValueError(std::string(op) + ": the model width D = " + std::to_string(D) +
                         " must split into heads = " + std::to_string(heads) + " equal blocks");
    const std::size_t d = D / heads;
    const bool masked = !key_padding.empty();
    if (masked && key_padding.size() != B * Tk)
        throw ShapeError(std::string(op) + ": expected " + std::to_string(B * Tk) + " key_padding flags (B·Tk for " +
                         shapes_str(sq, sk, sv) + "), got " + std::to_string(key_padding.size()));
    if (Tq == 0 || Tk == 0 || D == 0)
        throw ShapeError(std::string(op) + ": expected non-empty sequences and width, got " + shapes_str(sq, sk, sv));
    if (masked)
        for (std::size_t b = 0; b < B; ++b)
            if (std::all_of(key_padding.begin() + b * Tk, key_padding.begin() + (b + 1) * Tk,
                            [](std::uint8_t f) { return f != 0; }))
                throw ValueError(std::string(op) + ": every one of the " + std::to_string(Tk) + " keys of batch row " +
                                 std::to_string(b) + " is padding; at least one key must be attended to");
    Var<T> out = t.push(op, sq, {q, k, v});
    const std::size_t TT = Tq * Tk;
    Tensor<T>& scratch = t.scratch(out);
    if (scratch.size() != B * heads * TT + TT) scratch.resize({B * heads * TT + TT});
    std::vector<int>& flags = t.int_scratch(out);
    flags.assign(key_padding.begin(), key_padding.end());
    const T scale = T(1) / std::sqrt(T(d));
    const T *pq = t.value(q).data(), *pk = t.value(k).data(), *pv = t.value(v).data();
    T* po = t.mutable_value(out).data();
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t h = 0; h < heads; ++h) {
            const std::size_t oq = b * Tq * D + h * d, ok = b * Tk * D + h * d;
            T* P = scratch.data() + (b * heads + h) * TT;
            gemm_raw<T>(false, true, Tq, Tk, d, scale, pq + oq, D, pk + ok, D, T(0), P, Tk);  // S = Q Kᵀ/√d
            for (std::size_t i = 0; i < Tq; ++i) {
                T* row = P + i * Tk;
                if (masked) masked_softmax_row(row, row, Tk, flags.data() + b * Tk);
                else softmax_row(row, row, Tk);
            }
            gemm_raw<T>(false, false, Tq, d, Tk, T(1), P, Tk, pv + ok, D, T(0), po + oq, D);  // O = P V
        }
    t.set_backward(out, [B, heads, Tq, Tk, D, d, scale](Tape<T>& t, int self) {
        const int iq = t.parents(self)[0], ik = t.parents(self)[1], iv = t.parents(self)[2];
        const bool need_q = t.needs_grad(iq), need_k = t.needs_grad(ik), need_v = t.needs_grad(iv);
        bool fresh_q = false, fresh_k = false, fresh_v = false;
        T* gq = need_q ? t.grad_write(iq, fresh_q).data() : nullptr;
        T* gk = need_k ? t.grad_write(ik, fresh_k).data() : nullptr;
        T* gv = need_v ? t.grad_write(iv, fresh_v).data() : nullptr;
        const T* g = t.grad_of(self).data();
        const T *pq = t.value(iq).data(), *pk = t.value(ik).data(), *pv = t.value(iv).data();
        const std::size_t TT = Tq * Tk;
        T* dS = t.scratch(self).data() + B * heads * TT;
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t h = 0; h < heads; ++h) {
                const std::size_t oq = b * Tq * D + h * d, ok = b * Tk * D + h * d;
                const T* P = t.scratch(self).data() + (b * heads + h) * TT;
                if (need_q || need_k) {
                    gemm_raw<T>(false, true, Tq, Tk, d, T(1), g + oq, D, pv + ok, D, T(0), dS, Tk);  // dP = dO Vᵀ
                    for (std::size_t i = 0; i < Tq; ++i) {  // dS = P ⊙ (dP − rowsum(dP ⊙ P)); masked keys: P = 0
                        T* row = dS + i * Tk;
                        const T* p = P + i * Tk;
                        T dot = T(0);
                        for (std::size_t j = 0; j < Tk; ++j) dot += row[j] * p[j];
                        for (std::size_t j = 0; j < Tk; ++j) row[j] = p[j] * (row[j] - dot);
                    }
                    if (need_q)  // dQ = dS K/√d
                        gemm_raw<T>(false, false, Tq, d, Tk, scale, dS, Tk, pk + ok, D, fresh_q ? T(0) : T(1), gq + oq, D);
                    if (need_k)  // dK = dSᵀ Q/√d
                        gemm_raw<T>(true, false, Tk, d, Tq, scale, dS, Tk, pq + oq, D, fresh_k ? T(0) : T(1), gk + ok, D);
                }
                if (need_v)  // dV = Pᵀ dO
                    gemm_raw<T>(true, false, Tk, d, Tq, T(1), P, Tk, g + oq, D, fresh_v ? T(0) : T(1), gv + ok, D);
            }
    });
    return out;
}

#define GT_INSTANTIATE(T)                                                                        \
    template Var<T> softmax(Var<T>);                                                             \
    template Var<T> multi_head_attention(Var<T>, Var<T>, Var<T>, std::size_t, const std::vector<std::uint8_t>&);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
