#include "autodiff/conv_direct.hpp"

#include <immintrin.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "autodiff/cpu_features.hpp"  // GT_AVX512: the kernels are compiled for AVX-512F only
#include "autodiff/parallel.hpp"

namespace gt::conv_direct {

bool available() { return has_avx512f(); }

namespace {

// One AVX-512 register of T (16 floats or 8 doubles) and its lane mask.
template <class T>
struct Reg;
template <>
struct Reg<float> { using V = __m512; using M = __mmask16; };
template <>
struct Reg<double> { using V = __m512d; using M = __mmask8; };

// The operations the kernels use on a register of T.
template <class T>
struct Vec {
    static constexpr bool F = std::is_same_v<T, float>;
    using V = typename Reg<T>::V;
    using M = typename Reg<T>::M;
    static constexpr std::size_t N = 64 / sizeof(T);
    GT_AVX512 static inline M mask(std::size_t n) { return n >= N ? M((1u << N) - 1u) : M((1u << n) - 1u); }
    GT_AVX512 static inline V zero() {
        if constexpr (F) return _mm512_setzero_ps();
        else return _mm512_setzero_pd();
    }
    GT_AVX512 static inline V set1(T a) {
        if constexpr (F) return _mm512_set1_ps(a);
        else return _mm512_set1_pd(a);
    }
    GT_AVX512 static inline V loadu(const T* p) {
        if constexpr (F) return _mm512_loadu_ps(p);
        else return _mm512_loadu_pd(p);
    }
    GT_AVX512 static inline V load(M m, const T* p) {
        if constexpr (F) return _mm512_maskz_loadu_ps(m, p);
        else return _mm512_maskz_loadu_pd(m, p);
    }
    GT_AVX512 static inline void store(T* p, M m, V v) {
        if constexpr (F) _mm512_mask_storeu_ps(p, m, v);
        else _mm512_mask_storeu_pd(p, m, v);
    }
    GT_AVX512 static inline void storeu(T* p, V v) {
        if constexpr (F) _mm512_storeu_ps(p, v);
        else _mm512_storeu_pd(p, v);
    }
    GT_AVX512 static inline V fma(V a, V b, V c) {
        if constexpr (F) return _mm512_fmadd_ps(a, b, c);
        else return _mm512_fmadd_pd(a, b, c);
    }
    GT_AVX512 static inline V add(V a, V b) {
        if constexpr (F) return _mm512_add_ps(a, b);
        else return _mm512_add_pd(a, b);
    }
    // v[l] = p[idx[l]] for the lanes in m, 0 elsewhere; idx holds N int32 offsets (in elements)
    GT_AVX512 static inline V gather(M m, const int* idx, const T* p) {
        if constexpr (F) return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, _mm512_loadu_si512(idx), p, 4);
        else
            return _mm512_mask_i32gather_pd(_mm512_setzero_pd(), m,
                                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx)), p, 8);
    }
};

// Copies one image (C, H, W) into (C, H+2, W+2) with a zero border (vector rows: a memmove call per
// 14-wide row costs more than the copy).
template <class T>
GT_AVX512 void pad_image(const T* src, std::size_t C, std::size_t H, std::size_t W, T* dst) {
    using Vx = Vec<T>;
    const std::size_t Wp = W + 2;
    for (std::size_t c = 0; c < C; ++c) {
        T* d = dst + c * (H + 2) * Wp;
        std::fill(d, d + Wp, T(0));
        for (std::size_t h = 0; h < H; ++h) {
            T* row = d + (h + 1) * Wp;
            const T* sr = src + (c * H + h) * W;
            row[0] = T(0);
            for (std::size_t s = 0; s < W; s += Vx::N) {
                const auto m = Vx::mask(W - s);
                Vx::store(row + 1 + s, m, Vx::load(m, sr + s));
            }
            row[W + 1] = T(0);
        }
        std::fill(d + (H + 1) * Wp, d + (H + 2) * Wp, T(0));
    }
}

