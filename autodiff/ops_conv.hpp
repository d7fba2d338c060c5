// Convolution family on NCHW tensors (PyTorch semantics): unfold (im2col as a node), conv2d, max_pool2d.
#pragma once

#include "autodiff/tape.hpp"

namespace gt {

struct Conv2dGeometry {
    std::size_t kh = 3, kw = 3, stride = 1, padding = 0;
};

/// nn.Unfold: x (B, C, H, W) → (B, C·kh·kw, L), L = H'·W'; rows ordered (c, i, j) like PyTorch.
/// This is the paper's h = U(x) of the convolution form of Eq. (1) (App. C.1).
template <class T> Var<T> unfold(Var<T> x, Conv2dGeometry g);
/// conv2d: x (B, Cin, H, W), w (Cout, Cin, kh, kw), b (Cout) or empty Var → (B, Cout, H', W').
/// 3×3 kernels with stride 1 and padding 1 and at most 64 channels in and out run a direct kernel
/// (autodiff/conv_direct.hpp) on CPUs with AVX-512F; everything else is im2col + GEMM, whose weight
/// gradient accumulates with beta = 1.
template <class T> Var<T> conv2d(Var<T> x, Var<T> w, Var<T> b, std::size_t stride = 1, std::size_t padding = 0);

/// Which conv2d implementation runs (process-wide; set it before building a graph, not while one
/// runs on another thread). Auto: as described at conv2d. Im2col: always im2col + GEMM. Direct: the
/// direct kernel wherever it applies (3×3, stride 1, padding 1, AVX-512F), any channel count.
enum class ConvAlgorithm { Auto, Im2col, Direct };
void set_conv_algorithm(ConvAlgorithm a);
ConvAlgorithm conv_algorithm();
/// True when conv2d would run the direct kernel for these shapes under the current setting.
bool conv2d_uses_direct(std::size_t cin, std::size_t cout, std::size_t kh, std::size_t kw, std::size_t stride,
                        std::size_t padding);
/// max_pool2d with kernel k and stride s (default s = k), no padding; gradient to the arg-max (first on ties).
template <class T> Var<T> max_pool2d(Var<T> x, std::size_t k, std::size_t s = 0);

}  // namespace gt
