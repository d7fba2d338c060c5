#include "autodiff/ops_loss.hpp"

#include "autodiff/elementwise.hpp"
#include "autodiff/fast_math_f32.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

namespace gt {

namespace {

template <class S>
void check_2d(const char* op, const S& s) {
    if (s.size() != 2)
        throw ShapeError(std::string(op) + ": expected a 2-D (N, C) input, got " + shape_str(to_shape(s)));
}

// Row-wise log-softmax of x (N×C) into y, max-shifted for stability.
template <class T>
void log_softmax_rows(const T* x, T* y, std::size_t N, std::size_t C) {
    for (std::size_t i = 0; i < N; ++i) {
        const T* xi = x + i * C;
        T* yi = y + i * C;
        T m = *std::max_element(xi, xi + C);
        T s = T(0);
        for (std::size_t j = 0; j < C; ++j) s += std::exp(xi[j] - m);
        const T lse = m + std::log(s);
        for (std::size_t j = 0; j < C; ++j) yi[j] = xi[j] - lse;
    }
}

}  // namespace

template <class T>
Var<T> log_softmax(Var<T> logits) {
    Tape<T>& t = tape_of(logits, "log_softmax");
    const TensorShape& s = t.value(logits).shape();
    check_2d("log_softmax", s);
    Var<T> out = t.push("log_softmax", s, {logits});
    log_softmax_rows(t.value(logits).data(), t.mutable_value(out).data(), s[0], s[1]);
    t.set_backward(out, [](Tape<T>& t, int self) {
        // ∂x_j = g_j − softmax_j · Σ_k g_k
        const int ia = t.parents(self)[0];
        const Tensor<T>& y = t.value(self);
        const std::size_t N = y.shape()[0], C = y.shape()[1];
        const T* g = t.grad_of(self).data();
        T* ga = t.grad_acc(ia).data();
        for (std::size_t i = 0; i < N; ++i) {
            T gs = T(0);
            for (std::size_t j = 0; j < C; ++j) gs += g[i * C + j];
            for (std::size_t j = 0; j < C; ++j) ga[i * C + j] += g[i * C + j] - std::exp(y.data()[i * C + j]) * gs;
        }
    });
    return out;
}

template <class T>
Var<T> cross_entropy(Var<T> logits, const Labels& labels, int ignore_index) {
    Tape<T>& t = tape_of(logits, "cross_entropy");
    const TensorShape& s = t.value(logits).shape();
    check_2d("cross_entropy", s);
    const std::size_t N = s[0], C = s[1];
    if (labels.size() != N)
        throw ShapeError("cross_entropy: expected " + std::to_string(N) + " labels for logits " + shape_str(to_shape(s)) +
                         ", got " + std::to_string(labels.size()));
    std::size_t kept = 0;
    for (std::size_t i = 0; i < N; ++i) {
        if (labels[i] == ignore_index) continue;
        if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= C)
            throw ValueError("cross_entropy: label " + std::to_string(labels[i]) + " at position " + std::to_string(i) +
                             " is outside [0, " + std::to_string(C) + ") and is not the ignore index " +
                             std::to_string(ignore_index));
        ++kept;
    }
    Var<T> out = t.push("cross_entropy", Shape{}, {logits});
    Tensor<T>& lsm = t.scratch(out);  // log-softmax, kept for backward
    if (lsm.shape() != t.value(logits).shape()) lsm.resize(s);
    // The labels, kept for backward, with −1 marking an ignored row.
    std::vector<int>& kept_labels = t.int_scratch(out);
    kept_labels.resize(N);
    for (std::size_t i = 0; i < N; ++i) kept_labels[i] = labels[i] == ignore_index ? -1 : labels[i];
    log_softmax_rows(t.value(logits).data(), lsm.data(), N, C);
    T loss = T(0);
    for (std::size_t i = 0; i < N; ++i)
        if (kept_labels[i] >= 0) loss -= lsm.data()[i * C + kept_labels[i]];
    // No kept row: 0/0 = NaN, as PyTorch's mean over no element.
    t.mutable_value(out).data()[0] = kept ? loss / T(kept) : std::numeric_limits<T>::quiet_NaN();
    t.set_backward(out, [N, C, kept](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const int* labels = t.int_scratch(self).data();
        T* ga = t.grad_acc(ia).data();  // ignored rows receive nothing
        if (kept == 0) return;
        const T g = t.grad_of(self).data()[0] / T(kept);
        const T* lsm = t.scratch(self).data();
        for (std::size_t i = 0; i < N; ++i) {
            if (labels[i] < 0) continue;
            for (std::size_t j = 0; j < C; ++j) ga[i * C + j] += g * std::exp(lsm[i * C + j]);
            ga[i * C + labels[i]] -= g;
        }
    });
    return out;
}

