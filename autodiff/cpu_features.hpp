// What this CPU can run, asked once per process; and the attribute that compiles one function for
// AVX-512F while the rest of the build targets baseline x86-64 (callers check has_avx512f() first).
#pragma once

#define GT_AVX512 __attribute__((target("avx512f")))

namespace gt {

inline bool has_avx512f() {
    static const bool ok = __builtin_cpu_supports("avx512f");
    return ok;
}

}  // namespace gt