// ∂y of one image (Cout, HW) → gyT (HW, CoP) with zero lanes past Cout; gb[o] += Σ_p ∂y[o, p] if gb.
template <class T>
GT_AVX512 void transpose_image(const T* g, std::size_t Cout, std::size_t HW, std::size_t CoP, T* gyT, T* gb) {
    using Vx = Vec<T>;
    using V = typename Vx::V;
    int idx[16];
    for (std::size_t cb = 0; cb < CoP; cb += Vx::N) {
        const std::size_t lanes = std::min(Vx::N, Cout - cb);
        const auto m = Vx::mask(lanes);
        for (std::size_t l = 0; l < Vx::N; ++l) idx[l] = l < lanes ? int((cb + l) * HW) : 0;
        V sum = Vx::zero();
        for (std::size_t p = 0; p < HW; ++p) {
            const V v = Vx::gather(m, idx, g + p);
            Vx::storeu(gyT + p * CoP + cb, v);
            sum = Vx::add(sum, v);
        }
        if (gb) Vx::store(gb + cb, m, Vx::add(sum, Vx::load(m, gb + cb)));
    }
}

// float: 16×16 blocks transposed in registers (unpack, then 128-bit lane shuffles), cheaper than
// one gather per pixel. Rows are output channels, columns pixels; rows past Cout and columns past HW
// are zero, so the bias sum can add every column.
// (GCC 12 reports the intrinsics' own undefined pass-through operands as maybe-uninitialized.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
GT_AVX512 inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {  // r[4i + j], 128-bit lane k: rows 4i..4i+3 at column 4k + j
        const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]),
                      c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int j = 0; j < 4; ++j) {
        t[j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
        t[4 + j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd);
        t[8 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
    }
    for (int j = 0; j < 4; ++j) {  // column 4k + j gathers lane k of the four row groups
        r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
        r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xdd);
        r[4 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0xdd);
    }
}
#pragma GCC diagnostic pop

GT_AVX512 void transpose_image(const float* g, std::size_t Cout, std::size_t HW, std::size_t CoP, float* gyT,
                               float* gb) {
    using Vx = Vec<float>;
    for (std::size_t cb = 0; cb < CoP; cb += 16) {
        const std::size_t rows = std::min<std::size_t>(16, Cout - cb);
        __m512 sum = _mm512_setzero_ps();
        for (std::size_t p0 = 0; p0 < HW; p0 += 16) {
            const std::size_t n = std::min<std::size_t>(16, HW - p0);
            const auto m = Vx::mask(n);
            __m512 r[16];
            for (std::size_t o = 0; o < 16; ++o)
                r[o] = o < rows ? Vx::load(m, g + (cb + o) * HW + p0) : _mm512_setzero_ps();
            transpose16(r);
            for (std::size_t i = 0; i < 16; ++i) {
                if (i < n) Vx::storeu(gyT + (p0 + i) * CoP + cb, r[i]);
                sum = _mm512_add_ps(sum, r[i]);
            }
        }
        if (gb) {
            const auto m = Vx::mask(rows);
            Vx::store(gb + cb, m, _mm512_add_ps(sum, Vx::load(m, gb + cb)));
        }
    }
}

