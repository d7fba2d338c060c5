#include "autodiff/ops_activation.hpp"

#include "autodiff/fast_math_f32.hpp"

#include <cmath>
#include <cstddef>
#include <type_traits>

namespace gt {

namespace {

// Point-wise op skeleton over raw buffers: y = f(x); ∂x += g·df(x, y).
template <class T, class F, class DF>
Var<T> pointwise(const char* op, Var<T> a, F f, DF df) {
    Tape<T>& t = tape_of(a, op);
    Var<T> out = t.push(op, t.value(a).shape(), {a});
    const Tensor<T>& x = t.value(a);
    Tensor<T>& y = t.mutable_value(out);
    const std::size_t n = x.size();
    for (std::size_t i = 0; i < n; ++i) y.data()[i] = f(x.data()[i]);
    t.set_backward(out, [df](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* x = t.value(ia).data();
        const T* y = t.value(self).data();
        const T* g = t.grad_of(self).data();
        Tensor<T>& ga = t.grad_acc(ia);
        const std::size_t n = ga.size();
        for (std::size_t i = 0; i < n; ++i) ga.data()[i] += g[i] * df(x[i], y[i]);
    });
    return out;
}

}  // namespace

// ReLU loops (both operands loaded unconditionally, so the selects vectorize), compiled for AVX-512
// and for baseline x86-64 and picked once per call like GELU's below.
//   Mode 0: out = a <= 0 ? 0 : a (forward, a = x; NaN stays NaN);  1: out = a > 0 ? g : 0;  2: out += a > 0 ? g : 0 (a = y)
namespace {
template <class T, int Mode>
__attribute__((always_inline)) inline void relu_loop(const T* a, const T* g, T* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const T ai = a[i];
        if constexpr (Mode == 0) {
            out[i] = ai <= T(0) ? T(0) : ai;  // NaN passes through, as in PyTorch
        } else {
            const T gi = g[i];
            if constexpr (Mode == 1)
                out[i] = ai > T(0) ? gi : T(0);
            else
                out[i] += ai > T(0) ? gi : T(0);
        }
    }
}
template <class T>
__attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma"))) void relu_avx512(int mode, const T* a, const T* g,
                                                                               T* out, std::size_t n) {
    if (mode == 0) relu_loop<T, 0>(a, g, out, n);
    else if (mode == 1) relu_loop<T, 1>(a, g, out, n);
    else relu_loop<T, 2>(a, g, out, n);
}
template <class T>
void relu_generic(int mode, const T* a, const T* g, T* out, std::size_t n) {
    if (mode == 0) relu_loop<T, 0>(a, g, out, n);
    else if (mode == 1) relu_loop<T, 1>(a, g, out, n);
    else relu_loop<T, 2>(a, g, out, n);
}
template <class T>
void relu_run(int mode, const T* a, const T* g, T* out, std::size_t n) {
    static const bool wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                             __builtin_cpu_supports("avx512vl");
    if (wide) relu_avx512<T>(mode, a, g, out, n);
    else relu_generic<T>(mode, a, g, out, n);
}
}  // namespace

// y = x > 0 ? x : 0; ∂x = y > 0 ? g : 0, written over a fresh gradient buffer (no zero-fill first)
// or added into one that already holds a gradient.
template <class T>
Var<T> relu(Var<T> a) {
    Tape<T>& t = tape_of(a, "relu");
    Var<T> out = t.push("relu", t.value(a).shape(), {a});
    const T* x = t.value(a).data();
    T* y = t.mutable_value(out).data();
    const std::size_t n = t.value(a).size();
    relu_run<T>(0, x, nullptr, y, n);
    t.set_backward(out, [n](Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const T* y = t.value(self).data();
        const T* g = t.grad_of(self).data();
        bool overwrite = false;
        T* ga = t.grad_write(ia, overwrite).data();
        relu_run<T>(overwrite ? 1 : 2, y, g, ga, n);
    });
    return out;
}