template <class T>
Var<T> mse(Var<T> pred, Var<T> target) {
    Tape<T>& t = same_tape(pred, target, "mse");
    const Shape sp = shape_of(t.value(pred)), st = shape_of(t.value(target));
    if (sp != st) throw ShapeError("mse: prediction " + shape_str(sp) + " and target " + shape_str(st) + " differ");
    Var<T> out = t.push("mse", Shape{}, {pred, target});
    const std::size_t n = t.value(pred).size();
    const T* p = t.value(pred).data();
    const T* y = t.value(target).data();
    T acc = T(0);
    for (std::size_t i = 0; i < n; ++i) acc += (p[i] - y[i]) * (p[i] - y[i]);
    t.mutable_value(out).data()[0] = n ? acc / T(n) : T(0);
    t.set_backward(out, [n](Tape<T>& t, int self) {
        const int ip = t.parents(self)[0], iy = t.parents(self)[1];
        const T g = T(2) * t.grad_of(self).data()[0] / T(n);
        const T* p = t.value(ip).data();
        const T* y = t.value(iy).data();
        if (t.needs_grad(ip)) {
            T* gp = t.grad_acc(ip).data();
            for (std::size_t i = 0; i < n; ++i) gp[i] += g * (p[i] - y[i]);
        }
        if (t.needs_grad(iy)) {
            T* gy = t.grad_acc(iy).data();
            for (std::size_t i = 0; i < n; ++i) gy[i] -= g * (p[i] - y[i]);
        }
    });
    return out;
}

// ---- float BCE: the shared vectorized log, compiled per instruction set by autodiff/elementwise.hpp ---
namespace {

// max(log p, −100) and max(log(1 − p), −100) for p ∈ [0, 1]. log(1 − p) = log u + e/u where u = fl(1 − p)
// and e = (−p) − (u − 1) is its exact rounding error (Fast2Sum, |1| ≥ |p|); e = 0 for p ≥ ½ (Sterbenz).
// So log1p(−p) stays within 1.7 ulp for every float p ∈ [0, 1), tiny p and p near 1 included.
GT_KERNEL_INLINE void bce_logs(float p, float& lp, float& l1p) {
    const float l = f32::log_nonneg(p);
    lp = l < -100.0f ? -100.0f : l;
    const float u = 1.0f - p;
    const float e = (-p) - (u - 1.0f);
    const float l1 = f32::log_nonneg(u) + e / (u < 0.5f ? 0.5f : u);
    l1p = l1 < -100.0f ? -100.0f : l1;
}

// Σ −(y·lp + (1 − y)·l1p), summed in 16 double lanes (then across them).
struct BceSum {
    static constexpr bool vector = true;
    GT_KERNEL_INLINE double operator()(const float* p, const float* y, std::size_t n) const {
        constexpr std::size_t L = 16;
        double lane[L] = {};
        const std::size_t n_full = n - n % L;
        for (std::size_t i = 0; i < n_full; i += L)
            for (std::size_t j = 0; j < L; ++j) {
                float lp, l1p;
                bce_logs(p[i + j], lp, l1p);
                lane[j] -= double(y[i + j] * lp + (1.0f - y[i + j]) * l1p);
            }
        double acc = 0.0;
        for (std::size_t i = n_full; i < n; ++i) {
            float lp, l1p;
            bce_logs(p[i], lp, l1p);
            acc -= double(y[i] * lp + (1.0f - y[i]) * l1p);
        }
        for (std::size_t j = 0; j < L; ++j) acc += lane[j];
        return acc;
    }
};

// ∂p = g·((p − y)/max(p(1 − p), 1e-12)), g last: g·(p − y) can be a denormal.
struct BceGradP {
    static constexpr bool vector = true;
    float g;
    template <elementwise::Store S>
    GT_KERNEL_INLINE void operator()(elementwise::StoreAs<S> s, float* out, const float* p, const float* y,
                                     std::size_t n) const {
        const float gg = g;
        for (std::size_t i = 0; i < n; ++i) {
            const float pq = p[i] * (1.0f - p[i]);
            elementwise::store(s, out[i], gg * ((p[i] - y[i]) / (pq < 1e-12f ? 1e-12f : pq)));
        }
    }
};

// ∂y = g·(l1p − lp)
struct BceGradY {
    static constexpr bool vector = true;
    float g;
    template <elementwise::Store S>
    GT_KERNEL_INLINE void operator()(elementwise::StoreAs<S> s, float* out, const float* p, const float*,
                                     std::size_t n) const {
        const float gg = g;
        for (std::size_t i = 0; i < n; ++i) {
            float lp, l1p;
            bce_logs(p[i], lp, l1p);
            elementwise::store(s, out[i], gg * (l1p - lp));
        }
    }
};

}  // namespace