// One image: out[c0 + c, h, :] (c < CB) = init + Σ_{ci, ki, kj} in[ci, h + ki − 1, kj − 1 + :]·wt[ci, ki·3 + kj, c0 + c]
// with in (Ci, H, W) read as if zero-padded by 1 (masked loads: the lanes that fall left or right of
// the image are not read and count as 0; rows above or below are skipped) and wt laid out (Ci, 9, ldw).
// init is the bias (or zero when bias is null) or, with accumulate, the current out.
template <class T, int CB>
GT_AVX512 void rows_block(const T* in, std::size_t Ci, std::size_t H, std::size_t W, const T* wt, std::size_t ldw,
                          std::size_t c0, const T* bias, bool accumulate, T* out) {
    using Vx = Vec<T>;
    using V = typename Vx::V;
    using M = typename Vx::M;
    for (std::size_t h = 0; h < H; ++h) {
        const int ki_lo = h == 0 ? 1 : 0, ki_hi = h + 1 == H ? 2 : 3;
        for (std::size_t s = 0; s < W; s += Vx::N) {
            const std::size_t len = std::min(Vx::N, W - s);
            const M m = Vx::mask(len);
            // lane l of tap column kj reads input column s + l + kj − 1, which must lie in [0, W)
            const M mk[3] = {M(s == 0 ? m & M(~M(1)) : m), m, M(s + len + 1 <= W ? m : Vx::mask(len - 1))};
            V acc[CB];
#pragma GCC unroll 16
            for (int c = 0; c < CB; ++c)
                acc[c] = accumulate ? Vx::load(m, out + ((c0 + c) * H + h) * W + s)
                                    : (bias ? Vx::set1(bias[c0 + c]) : Vx::zero());
            for (std::size_t ci = 0; ci < Ci; ++ci) {
                const T* wc = wt + ci * 9 * ldw + c0;
                const T* base = in + ci * H * W + s;  // + (h + ki − 1)·W + kj − 1
                for (int ki = ki_lo; ki < ki_hi; ++ki) {
                    const T* row = base + (h + ki - 1) * W;
#pragma GCC unroll 3
                    for (int kj = 0; kj < 3; ++kj) {
                        const V xv = Vx::load(mk[kj], row + kj - 1);
                        const T* wk = wc + (ki * 3 + kj) * ldw;
#pragma GCC unroll 16
                        for (int c = 0; c < CB; ++c) acc[c] = Vx::fma(xv, Vx::set1(wk[c]), acc[c]);
                    }
                }
            }
#pragma GCC unroll 16
            for (int c = 0; c < CB; ++c) Vx::store(out + ((c0 + c) * H + h) * W + s, m, acc[c]);
        }
    }
}

// All output channels of one image, in blocks of 16, 8, 4, 2, 1.
template <class T>
GT_AVX512 void conv_image(const T* in, std::size_t Ci, std::size_t Co, std::size_t H, std::size_t W, const T* wt,
                          const T* bias, bool accumulate, T* out) {
    std::size_t c0 = 0;
    for (; c0 + 16 <= Co; c0 += 16) rows_block<T, 16>(in, Ci, H, W, wt, Co, c0, bias, accumulate, out);
    if (c0 + 8 <= Co) rows_block<T, 8>(in, Ci, H, W, wt, Co, c0, bias, accumulate, out), c0 += 8;
    if (c0 + 4 <= Co) rows_block<T, 4>(in, Ci, H, W, wt, Co, c0, bias, accumulate, out), c0 += 4;
    if (c0 + 2 <= Co) rows_block<T, 2>(in, Ci, H, W, wt, Co, c0, bias, accumulate, out), c0 += 2;
    if (c0 < Co) rows_block<T, 1>(in, Ci, H, W, wt, Co, c0, bias, accumulate, out);
}

// Weight gradient of one image for RB input channels from ci0 and one vector of output channels at
// cb: gwT[ci, tap, cb + :] += Σ_{h, w} gyT[h·W + w, cb + :]·xpad[ci, h + ki, w + kj].
template <class T, int RB>
GT_AVX512 void wgrad_block(const T* xpad, const T* gyT, std::size_t ldg, std::size_t cb, std::size_t ci0,
                           std::size_t H, std::size_t W, T* gwT) {
    using Vx = Vec<T>;
    using V = typename Vx::V;
    const std::size_t Wp = W + 2, plane = (H + 2) * Wp;
    V acc[RB][9];
#pragma GCC unroll 4
    for (int r = 0; r < RB; ++r)
#pragma GCC unroll 9
        for (int k = 0; k < 9; ++k) acc[r][k] = Vx::loadu(gwT + ((ci0 + r) * 9 + k) * ldg + cb);
    for (std::size_t h = 0; h < H; ++h) {
        const T* grow = gyT + h * W * ldg + cb;
        for (std::size_t w = 0; w < W; ++w) {
            const V g = Vx::loadu(grow + w * ldg);
#pragma GCC unroll 4
            for (int r = 0; r < RB; ++r) {
                const T* xb = xpad + (ci0 + r) * plane + h * Wp + w;
#pragma GCC unroll 3
                for (int ki = 0; ki < 3; ++ki)
#pragma GCC unroll 3
                    for (int kj = 0; kj < 3; ++kj)
                        acc[r][ki * 3 + kj] = Vx::fma(g, Vx::set1(xb[ki * Wp + kj]), acc[r][ki * 3 + kj]);
            }
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < RB; ++r)
#pragma GCC unroll 9
        for (int k = 0; k < 9; ++k) Vx::storeu(gwT + ((ci0 + r) * 9 + k) * ldg + cb, acc[r][k]);
}

inline std::size_t round_up(std::size_t n, std::size_t m) { return (n + m - 1) / m * m; }

}  // namespace