// ---- float GELU: a branch-free erf (and fast_math_f32.hpp's exp) that the compiler vectorizes ------
//
// std::erf is a scalar libm call (≈ a third of an MLP epoch in a profile). For float we evaluate
// erf with our own polynomials, fitted here by iteratively reweighted least squares on relative
// error (max relative error ≈ 2e-7 in float evaluation, i.e. about 1–2 ulp), and compile the two loops
// for AVX-512, AVX2+FMA and baseline x86-64 (picked at load time). Double keeps std::erf.
//   |z| < 1:  erf(z) = z·A(z²),  A of degree 5 (Taylor-like, fitted on [0, 1])
//   |z| ≥ 1:  erf(z) = sign(z)·(1 − e^{−z²}·B(t)),  t = 1/(1 + |z|),  B of degree 7 (fitted on [1, 4])
// Beyond |z| = 4, e^{−z²}·B < 2e-8 and erf rounds to ±1 in float.
namespace {

// erf(z), given e = e^{−z²} (shared with GELU's derivative).
GT_F32_INLINE float erf_with_exp(float z, float e) {
    const float a = z < 0.0f ? -z : z;
    const float s = z * z;
    float pa = -0.0005631457574629406f;
    pa = pa * s + 0.00491756139148089f;
    pa = pa * s - 0.0267113215466456f;
    pa = pa * s + 0.11280180573359641f;
    pa = pa * s - 0.3761232627197941f;
    pa = pa * s + 1.1283791225384534f;
    const float small = z * pa;
    const float ac = a < 4.0f ? a : 4.0f;
    const float t = 1.0f / (1.0f + ac);
    float q = -0.6466667426167088f;
    q = q * t + 1.4080169852041218f;
    q = q * t - 0.7245081472373684f;
    q = q * t - 0.5709962810516329f;
    q = q * t + 0.40798838230177326f;
    q = q * t + 0.5386742606461163f;
    q = q * t + 0.5668141517525532f;
    q = q * t - 0.00011065040692798543f;
    const float big = 1.0f - e * q;
    return a < 1.0f ? small : (z < 0.0f ? -big : big);
}

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

// The loop bodies, inlined into one function per instruction set (GCC 12 does not vectorize these
// loops inside target_clones functions, so the dispatch is by hand, once per call).
template <bool Backward>
GT_F32_INLINE void gelu_loop(const float* x, const float* g, float* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const float xi = x[i], z = xi * kInvSqrt2;
        const float e = f32::exp_nonpos(-z * z);
        const float phi2 = 1.0f + erf_with_exp(z, e);  // 2Φ(x)
        if constexpr (Backward)
            out[i] += g[i] * (0.5f * phi2 + xi * kInvSqrt2Pi * e);  // ga += g·(Φ(x) + x·φ(x))
        else
            out[i] = 0.5f * xi * phi2;
    }
}

GT_TARGET_AVX512 void gelu_avx512(bool bw, const float* x, const float* g, float* out, std::size_t n) {
    if (bw) gelu_loop<true>(x, g, out, n);
    else gelu_loop<false>(x, g, out, n);
}
GT_TARGET_AVX2 void gelu_avx2(bool bw, const float* x, const float* g, float* out, std::size_t n) {
    if (bw) gelu_loop<true>(x, g, out, n);
    else gelu_loop<false>(x, g, out, n);
}
GT_TARGET_BASELINE void gelu_generic(bool bw, const float* x, const float* g, float* out, std::size_t n) {
    if (bw) gelu_loop<true>(x, g, out, n);
    else gelu_loop<false>(x, g, out, n);
}
const auto gelu_kernel = f32::pick(gelu_avx512, gelu_avx2, gelu_generic);

void gelu_forward_f32(const float* x, float* y, std::size_t n) { gelu_kernel(false, x, nullptr, y, n); }
// ga += g · (Φ(x) + x·φ(x)),  Φ(x) = ½(1 + erf(x/√2)),  φ(x) = e^{−x²/2}/√(2π)
void gelu_backward_f32(const float* x, const float* g, float* ga, std::size_t n) { gelu_kernel(true, x, g, ga, n); }

}  // namespace

template <class T>
Var<T> gelu(Var<T> a) {
    if constexpr (std::is_same_v<T, float>) {
        Tape<float>& t = tape_of(a, "gelu");
        Var<float> out = t.push("gelu", t.value(a).shape(), {a});
        gelu_forward_f32(t.value(a).data(), t.mutable_value(out).data(), t.value(a).size());
        t.set_backward(out, [](Tape<float>& t, int self) {
            const int ia = t.parents(self)[0];
            Tensor<float>& ga = t.grad_acc(ia);
            gelu_backward_f32(t.value(ia).data(), t.grad_of(self).data(), ga.data(), ga.size());
        });
        return out;
    } else {
        constexpr T inv_sqrt2 = T(0.70710678118654752440);
        constexpr T inv_sqrt_2pi = T(0.39894228040143267794);
        return pointwise<T>("gelu", a, [](T x) { return T(0.5) * x * (T(1) + std::erf(x * inv_sqrt2)); },
                            [](T x, T) {
                                return T(0.5) * (T(1) + std::erf(x * inv_sqrt2)) +
                                       x * inv_sqrt_2pi * std::exp(T(-0.5) * x * x);
                            });
    }
}

