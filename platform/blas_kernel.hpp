// The process's choice of OpenBLAS kernel, made once at start-up by main().
#pragma once

#include <string>

namespace gt {

/// OpenBLAS 0.3.21 does not recognise some newer CPUs and falls back to its slowest (Prescott)
/// kernels, 2–3× slower. Call first thing in main(): when OPENBLAS_CORETYPE is unset and OpenBLAS
/// picked a generic kernel on a CPU with AVX2+FMA (or AVX-512), this sets OPENBLAS_CORETYPE to the
/// matching kernel (Haswell / SkylakeX) and re-executes the program (OpenBLAS reads it only at load
/// time). A value the user set is always respected. Returns the kernel name in use.
std::string select_blas_kernel(char** argv);

}  // namespace gt
