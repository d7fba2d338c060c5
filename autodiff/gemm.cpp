// Only this file talks to CBLAS, so the CBLAS declarations never meet xtensor-blas's.
#include "autodiff/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "autodiff/parallel.hpp"

namespace gt {

namespace {
bool g_accounting = false;
GemmStats g_stats;

// Times one BLAS call when accounting is on; otherwise costs one branch.
class Accounted {
   public:
    explicit Accounted(double flops) : flops_(flops) {
        if (g_accounting) t0_ = std::chrono::steady_clock::now();
    }
    ~Accounted() {
        if (!g_accounting) return;
        g_stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        g_stats.flops += flops_;
        ++g_stats.calls;
    }

   private:
    double flops_;
    std::chrono::steady_clock::time_point t0_{};
};
}  // namespace

void set_gemm_accounting(bool on) { g_accounting = on; }
GemmStats gemm_stats() { return g_stats; }
void reset_gemm_stats() { g_stats = GemmStats{}; }

namespace {
// The CBLAS routines of one element type, row-major.
template <class T>
struct Cblas;
template <>
struct Cblas<float> {
    template <class... A> static void gemm(A... a) { cblas_sgemm(CblasRowMajor, a...); }
    template <class... A> static void syrk(A... a) { cblas_ssyrk(CblasRowMajor, a...); }
};
template <>
struct Cblas<double> {
    template <class... A> static void gemm(A... a) { cblas_dgemm(CblasRowMajor, a...); }
    template <class... A> static void syrk(A... a) { cblas_dsyrk(CblasRowMajor, a...); }
};
}  // namespace

// Threads. OpenBLAS always runs single-threaded; gramtape's thread count splits each large product into
// contiguous blocks of C, one single-threaded BLAS call per block, on the pool of autodiff/parallel.hpp.
// Why: OpenBLAS's own threads (pthread build, 0.3.21) wait for each other by spinning on sched_yield, so
// beside busy processes every hand-off costs a scheduler time slice: the mlp epoch at 2 threads ran 7–28×
// slower than at 1 thread beside other busy processes, and its OpenMP build with OMP_WAIT_POLICY=passive still
// 4–8× slower (docs/performance.md, "Sharing the machine"). The pool's threads sleep on a condition variable.
// The blocks depend only on the shape and the thread count, so results are reproducible for a given count
// (and at 1 thread every call is the one BLAS call it was before).
namespace {
int& threads_ref() {
    static int n = [] {
        const int t = openblas_get_num_threads();  // OpenBLAS's default (OPENBLAS_NUM_THREADS or the cores)
        openblas_set_num_threads(1);
        return t < 1 ? 1 : t;
    }();
    return n;
}

// Products below this many multiply-adds (≈ 5 µs of work at 100 GFLOP/s) run as one call: not worth a
// hand-off between threads.
constexpr double kSplitMinMacs = 1 << 18;
constexpr std::size_t kSplitAlign = 16;  // block edges on multiples of 16 rows/columns (whole vector tiles)

// The number of blocks for an m×n×k product split along a dimension of `len`.
std::size_t split_parts(double macs, std::size_t len) {
    const std::size_t t = std::size_t(threads_ref());
    if (t <= 1 || macs < kSplitMinMacs) return 1;
    return std::max<std::size_t>(1, std::min(t, len / kSplitAlign));
}

// Edge p of `parts` near-equal blocks of [0, len), on multiples of kSplitAlign.
std::size_t split_edge(std::size_t len, std::size_t parts, std::size_t p) {
    if (p >= parts) return len;
    return std::min(len, (len * p / parts) / kSplitAlign * kSplitAlign);
}

template <class T>
void gemm_one(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
              const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    Cblas<T>::gemm(ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n,
                   (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

// C = α·op(A)·op(B) + β·C split into blocks of rows (m ≥ n: each block packs its rows of op(A) and all of
// op(B)) or of columns (otherwise), so the operand packed twice is the smaller one.
template <class T>
void gemm_split(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    const bool rows = m >= n;
    const std::size_t len = rows ? m : n;
    const std::size_t parts = split_parts(double(m) * double(n) * double(k), len);
    if (parts <= 1) return gemm_one<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    parallel_parts(parts, [&](std::size_t p) {
        const std::size_t i0 = split_edge(len, parts, p), i1 = split_edge(len, parts, p + 1);
        if (i1 <= i0) return;
        if (rows)  // rows i0.. of op(A): row i0 of A, or column i0 of A when transposed
            gemm_one<T>(ta, tb, i1 - i0, n, k, alpha, ta ? a + i0 : a + i0 * lda, lda, b, ldb, beta, c + i0 * ldc,
                        ldc);
        else  // columns i0.. of op(B): column i0 of B, or row i0 when transposed
            gemm_one<T>(ta, tb, m, i1 - i0, k, alpha, a, lda, tb ? b + i0 * ldb : b + i0, ldb, beta, c + i0, ldc);
    });
}
}  // namespace

template <class T>
void gemm_raw(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
              const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    if (m == 0 || n == 0) return;
    Accounted acc(2.0 * double(m) * double(n) * double(k));
    gemm_split<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

namespace {
template <class T>
void mirror_upper(std::size_t n, T* c, std::size_t ldc) {  // lower triangle ← upper triangle
    for (std::size_t i = 1; i < n; ++i)
        for (std::size_t j = 0; j < i; ++j) c[i * ldc + j] = c[j * ldc + i];
}
}  // namespace

namespace {
// OpenBLAS's AVX-512 kernel families ship small-matrix GEMM kernels that skip packing. Through them the
// upper triangle of a syrk with k ≤ 256, tiled in 32×32 blocks (one small GEMM each), takes 0.55–0.9× the
// time of ?syrk itself for n = 64…784 (float and double, measured with OpenBLAS 0.3.21, docs/performance.md);
// for larger k the blocks fall back to packed GEMMs and are up to 2.4× slower, so syrk keeps those.
bool has_small_gemm_kernels() {
    static const bool yes = [] {
        const std::string k = openblas_get_corename();
        return k == "SkylakeX" || k == "Cooperlake" || k == "SapphireRapids";
    }();
    return yes;
}

constexpr std::size_t kSyrkBlock = 32;

SyrkPath g_syrk_path = SyrkPath::automatic;

bool syrk_by_blocks(std::size_t n, std::size_t k) {
    if (g_syrk_path != SyrkPath::automatic) return g_syrk_path == SyrkPath::gemm_blocks;
    return n >= 64 && k <= 256 && has_small_gemm_kernels();
}

// C's upper triangle (and the diagonal blocks' lower parts, which mirror_upper overwrites) as GEMMs of
// 32×32 blocks: C_IJ = α·op(A)_I · op(A)_Jᵀ + β·C_IJ for block rows I ≤ J.
template <class T>
void syrk_blocks(bool ta, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, T beta, T* c,
                 std::size_t ldc) {
    for (std::size_t i = 0; i < n; i += kSyrkBlock)
        for (std::size_t j = i; j < n; j += kSyrkBlock) {
            const std::size_t bi = std::min(kSyrkBlock, n - i), bj = std::min(kSyrkBlock, n - j);
            // ta: A is k×n and C = AᵀA (columns i.., j..); otherwise A is n×k and C = AAᵀ (rows i.., j..).
            const T* ai = ta ? a + i : a + i * lda;
            const T* aj = ta ? a + j : a + j * lda;
            Cblas<T>::gemm(ta ? CblasTrans : CblasNoTrans, ta ? CblasNoTrans : CblasTrans, (blasint)bi, (blasint)bj,
                           (blasint)k, alpha, ai, (blasint)lda, aj, (blasint)lda, beta, c + i * ldc + j, (blasint)ldc);
        }
}

double syrk_block_flops(std::size_t n, std::size_t k) {
    double f = 0.0;
    for (std::size_t i = 0; i < n; i += kSyrkBlock)
        for (std::size_t j = i; j < n; j += kSyrkBlock)
            f += 2.0 * double(std::min(kSyrkBlock, n - i)) * double(std::min(kSyrkBlock, n - j)) * double(k);
    return f;
}
}  // namespace

void set_syrk_path(SyrkPath path) { g_syrk_path = path; }

namespace {
// The upper triangle of C's rows/columns [j0, j1) of an n×n syrk: the diagonal block by syrk (or 32×32 GEMM
// blocks), the rectangle above it (rows 0..j0) by one GEMM.
template <class T>
void syrk_columns(bool ta, std::size_t j0, std::size_t j1, std::size_t k, T alpha, const T* a, std::size_t lda,
                  T beta, T* c, std::size_t ldc) {
    const std::size_t w = j1 - j0;
    const T* aj = ta ? a + j0 : a + j0 * lda;  // op(A)'s rows j0..: columns of A when transposed
    if (j0 > 0) gemm_one<T>(ta, !ta, j0, w, k, alpha, a, lda, aj, lda, beta, c + j0, ldc);
    if (syrk_by_blocks(w, k))
        syrk_blocks<T>(ta, w, k, alpha, aj, lda, beta, c + j0 * ldc + j0, ldc);
    else
        Cblas<T>::syrk(CblasUpper, ta ? CblasTrans : CblasNoTrans, (blasint)w, (blasint)k, alpha, aj, (blasint)lda,
                       beta, c + j0 * ldc + j0, (blasint)ldc);
}

double syrk_columns_flops(std::size_t j0, std::size_t j1, std::size_t k) {
    const std::size_t w = j1 - j0;
    return 2.0 * double(j0) * double(w) * double(k) +
           (syrk_by_blocks(w, k) ? syrk_block_flops(w, k) : double(w) * double(w + 1) * double(k));
}

// Column edge p of `parts` blocks of an n×n upper triangle with near-equal areas (column j holds j + 1
// entries, so the area up to column j grows as j²), on multiples of the 32-wide GEMM blocks.
std::size_t syrk_edge(std::size_t n, std::size_t parts, std::size_t p) {
    if (p >= parts) return n;
    return std::min(n, std::size_t(double(n) * std::sqrt(double(p) / double(parts))) / kSyrkBlock * kSyrkBlock);
}
}  // namespace

template <class T>
void syrk_raw(bool ta, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, T beta, T* c,
              std::size_t ldc) {
    if (n == 0) return;
    const std::size_t parts = split_parts(double(n) * double(n + 1) * double(k) / 2, n / 2);
    double flops = 0.0;  // as executed: each block's own syrk or GEMM count (the mirroring is not BLAS work)
    for (std::size_t p = 0; p < parts; ++p) flops += syrk_columns_flops(syrk_edge(n, parts, p), syrk_edge(n, parts, p + 1), k);
    Accounted acc(flops);
    if (parts <= 1) {
        syrk_columns<T>(ta, 0, n, k, alpha, a, lda, beta, c, ldc);
    } else {
        parallel_parts(parts, [&](std::size_t p) {
            const std::size_t j0 = syrk_edge(n, parts, p), j1 = syrk_edge(n, parts, p + 1);
            if (j1 > j0) syrk_columns<T>(ta, j0, j1, k, alpha, a, lda, beta, c, ldc);
        });
    }
    mirror_upper(n, c, ldc);
}

template <class T>
void gemm(const Tensor<T>& a, bool ta, const Tensor<T>& b, bool tb, Tensor<T>& c, T alpha, T beta, const char* op) {
    if (a.dimension() != 2 || b.dimension() != 2)
        throw ShapeError(std::string(op) + ": expected 2-D operands, got " + shape_str(shape_of(a)) + " and " +
                         shape_str(shape_of(b)));
    const std::size_t m = ta ? a.shape()[1] : a.shape()[0];
    const std::size_t ka = ta ? a.shape()[0] : a.shape()[1];
    const std::size_t kb = tb ? b.shape()[1] : b.shape()[0];
    const std::size_t n = tb ? b.shape()[0] : b.shape()[1];
    if (ka != kb)
        throw ShapeError(std::string(op) + ": inner dimensions differ: " + shape_str(shape_of(a)) +
                         (ta ? "ᵀ" : "") + " times " + shape_str(shape_of(b)) + (tb ? "ᵀ" : ""));
    if (beta == T(0)) {
        if (c.dimension() != 2 || c.shape()[0] != m || c.shape()[1] != n) c.resize({m, n});
    } else if (c.dimension() != 2 || c.shape()[0] != m || c.shape()[1] != n) {
        throw ShapeError(std::string(op) + ": accumulating into C of shape " + shape_str(shape_of(c)) +
                         ", but the product has shape " + shape_str(Shape{m, n}));
    }
    if (ka == 0) {
        if (beta == T(0)) c.fill(T(0));
        else c *= beta;
        return;
    }
    gemm_raw<T>(ta, tb, m, n, ka, alpha, a.data(), a.shape()[1], b.data(), b.shape()[1], beta, c.data(), n);
}

template <class T>
Tensor<T> matmul_plain(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb, const char* op) {
    Tensor<T> c;
    gemm<T>(a, ta, b, tb, c, T(1), T(0), op);
    return c;
}

std::string blas_kernel_name() { return openblas_get_corename(); }

void set_num_threads(int n) { threads_ref() = n < 1 ? 1 : n; }
int num_threads() { return threads_ref(); }

#define GT_INSTANTIATE(T)                                                                                   \
    template void gemm_raw(bool, bool, std::size_t, std::size_t, std::size_t, T, const T*, std::size_t, const T*, \
                           std::size_t, T, T*, std::size_t);                                                      \
    template void syrk_raw(bool, std::size_t, std::size_t, T, const T*, std::size_t, T, T*, std::size_t);        \
    template void gemm(const Tensor<T>&, bool, const Tensor<T>&, bool, Tensor<T>&, T, T, const char*);           \
    template Tensor<T> matmul_plain(const Tensor<T>&, const Tensor<T>&, bool, bool, const char*);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt
