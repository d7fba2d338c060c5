#include "autodiff/ops_conv.hpp"

#include <algorithm>
#include <string>
#include <type_traits>

#include "autodiff/conv_direct.hpp"
#include "autodiff/conv_pool.hpp"
#include "autodiff/gemm.hpp"

namespace gt {

namespace {

// Geometry of one im2col: an image (C, H, W) becomes a (D, L) matrix, D = C·kh·kw rows ordered
// (c, i, j) as nn.Unfold, L = Ho·Wo columns ordered (oh, ow).
struct Patches {
    std::size_t C, H, W, kh, kw, stride, pad, Ho, Wo;
    std::size_t D() const { return C * kh * kw; }
    std::size_t L() const { return Ho * Wo; }
};

Patches make_patches(const char* op, const TensorShape& x, std::size_t kh, std::size_t kw, std::size_t stride,
                     std::size_t pad) {
    if (x.size() != 4)
        throw ShapeError(std::string(op) + ": expected input (B, C, H, W), got " + shape_str(to_shape(x)));
    if (kh == 0 || kw == 0 || stride == 0)
        throw ValueError(std::string(op) + ": kernel " + std::to_string(kh) + "x" + std::to_string(kw) +
                         " and stride " + std::to_string(stride) + " must be positive");
    const std::size_t H = x[2], W = x[3];
    if (H + 2 * pad < kh || W + 2 * pad < kw)
        throw ShapeError(std::string(op) + ": kernel " + std::to_string(kh) + "x" + std::to_string(kw) +
                         " is larger than the padded input " + shape_str(to_shape(x)) + " with padding " +
                         std::to_string(pad));
    return Patches{x[1], H, W, kh, kw, stride, pad, (H + 2 * pad - kh) / stride + 1, (W + 2 * pad - kw) / stride + 1};
}

// Output columns ow whose input column ow·s − p + j lies inside [0, W): the range [lo, hi).
inline void valid_columns(std::size_t Wo, std::size_t W, std::size_t stride, std::size_t pad, std::size_t j,
                          std::size_t& lo, std::size_t& hi) {
    lo = std::min(Wo, pad > j ? (pad - j + stride - 1) / stride : 0);    // first ow with ow·s + j ≥ p
    hi = W + pad > j ? std::min(Wo, (W + pad - j - 1) / stride + 1) : 0;  // past the last with ow·s + j < W + p
    if (hi < lo) hi = lo;
}

// cols (D×L) = U(img): cols[(c,i,j), (oh,ow)] = img[c, oh·s − p + i, ow·s − p + j], zero outside.
// Row r of the patch matrix starts at cols + r·ld (ld = L for one image; ld = B·L when the images of a
// batch sit side by side, so that one GEMM serves the whole batch).
template <class T>
void im2col(const Patches& p, const T* img, T* cols, std::size_t ld) {
    for (std::size_t c = 0; c < p.C; ++c)
        for (std::size_t i = 0; i < p.kh; ++i)
            for (std::size_t j = 0; j < p.kw; ++j) {
                T* row = cols + ((c * p.kh + i) * p.kw + j) * ld;
                std::size_t lo, hi;
                valid_columns(p.Wo, p.W, p.stride, p.pad, j, lo, hi);
                for (std::size_t oh = 0; oh < p.Ho; ++oh) {
                    T* dst = row + oh * p.Wo;
                    const std::ptrdiff_t ih = std::ptrdiff_t(oh * p.stride + i) - std::ptrdiff_t(p.pad);
                    if (ih < 0 || ih >= std::ptrdiff_t(p.H)) {
                        std::fill(dst, dst + p.Wo, T(0));
                        continue;
                    }
                    const T* src = img + (c * p.H + std::size_t(ih)) * p.W;  // ow·s + j − p ≥ 0 for ow ≥ lo
                    std::fill(dst, dst + lo, T(0));
                    if (p.stride == 1)
                        std::copy(src + lo + j - p.pad, src + hi + j - p.pad, dst + lo);
                    else
                        for (std::size_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * p.stride + j - p.pad];
                    std::fill(dst + hi, dst + p.Wo, T(0));
                }
            }
}

// The adjoint of im2col: img += Uᵀ(cols), summing every patch entry back onto its pixel.
template <class T>
void col2im_add(const Patches& p, const T* cols, std::size_t ld, T* img) {
    for (std::size_t c = 0; c < p.C; ++c)
        for (std::size_t i = 0; i < p.kh; ++i)
            for (std::size_t j = 0; j < p.kw; ++j) {
                const T* row = cols + ((c * p.kh + i) * p.kw + j) * ld;
                std::size_t lo, hi;
                valid_columns(p.Wo, p.W, p.stride, p.pad, j, lo, hi);
                for (std::size_t oh = 0; oh < p.Ho; ++oh) {
                    const std::ptrdiff_t ih = std::ptrdiff_t(oh * p.stride + i) - std::ptrdiff_t(p.pad);
                    if (ih < 0 || ih >= std::ptrdiff_t(p.H)) continue;
                    const T* src = row + oh * p.Wo;
                    T* dst = img + (c * p.H + std::size_t(ih)) * p.W;
                    if (p.stride == 1) {  // contiguous: vectorizes
                        T* d = dst + (lo + j - p.pad);  // ow + j − p ≥ 0 for ow ≥ lo
                        const T* sr = src + lo;
                        for (std::size_t k = 0; k < hi - lo; ++k) d[k] += sr[k];
                    } else {
                        for (std::size_t ow = lo; ow < hi; ++ow) dst[ow * p.stride + j - p.pad] += src[ow];
                    }
                }
            }
}

template <class T>
void ensure_size(Tensor<T>& buf, std::size_t n) {
    if (buf.size() != n) buf.resize({n});
}

}  // namespace

namespace {
ConvAlgorithm g_conv_algorithm = ConvAlgorithm::Auto;
}

void set_conv_algorithm(ConvAlgorithm a) { g_conv_algorithm = a; }
ConvAlgorithm conv_algorithm() { return g_conv_algorithm; }

bool conv2d_uses_direct(std::size_t cin, std::size_t cout, std::size_t kh, std::size_t kw, std::size_t stride,
                        std::size_t padding) {
    if (g_conv_algorithm == ConvAlgorithm::Im2col || kh != 3 || kw != 3 || stride != 1 || padding != 1 ||
        !conv_direct::available())
        return false;
    // Measured (batch 64, 7–28 pixels a side, 1 thread): direct 0.2–0.4× im2col's time at 8–16 channels,
    // 0.45–0.75× at 32–64, about even at 128.
    return g_conv_algorithm == ConvAlgorithm::Direct || (cin <= 64 && cout <= 64);
}

template <class T>
Var<T> unfold(Var<T> x, Conv2dGeometry g) {
    Tape<T>& t = tape_of(x, "unfold");
    const TensorShape& sx = t.value(x).shape();
    const Patches p = make_patches("unfold", sx, g.kh, g.kw, g.stride, g.padding);
    const std::size_t B = sx[0], D = p.D(), L = p.L(), img = p.C * p.H * p.W;
    Var<T> out = t.push("unfold", {B, D, L}, {x});
    for (std::size_t b = 0; b < B; ++b) im2col(p, t.value(x).data() + b * img, t.mutable_value(out).data() + b * D * L, L);
    t.set_backward(out, [p, B, D, L, img](Tape<T>& t, int self) {
        const int ix = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        T* gx = t.grad_acc(ix).data();
        for (std::size_t b = 0; b < B; ++b) col2im_add(p, g + b * D * L, L, gx + b * img);
    });
    return out;
}

template <class T>
Var<T> conv2d(Var<T> x, Var<T> w, Var<T> b, std::size_t stride, std::size_t padding) {
    Tape<T>& t = same_tape(x, w, "conv2d");
    const TensorShape &sx = t.value(x).shape(), &sw = t.value(w).shape();
    if (sw.size() != 4 || sx.size() != 4 || sx[1] != sw[1])
        throw ShapeError("conv2d: expected x (B, Cin, H, W) and weight (Cout, Cin, kh, kw), got x " +
                         shape_str(to_shape(sx)) + " and weight " + shape_str(to_shape(sw)));
    const Patches p = make_patches("conv2d", sx, sw[2], sw[3], stride, padding);
    const std::size_t B = sx[0], Cout = sw[0], D = p.D(), L = p.L(), img = p.C * p.H * p.W;
    const bool has_bias = b.valid();
    if (has_bias) {
        same_tape(x, b, "conv2d");
        const TensorShape& sb = t.value(b).shape();
        if (sb.size() != 1 || sb[0] != Cout)
            throw ShapeError("conv2d: expected bias of shape " + shape_str(Shape{Cout}) + " for weight " +
                             shape_str(to_shape(sw)) + ", got " + shape_str(to_shape(sb)));
    }
    Var<T> out = has_bias ? t.push("conv2d", {B, Cout, p.Ho, p.Wo}, {x, w, b})
                          : t.push("conv2d", {B, Cout, p.Ho, p.Wo}, {x, w});
    if (conv2d_uses_direct(p.C, Cout, p.kh, p.kw, stride, padding)) {
        const std::size_t Cin = p.C, H = p.H, W = p.W;
        Tensor<T>& scratch = t.scratch(out);  // padded images and re-laid-out kernels (conv_direct.hpp)
        ensure_size(scratch, conv_direct::scratch_entries<T>(Cin, Cout, H, W));
        conv_direct::forward(t.value(x).data(), t.value(w).data(), has_bias ? t.value(b).data() : nullptr,
                             t.mutable_value(out).data(), B, Cin, Cout, H, W, scratch.data());
        t.set_backward(out, [B, Cin, Cout, H, W, has_bias](Tape<T>& t, int self) {
            const auto& ps = t.parents(self);
            const int ix = ps[0], iw = ps[1];
            const bool need_w = t.needs_grad(iw), need_b = has_bias && t.needs_grad(ps[2]), need_x = t.needs_grad(ix);
            const T* g = t.grad_of(self).data();
            T* scratch = t.scratch(self).data();
            if (need_w || need_b)
                conv_direct::backward_weight(g, t.value(ix).data(), need_w ? t.grad_acc(iw).data() : nullptr,
                                             need_b ? t.grad_acc(ps[2]).data() : nullptr, B, Cin, Cout, H, W, scratch);
            if (need_x) {  // ∂x is written whole, so a fresh gradient buffer is not zero-filled first
                bool fresh = false;
                T* gx = t.grad_write(ix, fresh).data();
                conv_direct::backward_input(g, t.value(iw).data(), gx, !fresh, B, Cin, Cout, H, W, scratch);
            }
        });
        return out;
    }
    // The images of a chunk are unfolded side by side into one (D, cb·L) matrix, so each product is one
    // GEMM per chunk: Y' (Cout, cb·L) = W̃·cols, then permuted to (cb, Cout, L) with the bias added.
    // Chunks hold about 2^18 patch entries (1 MB in float), so cols stay in L2 between im2col and the
    // GEMM; backward unfolds each chunk again (cheaper than streaming a whole batch's cols from memory)
    // and does the weight gradient, the bias gradient and ∂cols with one GEMM each per chunk.
    // scratch = [ cols (D·cb·L) | Y' or permuted ∂y (Cout·cb·L) | ∂cols (D·cb·L) ], reused every step.
    const std::size_t cb = std::max<std::size_t>(1, std::min(B, (std::size_t(1) << 18) / std::max<std::size_t>(1, D * L)));
    Tensor<T>& scratch = t.scratch(out);
    ensure_size(scratch, (2 * D + Cout) * cb * L);
    T* cols = scratch.data();
    T* yt = cols + D * cb * L;
    const T* xp = t.value(x).data();
    const T* wp = t.value(w).data();  // the flattened kernel W̃ (Cout×D), paper App. C.1
    const T* bp = has_bias ? t.value(b).data() : nullptr;
    T* y = t.mutable_value(out).data();
    for (std::size_t i0 = 0; i0 < B; i0 += cb) {
        const std::size_t n = std::min(cb, B - i0), ld = n * L;
        for (std::size_t i = 0; i < n; ++i) im2col(p, xp + (i0 + i) * img, cols + i * L, ld);
        gemm_raw<T>(false, false, Cout, ld, D, T(1), wp, D, cols, ld, T(0), yt, ld);  // Y' = W̃·U
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t o = 0; o < Cout; ++o) {
                const T* src = yt + o * ld + i * L;
                T* dst = y + ((i0 + i) * Cout + o) * L;
                const T bias = bp ? bp[o] : T(0);
                for (std::size_t l = 0; l < L; ++l) dst[l] = src[l] + bias;
            }
    }
    t.set_backward(out, [p, B, Cout, D, L, img, cb, has_bias](Tape<T>& t, int self) {
        const auto& ps = t.parents(self);
        const int ix = ps[0], iw = ps[1];
        const bool need_w = t.needs_grad(iw), need_b = has_bias && t.needs_grad(ps[2]), need_x = t.needs_grad(ix);
        const T* g = t.grad_of(self).data();
        const T* xp = t.value(ix).data();
        const T* wp = t.value(iw).data();
        T* cols = t.scratch(self).data();
        T* gt = cols + D * cb * L;  // ∂y of the chunk permuted to (Cout, n·L)
        T* dcols = gt + Cout * cb * L;
        T* gw = need_w ? t.grad_acc(iw).data() : nullptr;
        T* gb = need_b ? t.grad_acc(ps[2]).data() : nullptr;
        T* gx = need_x ? t.grad_acc(ix).data() : nullptr;
        for (std::size_t i0 = 0; i0 < B; i0 += cb) {
            const std::size_t n = std::min(cb, B - i0), ld = n * L;
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t o = 0; o < Cout; ++o)
                    std::copy(g + ((i0 + i) * Cout + o) * L, g + ((i0 + i) * Cout + o + 1) * L, gt + o * ld + i * L);
            if (need_w) {  // ∂W̃ += ∂Y'·Uᵀ, accumulating with beta = 1
                for (std::size_t i = 0; i < n; ++i) im2col(p, xp + (i0 + i) * img, cols + i * L, ld);
                gemm_raw<T>(false, true, Cout, D, ld, T(1), gt, ld, cols, ld, T(1), gw, D);
            }
            if (need_b)  // ∂b_o += Σ_{i,l} g[i, o, l]
                for (std::size_t o = 0; o < Cout; ++o) {
                    const T* go = gt + o * ld;
                    T s = T(0);
                    for (std::size_t l = 0; l < ld; ++l) s += go[l];
                    gb[o] += s;
                }
            if (need_x) {  // ∂U = W̃ᵀ·∂Y', then folded back onto the pixels
                gemm_raw<T>(true, false, D, ld, Cout, T(1), wp, D, gt, ld, T(0), dcols, ld);
                for (std::size_t i = 0; i < n; ++i) col2im_add(p, dcols + i * L, ld, gx + (i0 + i) * img);
            }
        }
    });
    return out;
}