// ---- float sigmoid: the shared vectorized exp, compiled per instruction set like GELU's -------------
//   Mode 0: y = σ(x) = (x < 0 ? e : 1)/(1 + e) with e = e^{−|x|} ≤ 1, so nothing overflows; relative
//           error ≤ 2e-7. Like PyTorch's: σ(x) = 1 from x ≈ 17, denormal below x ≈ −87.3 (σ(−100) ≈
//           3.7e-44), 0 below x ≈ −104 and at −∞, NaN → NaN.
//   Mode 1: ga = g·y·(1 − y) (fresh gradient buffer);  2: ga += g·y·(1 − y)  (a = y, the saved output)
namespace {
template <int Mode>
GT_F32_INLINE void sigmoid_loop(const float* a, const float* g, float* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const float ai = a[i];
        if constexpr (Mode == 0) {
            const float e = f32::exp_nonpos(-__builtin_fabsf(ai));
            out[i] = (ai < 0.0f ? e : 1.0f) / (1.0f + e);
        } else if constexpr (Mode == 1) {
            out[i] = g[i] * (ai * (1.0f - ai));
        } else {
            out[i] += g[i] * (ai * (1.0f - ai));
        }
    }
}
GT_TARGET_AVX512 void sigmoid_avx512(int mode, const float* a, const float* g, float* out, std::size_t n) {
    if (mode == 0) sigmoid_loop<0>(a, g, out, n);
    else if (mode == 1) sigmoid_loop<1>(a, g, out, n);
    else sigmoid_loop<2>(a, g, out, n);
}
GT_TARGET_AVX2 void sigmoid_avx2(int mode, const float* a, const float* g, float* out, std::size_t n) {
    if (mode == 0) sigmoid_loop<0>(a, g, out, n);
    else if (mode == 1) sigmoid_loop<1>(a, g, out, n);
    else sigmoid_loop<2>(a, g, out, n);
}
GT_TARGET_BASELINE void sigmoid_generic(int mode, const float* a, const float* g, float* out, std::size_t n) {
    if (mode == 0) sigmoid_loop<0>(a, g, out, n);
    else if (mode == 1) sigmoid_loop<1>(a, g, out, n);
    else sigmoid_loop<2>(a, g, out, n);
}
const auto sigmoid_kernel = f32::pick(sigmoid_avx512, sigmoid_avx2, sigmoid_generic);
}  // namespace

template <class T>
Var<T> sigmoid(Var<T> a) {
    if constexpr (std::is_same_v<T, float>) {
        Tape<float>& t = tape_of(a, "sigmoid");
        Var<float> out = t.push("sigmoid", t.value(a).shape(), {a});
        const std::size_t n = t.value(a).size();
        sigmoid_kernel(0, t.value(a).data(), nullptr, t.mutable_value(out).data(), n);
        t.set_backward(out, [n](Tape<float>& t, int self) {
            bool overwrite = false;
            float* ga = t.grad_write(t.parents(self)[0], overwrite).data();
            sigmoid_kernel(overwrite ? 1 : 2, t.value(self).data(), t.grad_of(self).data(), ga, n);
        });
        return out;
    } else {
        return pointwise<T>(
            "sigmoid", a,
            [](T x) { return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x)); },
            [](T, T y) { return y * (T(1) - y); });
    }
}

template <class T>
Var<T> tanh(Var<T> a) {
    return pointwise<T>("tanh", a, [](T x) { return std::tanh(x); }, [](T, T y) { return T(1) - y * y; });
}

template <class T>
Var<T> softplus(Var<T> a) {
    return pointwise<T>("softplus", a, [](T x) { return x > T(20) ? x : std::log1p(std::exp(x)); },
                        [](T x, T) { return x > T(20) ? T(1) : T(1) / (T(1) + std::exp(-x)); });
}

#define GT_INSTANTIATE(T)               \
    template Var<T> relu(Var<T>);       \
    template Var<T> gelu(Var<T>);       \
    template Var<T> sigmoid(Var<T>);    \
    template Var<T> tanh(Var<T>);       \
    template Var<T> softplus(Var<T>);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
