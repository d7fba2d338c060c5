// The 2×2, stride-2 max-pool of float NCHW planes with AVX-512F (used by gt::max_pool2d when
// available(); other shapes, double and other CPUs take the scalar loops in autodiff/ops_conv.cpp,
// which these kernels match exactly: the same maxima, the first maximum of a window winning ties).
#pragma once

#include <cstddef>

namespace gt::conv_pool {

/// True when this CPU can run the kernels (AVX-512F).
bool available();

/// planes of (H, W) → (H/2, W/2): y = the window maxima, code = the arg-max's place in its window,
/// 0..3 in the order (0,0), (0,1), (1,0), (1,1), as a float.
void max2x2_forward(const float* x, std::size_t planes, std::size_t H, std::size_t W, float* y, float* code);

/// ∂x from ∂y: the window's arg-max gets g, its other three entries 0; written over gx, or added to it
/// when accumulate. Entries of a last odd row or column are not touched.
void max2x2_backward(const float* g, const float* code, std::size_t planes, std::size_t H, std::size_t W, float* gx,
                     bool accumulate);

}  // namespace gt::conv_pool
