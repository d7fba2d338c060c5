#include "autodiff/ops_activation.hpp"

#include <cmath>
#include <type_traits>

#include "autodiff/elementwise.hpp"
#include "autodiff/fast_math_f32.hpp"

namespace gt {

namespace {

// Each kernel: y = f(x) and the gradient contribution grad(g, x, y) (autodiff/elementwise.hpp).

// y = x > 0 ? x : 0 (NaN passes through, as in PyTorch); ∂x = y > 0 ? g : 0. Both operands are read
// unconditionally, so the selects vectorize.
template <class T>
struct Relu {
    static constexpr bool vector = true;
    GT_KERNEL_INLINE T f(T x) const { return x <= T(0) ? T(0) : x; }
    GT_KERNEL_INLINE T grad(T g, T, T y) const { return y > T(0) ? g : T(0); }
};

// ---- float GELU: a branch-free erf (and fast_math_f32.hpp's exp) that the compiler vectorizes ------
//
// std::erf is a scalar libm call (≈ a third of an MLP epoch in a profile). For float we evaluate
// erf with our own polynomials, fitted here by iteratively reweighted least squares on relative
// error (max relative error ≈ 2e-7 in float evaluation, i.e. about 1–2 ulp); the loops are compiled per
// instruction set by elementwise::unary. Double keeps std::erf.
//   |z| < 1:  erf(z) = z·A(z²),  A of degree 5 (Taylor-like, fitted on [0, 1])
//   |z| ≥ 1:  erf(z) = sign(z)·(1 − e^{−z²}·B(t)),  t = 1/(1 + |z|),  B of degree 7 (fitted on [1, 4])
// Beyond |z| = 4, e^{−z²}·B < 2e-8 and erf rounds to ±1 in float.

// erf(z), given e = e^{−z²} (shared with GELU's derivative).
GT_KERNEL_INLINE float erf_with_exp(float z, float e) {
    const float a = z < 0.0f ? -z : z;
    const float s = z * z;
    const float pa = f32::horner(s, -0.0005631457574629406f, 0.00491756139148089f, -0.0267113215466456f,
                                 0.11280180573359641f, -0.3761232627197941f, 1.1283791225384534f);
    const float small = z * pa;
    const float ac = a < 4.0f ? a : 4.0f;
    const float t = 1.0f / (1.0f + ac);
    const float q = f32::horner(t, -0.6466667426167088f, 1.4080169852041218f, -0.7245081472373684f,
                                -0.5709962810516329f, 0.40798838230177326f, 0.5386742606461163f,
                                0.5668141517525532f, -0.00011065040692798543f);
    const float big = 1.0f - e * q;
    return a < 1.0f ? small : (z < 0.0f ? -big : big);
}

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

// y = ½·x·2Φ(x), 2Φ(x) = 1 + erf(x/√2);  ∂x = g·(Φ(x) + x·φ(x)),  φ(x) = e^{−x²/2}/√(2π)
struct GeluF32 {
    static constexpr bool vector = true;
    GT_KERNEL_INLINE float f(float x) const {
        const float z = x * kInvSqrt2;
        const float e = f32::exp_nonpos(-z * z);
        const float phi2 = 1.0f + erf_with_exp(z, e);  // 2Φ(x)
        return 0.5f * x * phi2;
    }
    GT_KERNEL_INLINE float grad(float g, float x, float) const {
        const float z = x * kInvSqrt2;
        const float e = f32::exp_nonpos(-z * z);
        const float phi2 = 1.0f + erf_with_exp(z, e);
        return g * (0.5f * phi2 + x * kInvSqrt2Pi * e);
    }
};

// The same with std::erf and std::exp (double).
template <class T>
struct GeluExact {
    static constexpr bool vector = false;
    static constexpr T inv_sqrt2 = T(0.70710678118654752440);
    static constexpr T inv_sqrt_2pi = T(0.39894228040143267794);
    GT_KERNEL_INLINE T f(T x) const { return T(0.5) * x * (T(1) + std::erf(x * inv_sqrt2)); }
    GT_KERNEL_INLINE T grad(T g, T x, T) const {
        return g * (T(0.5) * (T(1) + std::erf(x * inv_sqrt2)) + x * inv_sqrt_2pi * std::exp(T(-0.5) * x * x));
    }
};

// y = σ(x) = (x < 0 ? e : 1)/(1 + e) with e = e^{−|x|} ≤ 1, so nothing overflows; relative error ≤ 2e-7.
// Like PyTorch's: σ(x) = 1 from x ≈ 17, denormal below x ≈ −87.3 (σ(−100) ≈ 3.7e-44), 0 below x ≈ −104
// and at −∞, NaN → NaN.  ∂x = g·y(1 − y) from the saved output.
struct SigmoidF32 {
    static constexpr bool vector = true;
    GT_KERNEL_INLINE float f(float x) const {
        const float e = f32::exp_nonpos(-__builtin_fabsf(x));
        return (x < 0.0f ? e : 1.0f) / (1.0f + e);
    }
    GT_KERNEL_INLINE float grad(float g, float, float y) const { return g * (y * (1.0f - y)); }
};

template <class T>
using Gelu = std::conditional_t<std::is_same_v<T, float>, GeluF32, GeluExact<T>>;

// σ with std::exp (double), split at 0 so that e^x never overflows.
template <class T>
struct SigmoidExact {
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const {
        return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
    }
    GT_KERNEL_INLINE T grad(T g, T, T y) const { return g * (y * (T(1) - y)); }
};

template <class T>
using Sigmoid = std::conditional_t<std::is_same_v<T, float>, SigmoidF32, SigmoidExact<T>>;

// y = tanh x;  ∂x = g·(1 − y²)
template <class T>
struct Tanh {
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const { return std::tanh(x); }
    GT_KERNEL_INLINE T grad(T g, T, T y) const { return g * (T(1) - y * y); }
};

// y = log(1 + eˣ), x above 20 (PyTorch's threshold);  ∂x = g·σ(x)
template <class T>
struct Softplus {
    static constexpr bool vector = false;
    GT_KERNEL_INLINE T f(T x) const { return x > T(20) ? x : std::log1p(std::exp(x)); }
    GT_KERNEL_INLINE T grad(T g, T x, T) const { return g * (x > T(20) ? T(1) : T(1) / (T(1) + std::exp(-x))); }
};

}  // namespace

GT_ELEMENTWISE_OP(relu, Relu)
GT_ELEMENTWISE_OP(gelu, Gelu)
GT_ELEMENTWISE_OP(sigmoid, Sigmoid)
GT_ELEMENTWISE_OP(tanh, Tanh)
GT_ELEMENTWISE_OP(softplus, Softplus)

}  // namespace gt