std::size_t scratch_size(std::size_t Cin, std::size_t Cout, std::size_t H, std::size_t W, std::size_t lanes) {
    const std::size_t padded = (H + 2) * (W + 2), CoP = round_up(Cout, lanes);
    const std::size_t fwd = Cin * 9 * Cout;
    const std::size_t bwd_x = Cout * 9 * Cin;
    const std::size_t bwd_w = Cin * padded + H * W * CoP + Cin * 9 * CoP;
    return std::max({fwd, bwd_x, bwd_w});
}

template <class T>
void forward(const T* x, const T* w, const T* bias, T* y, std::size_t B, std::size_t Cin, std::size_t Cout,
             std::size_t H, std::size_t W, T* scratch) {
    T* wt = scratch;  // (Cin, 9, Cout)
    for (std::size_t o = 0; o < Cout; ++o)
        for (std::size_t ci = 0; ci < Cin; ++ci)
            for (std::size_t k = 0; k < 9; ++k) wt[(ci * 9 + k) * Cout + o] = w[(o * Cin + ci) * 9 + k];
    parallel_ranges(B, [&](std::size_t b0, std::size_t b1) {  // the images are independent: split the batch
        for (std::size_t b = b0; b < b1; ++b)
            conv_image(x + b * Cin * H * W, Cin, Cout, H, W, wt, bias, false, y + b * Cout * H * W);
    });
}

template <class T>
void backward_input(const T* gy, const T* w, T* gx, bool accumulate, std::size_t B, std::size_t Cin,
                    std::size_t Cout, std::size_t H, std::size_t W, T* scratch) {
    // ∂x[ci, a, b] = Σ_{o, ki, kj} ∂ypad[o, a + ki, b + kj]·w[o, ci, 2 − ki, 2 − kj]: the forward kernel on
    // ∂y with wf (Cout, 9, Cin), wf[o, k, ci] = w[o, ci, 8 − k].
    T* wf = scratch;
    for (std::size_t o = 0; o < Cout; ++o)
        for (std::size_t ci = 0; ci < Cin; ++ci)
            for (std::size_t k = 0; k < 9; ++k) wf[(o * 9 + k) * Cin + ci] = w[(o * Cin + ci) * 9 + (8 - k)];
    parallel_ranges(B, [&](std::size_t b0, std::size_t b1) {
        for (std::size_t b = b0; b < b1; ++b)
            conv_image(gy + b * Cout * H * W, Cout, Cin, H, W, wf, static_cast<const T*>(nullptr), accumulate,
                       gx + b * Cin * H * W);
    });
}

