// Softmax and multi-head scaled dot-product attention (PyTorch semantics).
#pragma once

#include <cstdint>
#include <vector>

#include "autodiff/tape.hpp"

namespace gt {

/// softmax over the last axis of an input of any rank ≥ 1 (torch.softmax(a, -1)).
/// Backward: ∂a += y ⊙ (g − Σ_j g_j y_j) per row.
template <class T> Var<T> softmax(Var<T> a);

/// Multi-head scaled dot-product attention on projected q, k, v, each (B, T, D), with D split into
/// `heads` column blocks of width d = D/heads (as nn.MultiheadAttention after its in-projection):
/// for every batch row b and head h, O_bh = softmax(Q_bh K_bhᵀ/√d + M_b) V_bh, written into the
/// output (B, T, D) at head h's columns. No head is copied out: the GEMMs read strided blocks.
/// Keys and values may have their own length: q (B, Tq, D) and k, v (B, Tk, D) give O (B, Tq, D).
/// key_padding: empty (no mask) or B·Tk flags, row-major (b, j), 1 = key j of row b is padding and gets
/// weight exactly 0 (key_padding_mask=True in PyTorch). Every batch row needs one key that is not
/// padding (ValueError naming the row otherwise); shapes that do not fit are a ShapeError, and D not
/// divisible by heads a ValueError. q, k, v may be the same node (self-attention).
template <class T>
Var<T> multi_head_attention(Var<T> q, Var<T> k, Var<T> v, std::size_t heads,
                            const std::vector<std::uint8_t>& key_padding = {});

}  // namespace gt
