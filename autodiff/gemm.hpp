// The one GEMM wrapper: every matrix product in gramtape goes through here (OpenBLAS s/dgemm).
#pragma once

#include <cstddef>

#include "autodiff/tensor.hpp"

namespace gt {

/// Raw form on row-major data: C(m×n) = alpha·op(A)·op(B) + beta·C, op(A) is m×k, op(B) is k×n.
template <class T>
void gemm_raw(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
              std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc);

/// Tensor form on 2-D row-major tensors, with shape checks naming `op`:
///   C = alpha·op(A)·op(B) + beta·C.
/// With beta == 0, C is resized to the product's shape; otherwise its shape must already match.
template <class T>
void gemm(const Tensor<T>& a, bool trans_a, const Tensor<T>& b, bool trans_b, Tensor<T>& c, T alpha = T(1),
          T beta = T(0), const char* op = "gemm");

/// Convenience: returns op(A)·op(B).
template <class T>
Tensor<T> matmul_plain(const Tensor<T>& a, const Tensor<T>& b, bool trans_a = false, bool trans_b = false,
                       const char* op = "matmul");

/// Symmetric rank-k product on row-major data, C(n×n) = alpha·op(A)ᵀ·op(A)-style Gram + beta·C:
///   trans_a = false: C = alpha·A·Aᵀ + beta·C, A is n×k;   trans_a = true: C = alpha·Aᵀ·A + beta·C, A is k×n.
/// BLAS syrk writes one triangle (half the FLOPs of a GEMM); this fills in the other, so C is the full
/// symmetric matrix on return.
template <class T>
void syrk_raw(bool trans_a, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, T beta, T* c,
              std::size_t ldc);

/// How syrk_raw computes the triangle. automatic: BLAS syrk, except with OpenBLAS's AVX-512 kernels for
/// n ≥ 64 and k ≤ 256, where 32×32 blocks of the upper triangle, one small GEMM each, were measured
/// faster (docs/performance.md). The other two force one path (tests, measurements).
enum class SyrkPath { automatic, blas_syrk, gemm_blocks };
void set_syrk_path(SyrkPath path);

/// Opt-in accounting of the BLAS work done through this wrapper (off by default; the benchmark turns
/// it on to measure the GEMMs' own rate): per call two clock reads and the multiply-add count
/// (gemm 2·m·n·k, syrk n·(n+1)·k, the FLOPs BLAS executes).
struct GemmStats {
    double flops = 0.0;    // floating-point operations
    double seconds = 0.0;  // wall time inside BLAS calls
    long calls = 0;
};
void set_gemm_accounting(bool on);
GemmStats gemm_stats();
void reset_gemm_stats();

/// Sets gramtape's thread count. OpenBLAS itself always runs on one thread; large products are split into
/// blocks of C over this many threads of the pool in autodiff/parallel.hpp, which the direct convolution's
/// batch split also uses (gemm.cpp says why). Results depend only on the count.
void set_num_threads(int n);
int num_threads();

/// The kernel OpenBLAS is using, e.g. "Haswell" (platform/blas_kernel.hpp may choose another at start-up).
std::string blas_kernel_name();

}  // namespace gt
