// Branch-free float e^y and log x that GCC vectorizes (libm's expf/logf are scalar calls), for the
// element-wise float kernels (compiled per instruction set by autodiff/elementwise.hpp). Double code keeps
// std::exp / std::log (gradient checks need them exact).
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "autodiff/cpu_features.hpp"  // GT_KERNEL_INLINE

namespace gt::f32 {

/// c0·xⁿ + c1·xⁿ⁻¹ + … + cn by Horner's rule, in this order: p = c0, then p = p·x + c for each further c
/// (a coefficient written −c stands for p·x − c, which is the same float operation).
template <class... C>
GT_KERNEL_INLINE float horner(float x, float c0, C... c) {
    static_assert((std::is_same_v<C, float> && ...), "float coefficients only");
    float p = c0;
    ((p = p * x + c), ...);
    return p;
}

/// e^y for y ≤ 0, denormal results included (e^y rounds to 0 below −103.97; y < −110 is computed as −110)
/// and NaN → NaN. Error ≤ 1.3 ulp, relative ≤ 1.1e-7 (measured over every float in [−110, 0]).
/// e^y = 2^k·e^r, k = round(y/ln 2), |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial; 2^k is applied as
/// 2^k1·2^(k−k1) so that both factors stay normal floats.
GT_KERNEL_INLINE float exp_nonpos(float y) {
    const float yc = y > -110.0f ? y : -110.0f;  // NaN → −110 too, so k is always a small integer
    // k = round(y·log2 e) by the 1.5·2²³ trick, which vectorizes without SSE4.1's round
    const float kf = (yc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const float r = (yc - kf * 0.693145751953125f) - kf * 1.42860682030941723212e-6f;
    const float p = horner(r, 1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f);
    const int k = int(kf), k1 = k / 2;
    const float s1 = __builtin_bit_cast(float, std::uint32_t(k1 + 127) << 23);
    const float s2 = __builtin_bit_cast(float, std::uint32_t(k - k1 + 127) << 23);
    const float e = p * s1 * s2;  // p·2^k1 is exact, so this rounds once
    return y == y ? e : y;
}

/// log x for x ≥ 0, denormals included; log 0 = −∞, log ∞ = ∞, NaN and x < 0 give NaN. Error ≤ 1.3 ulp,
/// relative ≤ 1.1e-7 (measured over every positive finite float). x = 2^k·m with m ∈ [0.699, 1.398)
/// (k and m read off the bits, denormals scaled by 2²³ first), f = m − 1 exact,
/// log(1 + f) = f − f²/2 + f³·P(f) with P of degree 6 fitted by reweighted least squares on the relative
/// error over that range, and k·ln 2 added in two parts.
GT_KERNEL_INLINE float log_nonneg(float x) {
    const bool tiny = x < 1.17549435e-38f;  // below the smallest normal float
    const float xs = tiny ? x * 8388608.0f : x;
    const std::uint32_t bits = __builtin_bit_cast(std::uint32_t, xs);
    const std::uint32_t ix = bits - 0x3f330000u;  // 0x3f330000 = 0.69921875, the bottom of m's range
    const int k = (int(ix) >> 23) - (tiny ? 23 : 0);
    const float f = __builtin_bit_cast(float, bits - (ix & 0xff800000u)) - 1.0f;
    const float p = horner(f, 0.09473264962434769f, -0.14542432129383087f, 0.14801040291786194f,
                           -0.16543453931808472f, 0.1996871680021286f, -0.25002315640449524f, 0.3333381116390228f);
    const float f2 = f * f;
    const float logm = f + (f2 * f * p - 0.5f * f2);
    const float kf = float(k);
    const float r = kf * 0.693359375f + (logm + kf * -2.12194440054690583e-4f);  // ln 2 = 0.693359375 − 2.12e-4
    constexpr float inf = std::numeric_limits<float>::infinity();
    return x > 0.0f ? (x < inf ? r : x) : (x == 0.0f ? -inf : std::numeric_limits<float>::quiet_NaN());
}

}  // namespace gt::f32