template <class T>
Var<T> binary_cross_entropy(Var<T> prob, Var<T> target, Reduction r) {
    Tape<T>& t = same_tape(prob, target, "binary_cross_entropy");
    const TensorShape &sp = t.value(prob).shape(), &st = t.value(target).shape();
    if (sp != st)
        throw ShapeError("binary_cross_entropy: probabilities " + shape_str(to_shape(sp)) + " and target " +
                         shape_str(to_shape(st)) + " differ");
    const std::size_t n = t.value(prob).size();
    const T* p = t.value(prob).data();
    int invalid = 0;  // a branch-free pass first; the index is looked for only on failure
    for (std::size_t i = 0; i < n; ++i) invalid |= !(p[i] >= T(0)) | !(p[i] <= T(1));
    if (invalid)
        for (std::size_t i = 0; i < n; ++i)
            if (!(p[i] >= T(0) && p[i] <= T(1)))
                throw ValueError("binary_cross_entropy: input " + std::to_string(i) + " is " + std::to_string(p[i]) +
                                 ", expected a probability in [0, 1]");
    Var<T> out = t.push("binary_cross_entropy", Shape{}, {prob, target});
    const T* y = t.value(target).data();
    const T scale = (r == Reduction::Mean && n) ? T(1) / T(n) : T(1);
    if constexpr (std::is_same_v<T, float>) {
        const double acc = elementwise::run(BceSum{}, p, y, n);
        t.mutable_value(out).data()[0] = float(r == Reduction::Mean && n ? acc / double(n) : acc);
    } else {
        T acc = T(0);
        for (std::size_t i = 0; i < n; ++i) {
            const T lp = std::max(std::log(p[i]), T(-100));
            const T l1p = std::max(std::log1p(-p[i]), T(-100));
            acc -= y[i] * lp + (T(1) - y[i]) * l1p;
        }
        t.mutable_value(out).data()[0] = acc * scale;
    }
    t.set_backward(out, [n, scale](Tape<T>& t, int self) {
        // ∂p = g·(p − y)/max(p(1−p), 1e-12) (PyTorch clamps the denominator); ∂y = g·(log(1−p) − log p)
        const int ip = t.parents(self)[0], iy = t.parents(self)[1];
        const T g = t.grad_of(self).data()[0] * scale;
        const T* p = t.value(ip).data();
        const T* y = t.value(iy).data();
        if constexpr (std::is_same_v<T, float>) {
            if (t.needs_grad(ip)) elementwise::add_to_grad(t, ip, BceGradP{g}, p, y, n);
            if (t.needs_grad(iy)) elementwise::add_to_grad(t, iy, BceGradY{g}, p, y, n);
        } else {
            if (t.needs_grad(ip)) {
                T* gp = t.grad_acc(ip).data();
                for (std::size_t i = 0; i < n; ++i)
                    gp[i] += g * (p[i] - y[i]) / std::max(p[i] * (T(1) - p[i]), T(1e-12));
            }
            if (t.needs_grad(iy)) {
                T* gy = t.grad_acc(iy).data();
                for (std::size_t i = 0; i < n; ++i)
                    gy[i] += g * (std::max(std::log1p(-p[i]), T(-100)) - std::max(std::log(p[i]), T(-100)));
            }
        }
    });
    return out;
}

#define GT_INSTANTIATE(T)                                                  \
    template Var<T> log_softmax(Var<T>);                                   \
    template Var<T> cross_entropy(Var<T>, const Labels&, int);             \
    template Var<T> mse(Var<T>, Var<T>);                                   \
    template Var<T> binary_cross_entropy(Var<T>, Var<T>, Reduction);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
