#include "platform/blas_kernel.hpp"

#include <cstdlib>

#include <unistd.h>

#include "autodiff/cpu_features.hpp"
#include "autodiff/gemm.hpp"

namespace gt {

std::string select_blas_kernel(char** argv) {
    const std::string current = blas_kernel_name();
    if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("GT_BLAS_KERNEL_SELECTED")) return current;
    const bool generic = current == "Prescott" || current == "Core2" || current == "Penryn" ||
                         current == "Dunnington" || current == "Nehalem" || current == "Sandybridge";
    if (!generic) return current;
    const CpuFeatures& cpu = cpu_features();
    const char* pick = nullptr;
    if (cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512dq)
        pick = "SkylakeX";
    else if (cpu.avx2 && cpu.fma)
        pick = "Haswell";
    if (!pick || !argv || !argv[0]) return current;
    setenv("OPENBLAS_CORETYPE", pick, 1);
    setenv("GT_BLAS_KERNEL_SELECTED", "1", 1);  // never loop
    execv("/proc/self/exe", argv);
    return current;  // exec failed: keep running on the generic kernel
}

}  // namespace gt
