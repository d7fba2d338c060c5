// What this CPU can run, asked once per process: the one CPU-feature check of gramtape (element-wise
// kernels, the direct convolution and max-pool, platform/blas_kernel.cpp's choice of OpenBLAS kernel).
// And the attributes that compile one function for a wider instruction set while the rest of the build
// targets baseline x86-64 (the caller checks the CPU first).
#pragma once

// Hand-written AVX-512F intrinsics (autodiff/conv_direct.cpp, autodiff/conv_pool.cpp).
#define GT_AVX512 __attribute__((target("avx512f")))

// The three builds of an element-wise kernel (autodiff/elementwise.hpp). -fno-trapping-math lets GCC
// if-convert (and so vectorize) loops whose selects it would otherwise turn into branches around
// floating-point operations; it changes no result. Every function inlined into a kernel carries it too
// (GT_KERNEL_INLINE, or a builtin such as __builtin_fabsf): inlining one compiled with the default
// -ftrapping-math (std::max, std::fabs) puts the kernel back under it. Clang has no optimize attribute.
#if defined(__clang__)
#define GT_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#define GT_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define GT_TARGET_BASELINE
#define GT_KERNEL_INLINE __attribute__((always_inline)) inline
#else
#define GT_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma"), optimize("no-trapping-math")))
#define GT_TARGET_AVX2 __attribute__((target("avx2,fma"), optimize("no-trapping-math")))
#define GT_TARGET_BASELINE __attribute__((optimize("no-trapping-math")))
#define GT_KERNEL_INLINE __attribute__((always_inline, optimize("no-trapping-math"))) inline
#endif

namespace gt {

struct CpuFeatures {
    bool avx2, fma, avx512f, avx512dq, avx512vl, avx512bw;
};

/// This CPU's features (cpuid, read once).
inline const CpuFeatures& cpu_features() {
    static const CpuFeatures f = [] {
        __builtin_cpu_init();
        return CpuFeatures{__builtin_cpu_supports("avx2") != 0,     __builtin_cpu_supports("fma") != 0,
                           __builtin_cpu_supports("avx512f") != 0,  __builtin_cpu_supports("avx512dq") != 0,
                           __builtin_cpu_supports("avx512vl") != 0, __builtin_cpu_supports("avx512bw") != 0};
    }();
    return f;
}

inline bool has_avx512f() { return cpu_features().avx512f; }

enum class Isa { Baseline, Avx2, Avx512 };

/// The widest of the three element-wise kernel builds (GT_TARGET_*) this CPU runs.
inline Isa best_isa() {
    const CpuFeatures& f = cpu_features();
    if (f.avx512f && f.avx512dq && f.avx512vl) return Isa::Avx512;
    if (f.avx2 && f.fma) return Isa::Avx2;
    return Isa::Baseline;
}

}  // namespace gt