namespace {
// The weight (and bias) gradient of images [b0, b1), accumulated into gwT (Cin, 9, CoP), zeroed here,
// and gb (Cout), added to. xpad and gyT are this part's scratch.
template <class T>
void wgrad_images(const T* gy, const T* x, bool want_w, T* gb, std::size_t b0, std::size_t b1, std::size_t Cin,
                  std::size_t Cout, std::size_t H, std::size_t W, T* xpad, T* gyT, T* gwT) {
    const std::size_t N = Vec<T>::N, CoP = round_up(Cout, N), HW = H * W;
    if (want_w) std::fill(gwT, gwT + Cin * 9 * CoP, T(0));
    for (std::size_t b = b0; b < b1; ++b) {
        const T* g = gy + b * Cout * HW;
        if (!want_w) {
            for (std::size_t o = 0; o < Cout; ++o) {
                T s = T(0);
                for (std::size_t p = 0; p < HW; ++p) s += g[o * HW + p];
                gb[o] += s;
            }
            continue;
        }
        transpose_image(g, Cout, HW, CoP, gyT, gb);
        pad_image(x + b * Cin * HW, Cin, H, W, xpad);
        for (std::size_t cb = 0; cb < CoP; cb += N) {
            std::size_t ci = 0;
            for (; ci + 2 <= Cin; ci += 2) wgrad_block<T, 2>(xpad, gyT, CoP, cb, ci, H, W, gwT);
            if (ci < Cin) wgrad_block<T, 1>(xpad, gyT, CoP, cb, ci, H, W, gwT);
        }
    }
}
}  // namespace

template <class T>
void backward_weight(const T* gy, const T* x, T* gw, T* gb, std::size_t B, std::size_t Cin, std::size_t Cout,
                     std::size_t H, std::size_t W, T* scratch) {
    const std::size_t N = Vec<T>::N, CoP = round_up(Cout, N), HW = H * W;
    const std::size_t pad = Cin * (H + 2) * (W + 2), per_part = pad + HW * CoP + Cin * 9 * CoP;
    // Part 0 uses the caller's scratch and adds to gb directly (one thread: the same sums as a plain loop);
    // the other parts use a buffer of their thread, and their gwT and gb partials are added in part order
    // afterwards, so the result depends only on the thread count.
    const std::size_t parts = parallel_width(B);
    // The calling thread's list, kept across calls (assign() reuses its capacity). The helper threads
    // reach it through the local reference the lambda captures, not through their own thread_local.
    static thread_local std::vector<T*> kept_bufs;
    std::vector<T*>& bufs = kept_bufs;
    bufs.assign(parts, nullptr);
    bufs[0] = scratch;
    parallel_parts(parts, [&](std::size_t p) {
        std::size_t b0, b1;
        part_range(B, parts, p, b0, b1);
        T* part_gb = gb;
        if (p > 0) {
            static thread_local std::vector<T> own;
            if (own.size() < per_part + Cout) own.resize(per_part + Cout);
            bufs[p] = own.data();
            part_gb = gb ? own.data() + per_part : nullptr;
            if (part_gb) std::fill(part_gb, part_gb + Cout, T(0));
        }
        T* s = bufs[p];
        wgrad_images(gy, x, gw != nullptr, part_gb, b0, b1, Cin, Cout, H, W, s, s + pad, s + pad + HW * CoP);
    });
    for (std::size_t p = 1; gb && p < parts; ++p)
        for (std::size_t o = 0; o < Cout; ++o) gb[o] += bufs[p][per_part + o];
    if (!gw) return;
    for (std::size_t p = 0; p < parts; ++p) {
        const T* gwT = bufs[p] + pad + HW * CoP;
        for (std::size_t o = 0; o < Cout; ++o)
            for (std::size_t ci = 0; ci < Cin; ++ci)
                for (std::size_t k = 0; k < 9; ++k) gw[(o * Cin + ci) * 9 + k] += gwT[(ci * 9 + k) * CoP + o];
    }
}

#define GT_INSTANTIATE(T)                                                                                        \
    template void forward(const T*, const T*, const T*, T*, std::size_t, std::size_t, std::size_t, std::size_t,   \
                          std::size_t, T*);                                                                      \
    template void backward_input(const T*, const T*, T*, bool, std::size_t, std::size_t, std::size_t,            \
                                 std::size_t, std::size_t, T*);                                                  \
    template void backward_weight(const T*, const T*, T*, T*, std::size_t, std::size_t, std::size_t, std::size_t, \
                                  std::size_t, T*);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::conv_direct
