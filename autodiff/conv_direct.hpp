// A direct 3×3, stride-1, padding-1 convolution for small channel counts (no patch matrix).
//
// Used by gt::conv2d (autodiff/ops_conv.cpp) for float and double when the CPU has AVX-512F; every
// other geometry, and CPUs without AVX-512F, take the im2col + GEMM path. All tensors are NCHW,
// row-major, contiguous:
//   x (B, Cin, H, W), w (Cout, Cin, 3, 3), bias (Cout) or null, y / ∂y (B, Cout, H, W).
//
// Forward and input gradient keep an output row segment (up to one vector of the width) for a block of
// up to 16 output channels in registers and read the input in place once per block (masked loads
// stand in for the zero padding); the input gradient is the forward kernel applied to ∂y with the
// kernel transposed over channels and flipped.
// The weight gradient vectorises over output channels (∂y transposed per image to (H·W, Cout)) and
// keeps the 9 taps of two input channels in registers over all pixels of an image.
#pragma once

#include <cstddef>

namespace gt::conv_direct {

/// True when this CPU can run the kernels (AVX-512F).
bool available();

/// Scratch entries (of T) that forward and backward need; the caller owns the buffer.
std::size_t scratch_size(std::size_t Cin, std::size_t Cout, std::size_t H, std::size_t W, std::size_t lanes);
template <class T>
std::size_t scratch_entries(std::size_t Cin, std::size_t Cout, std::size_t H, std::size_t W) {
    return scratch_size(Cin, Cout, H, W, 64 / sizeof(T));
}

/// y = conv(x, w) + bias (bias may be null); y is overwritten.
template <class T>
void forward(const T* x, const T* w, const T* bias, T* y, std::size_t B, std::size_t Cin, std::size_t Cout,
             std::size_t H, std::size_t W, T* scratch);

/// ∂x = convᵀ(∂y, w), added to gx when accumulate, otherwise written over it.
template <class T>
void backward_input(const T* gy, const T* w, T* gx, bool accumulate, std::size_t B, std::size_t Cin,
                    std::size_t Cout, std::size_t H, std::size_t W, T* scratch);

/// gw += Σ ∂y ⋆ x (the weight gradient), and gb += Σ ∂y over batch and pixels when gb is not null.
/// Either of gw / gb may be null.
template <class T>
void backward_weight(const T* gy, const T* x, T* gw, T* gb, std::size_t B, std::size_t Cin, std::size_t Cout,
                     std::size_t H, std::size_t W, T* scratch);

}  // namespace gt::conv_direct
