// `verify`: builds a random network directly from tape ops, runs one backward pass of a mean
// cross-entropy loss, and checks per layer
//   * the Feature Learning Equation (Eq. 1; conv layers in the unfold form of App. C.1), and
//   * Theorem 1 for a step γ: ΔG vs the Virtual Covariance Shift, without and with the exact
//     second-order remainder R (gram_shift.hpp).
// Conv layers are built as unfold → GEMM (linear on patch rows) → reshape, so that the unfold node,
// the paper's h = U(x), is on the tape and its gradient is readable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gt::analysis {

struct VerifyConfig {
    std::size_t depth = 3;            // number of weight layers, the classifier included (>= 1)
    std::size_t width = 32;           // hidden units (mlp) or channels (cnn)
    std::string activation = "gelu";  // gelu | relu | tanh | sigmoid
    std::size_t batch = 16;
    std::string dtype = "double";     // float | double
    std::string arch = "mlp";         // mlp | cnn
    std::uint64_t seed = 0;
    double gamma = 0.1;               // the step size of Theorem 1
    bool bias = true;
    std::size_t input_dim = 20;       // mlp input features
    std::size_t image_size = 8;       // cnn input: (batch, 3, image_size, image_size), 3×3 kernels, padding 1
    std::size_t classes = 10;
};

struct VerifyRow {
    std::size_t layer = 0;
    std::string kind;                 // "linear" or "conv"
    double lhs_norm = 0.0;            // ‖∇_h L hᵀ‖_F
    double rhs_norm = 0.0;            // ‖Wᵀ∇_W L‖_F
    double fl_residual = 0.0;         // ‖lhs − rhs‖ / ‖rhs‖
    double delta_gram_norm = 0.0;     // ‖W⁺ᵀW⁺ − WᵀW‖_F
    double thm1_first = 0.0;          // ‖ΔG − VCS‖ / ‖ΔG‖
    double thm1_exact = 0.0;          // ‖ΔG − VCS − R‖ / ‖ΔG‖
};

/// Throws ValueError naming the field for an invalid configuration.
std::vector<VerifyRow> verify(const VerifyConfig& config);

/// The rows as an aligned text table (one header line, one line per layer).
std::string verify_table(const std::vector<VerifyRow>& rows);

}  // namespace gt::analysis
