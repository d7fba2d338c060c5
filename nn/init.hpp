// Weight initialisers. All draws come from the caller's gt::Rng, so values differ from PyTorch's
// RNG for the same seed; parity tests load PyTorch's exported weights instead.
#pragma once

#include <cstddef>

#include "autodiff/random.hpp"
#include "autodiff/tensor.hpp"

namespace gt::nn {

/// PyTorch's default for Linear/Conv2d weight and bias: U(−1/√fan_in, 1/√fan_in), drawn in row-major order.
/// (kaiming_uniform with a = √5 gives exactly this bound for the weight.)
template <class T>
void init_uniform_fan_in(Tensor<T>& t, std::size_t fan_in, Rng& rng);

/// N(0, 1/fan_in) — the staircase network's init (paper App. B.4).
template <class T>
void init_normal_fan_in(Tensor<T>& t, std::size_t fan_in, Rng& rng);

}  // namespace gt::nn