template <class T>
Var<T> max_pool2d(Var<T> x, std::size_t k, std::size_t s) {
    Tape<T>& t = tape_of(x, "max_pool2d");
    if (s == 0) s = k;
    const TensorShape& sx = t.value(x).shape();
    const Patches p = make_patches("max_pool2d", sx, k, k, s, 0);
    const std::size_t planes = sx[0] * sx[1], HW = p.H * p.W, L = p.L();
    Var<T> out = t.push("max_pool2d", {sx[0], sx[1], p.Ho, p.Wo}, {x});
    // scratch: for each output, the position of its arg-max inside its (H, W) plane.
    Tensor<T>& arg = t.scratch(out);
    ensure_size(arg, planes * L);
    const T* xp = t.value(x).data();
    T* y = t.mutable_value(out).data();
    if (k == 2 && s == 2) {
        // The common 2×2 pool: one pass, branch-free; scratch holds the arg-max's place in its window
        // (0..3 in the order (0,0), (0,1), (1,0), (1,1), the first maximum winning ties as below).
        const std::size_t H = p.H, W = p.W, Ho = p.Ho, Wo = p.Wo;
        T* code = arg.data();
        bool vector_kernel = false;  // float on AVX-512F: autodiff/conv_pool.cpp (bitwise the same result)
        if constexpr (std::is_same_v<T, float>) vector_kernel = conv_pool::available();
        if (vector_kernel) {
            if constexpr (std::is_same_v<T, float>) conv_pool::max2x2_forward(xp, planes, H, W, y, code);
        } else {
            for (std::size_t q = 0; q < planes; ++q)
                for (std::size_t oh = 0; oh < Ho; ++oh) {
                    const T* r0 = xp + q * HW + 2 * oh * W;
                    const T* r1 = r0 + W;
                    T* yo = y + q * L + oh * Wo;
                    T* co = code + q * L + oh * Wo;
                    for (std::size_t ow = 0; ow < Wo; ++ow) {
                        const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
                        T best = a, at = T(0);
                        at = b > best ? T(1) : at;
                        best = b > best ? b : best;
                        at = c > best ? T(2) : at;
                        best = c > best ? c : best;
                        at = d > best ? T(3) : at;
                        best = d > best ? d : best;
                        yo[ow] = best;
                        co[ow] = at;
                    }
                }
        }
        t.set_backward(out, [planes, HW, L, H, W, Ho, Wo, vector_kernel](Tape<T>& t, int self) {
            const int ix = t.parents(self)[0];
            const T* g = t.grad_of(self).data();
            const T* code = t.scratch(self).data();
            bool fresh = false;
            Tensor<T>& gxt = t.grad_write(ix, fresh);
            T* gx = gxt.data();
            if (fresh && (H % 2 || W % 2)) {  // a last odd row or column is in no window
                std::fill(gx, gx + gxt.size(), T(0));
                fresh = false;
            }
            if (vector_kernel) {
                if constexpr (std::is_same_v<T, float>)
                    conv_pool::max2x2_backward(g, code, planes, H, W, gx, !fresh);
                return;
            }
            for (std::size_t q = 0; q < planes; ++q)
                for (std::size_t oh = 0; oh < Ho; ++oh) {
                    T* r0 = gx + q * HW + 2 * oh * W;
                    T* r1 = r0 + W;
                    const T* go = g + q * L + oh * Wo;
                    const T* co = code + q * L + oh * Wo;
                    if (fresh)
                        for (std::size_t ow = 0; ow < Wo; ++ow) {
                            const T v = go[ow], c = co[ow];
                            r0[2 * ow] = c == T(0) ? v : T(0);
                            r0[2 * ow + 1] = c == T(1) ? v : T(0);
                            r1[2 * ow] = c == T(2) ? v : T(0);
                            r1[2 * ow + 1] = c == T(3) ? v : T(0);
                        }
                    else
                        for (std::size_t ow = 0; ow < Wo; ++ow) {
                            const T v = go[ow], c = co[ow];
                            r0[2 * ow] += c == T(0) ? v : T(0);
                            r0[2 * ow + 1] += c == T(1) ? v : T(0);
                            r1[2 * ow] += c == T(2) ? v : T(0);
                            r1[2 * ow + 1] += c == T(3) ? v : T(0);
                        }
                }
        });
        return out;
    }
    for (std::size_t q = 0; q < planes; ++q) {
        const T* plane = xp + q * HW;
        for (std::size_t oh = 0; oh < p.Ho; ++oh)
            for (std::size_t ow = 0; ow < p.Wo; ++ow) {
                std::size_t best = oh * s * p.W + ow * s;
                for (std::size_t i = 0; i < k; ++i)
                    for (std::size_t j = 0; j < k; ++j) {
                        const std::size_t at = (oh * s + i) * p.W + ow * s + j;
                        if (plane[at] > plane[best]) best = at;  // strict: the first maximum wins ties
                    }
                y[q * L + oh * p.Wo + ow] = plane[best];
                arg.data()[q * L + oh * p.Wo + ow] = T(best);
            }
    }
    t.set_backward(out, [planes, HW, L](Tape<T>& t, int self) {
        const int ix = t.parents(self)[0];
        const T* g = t.grad_of(self).data();
        const T* arg = t.scratch(self).data();
        T* gx = t.grad_acc(ix).data();
        for (std::size_t q = 0; q < planes; ++q)
            for (std::size_t l = 0; l < L; ++l) gx[q * HW + std::size_t(arg[q * L + l])] += g[q * L + l];
    });
    return out;
}

#define GT_INSTANTIATE(T)                                                              \
    template Var<T> unfold(Var<T>, Conv2dGeometry);                                    \
    template Var<T> conv2d(Var<T>, Var<T>, Var<T>, std::size_t, std::size_t);          \
    template Var<T> max_pool2d(Var<T>, std::size_t, std::size_t);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
