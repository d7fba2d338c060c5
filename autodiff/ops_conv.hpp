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
/// im2col + GEMM; the weight gradient accumulates with beta = 1.
template <class T> Var<T> conv2d(Var<T> x, Var<T> w, Var<T> b, std::size_t stride = 1, std::size_t padding = 0);
/// max_pool2d with kernel k and stride s (default s = k), no padding; gradient to the arg-max (first on ties).
template <class T> Var<T> max_pool2d(Var<T> x, std::size_t k, std::size_t s = 0);

}  // namespace gt
