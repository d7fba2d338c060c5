#include "experiments/cli.hpp"
#include "platform/blas_kernel.hpp"

int main(int argc, char** argv) {
    gt::select_blas_kernel(argv);  // OpenBLAS 0.3.21 would run its generic kernels on newer CPUs (README)
    return gt::experiments::main_cli(argc, argv);
}
