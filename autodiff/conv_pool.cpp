#include "autodiff/conv_pool.hpp"

#include <immintrin.h>

#include <algorithm>

#include "autodiff/cpu_features.hpp"


namespace gt::conv_pool {

bool available() { return has_avx512f(); }

namespace {

GT_AVX512 inline __mmask16 lanes(std::ptrdiff_t n) {
    return n <= 0 ? __mmask16(0) : n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u);
}

}  // namespace

GT_AVX512 void max2x2_forward(const float* x, std::size_t planes, std::size_t H, std::size_t W, float* y,
                              float* code) {
    const std::size_t Ho = H / 2, Wo = W / 2;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f), three = _mm512_set1_ps(3.0f);
    for (std::size_t q = 0; q < planes; ++q)
        for (std::size_t oh = 0; oh < Ho; ++oh) {
            const float* r0 = x + q * H * W + 2 * oh * W;
            const float* r1 = r0 + W;
            float* yo = y + (q * Ho + oh) * Wo;
            float* co = code + (q * Ho + oh) * Wo;
            for (std::size_t o = 0; o < Wo; o += 16) {
                const std::ptrdiff_t n = std::ptrdiff_t(std::min<std::size_t>(16, Wo - o));
                const __mmask16 mlo = lanes(2 * n), mhi = lanes(2 * n - 16), mo = lanes(n);
                const __m512 a0 = _mm512_maskz_loadu_ps(mlo, r0 + 2 * o), a1 = _mm512_maskz_loadu_ps(mhi, r0 + 2 * o + 16);
                const __m512 b0 = _mm512_maskz_loadu_ps(mlo, r1 + 2 * o), b1 = _mm512_maskz_loadu_ps(mhi, r1 + 2 * o + 16);
                const __m512 a = _mm512_permutex2var_ps(a0, even, a1), b = _mm512_permutex2var_ps(a0, odd, a1);
                const __m512 c = _mm512_permutex2var_ps(b0, even, b1), d = _mm512_permutex2var_ps(b0, odd, b1);
                __m512 best = a, at = _mm512_setzero_ps();
                __mmask16 m = _mm512_cmp_ps_mask(b, best, _CMP_GT_OQ);  // b > best, false on NaN as in C
                best = _mm512_mask_mov_ps(best, m, b);
                at = _mm512_mask_mov_ps(at, m, one);
                m = _mm512_cmp_ps_mask(c, best, _CMP_GT_OQ);
                best = _mm512_mask_mov_ps(best, m, c);
                at = _mm512_mask_mov_ps(at, m, two);
                m = _mm512_cmp_ps_mask(d, best, _CMP_GT_OQ);
                best = _mm512_mask_mov_ps(best, m, d);
                at = _mm512_mask_mov_ps(at, m, three);
                _mm512_mask_storeu_ps(yo + o, mo, best);
                _mm512_mask_storeu_ps(co + o, mo, at);
            }
        }
}

GT_AVX512 void max2x2_backward(const float* g, const float* code, std::size_t planes, std::size_t H, std::size_t W,
                               float* gx, bool accumulate) {
    const std::size_t Ho = H / 2, Wo = W / 2;
    // interleave two 16-lane vectors u, v into (u0, v0, u1, v1, ...): lanes 0..15 and 16..31
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f),
                 three = _mm512_set1_ps(3.0f);
    for (std::size_t q = 0; q < planes; ++q)
        for (std::size_t oh = 0; oh < Ho; ++oh) {
            float* r0 = gx + q * H * W + 2 * oh * W;
            float* r1 = r0 + W;
            const float* go = g + (q * Ho + oh) * Wo;
            const float* co = code + (q * Ho + oh) * Wo;
            for (std::size_t o = 0; o < Wo; o += 16) {
                const std::ptrdiff_t n = std::ptrdiff_t(std::min<std::size_t>(16, Wo - o));
                const __mmask16 mlo = lanes(2 * n), mhi = lanes(2 * n - 16), mo = lanes(n);
                const __m512 v = _mm512_maskz_loadu_ps(mo, go + o), c = _mm512_maskz_loadu_ps(mo, co + o);
                const __m512 a = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c, zero, _CMP_EQ_OQ), v);
                const __m512 b = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c, one, _CMP_EQ_OQ), v);
                const __m512 e = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c, two, _CMP_EQ_OQ), v);
                const __m512 f = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c, three, _CMP_EQ_OQ), v);
                __m512 t0 = _mm512_permutex2var_ps(a, lo, b), t1 = _mm512_permutex2var_ps(a, hi, b);
                __m512 u0 = _mm512_permutex2var_ps(e, lo, f), u1 = _mm512_permutex2var_ps(e, hi, f);
                if (accumulate) {
                    t0 = _mm512_add_ps(t0, _mm512_maskz_loadu_ps(mlo, r0 + 2 * o));
                    t1 = _mm512_add_ps(t1, _mm512_maskz_loadu_ps(mhi, r0 + 2 * o + 16));
                    u0 = _mm512_add_ps(u0, _mm512_maskz_loadu_ps(mlo, r1 + 2 * o));
                    u1 = _mm512_add_ps(u1, _mm512_maskz_loadu_ps(mhi, r1 + 2 * o + 16));
                }
                _mm512_mask_storeu_ps(r0 + 2 * o, mlo, t0);
                _mm512_mask_storeu_ps(r0 + 2 * o + 16, mhi, t1);
                _mm512_mask_storeu_ps(r1 + 2 * o, mlo, u0);
                _mm512_mask_storeu_ps(r1 + 2 * o + 16, mhi, u1);
            }
        }
}

}  // namespace gt::conv_pool
