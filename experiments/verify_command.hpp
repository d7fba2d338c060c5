// `gramtape verify`: builds a random network with nn/ (nn::DNN for mlp; for cnn, nn::Conv2d layers run
// in the unfold form, so that the paper's h = U(x) is a tape node whose gradient is readable, then an
// nn::Linear classifier; for transformer, nn::TransformerEncoder with each linear map reading its own
// copy of its input, then a [CLS] classifier), runs one backward pass of a mean cross-entropy loss and
// checks per layer (per layer and map for the transformer, with the B·T tokens as samples)
//   * the Feature Learning Equation (Eq. 1; conv layers in the unfold form of App. C.1), and
//   * Theorem 1 for a step γ: ΔG vs the Virtual Covariance Shift, without and with the exact
//     second-order remainder R (analysis/gram_shift.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/activation.hpp"

namespace CLI {
class App;
}

namespace gt::experiments {

enum class VerifyModel { MLP, CNN, Transformer };
enum class VerifyDtype { Float, Double };

/// One verify run, typed. add_verify_flags and run_verify parse and range-check it from the command
/// line; verify() takes it as given.
struct VerifySettings {
    VerifyModel model = VerifyModel::MLP;
    std::size_t depth = 3;  // weight layers, the classifier included (>= 1)
    std::size_t width = 64;  // hidden units (mlp) or channels (cnn)
    nn::Activation activation = nn::Activation::GELU;
    std::size_t batch = 32;
    VerifyDtype dtype = VerifyDtype::Double;
    double lr = 1e-3;  // the step size γ of Theorem 1
    std::uint64_t seed = 0;
    int threads = 1;  // BLAS threads
    bool bias = true;
    std::size_t input_dim = 20;  // mlp input features
    std::size_t image_size = 8;  // cnn input: (batch, 3, image_size, image_size), 3×3 kernels, padding 1
    std::size_t classes = 10;
    std::size_t heads = 2;     // transformer: attention heads (divide width = d_model)
    std::size_t seq_len = 8;   // transformer: tokens per sequence, [CLS] included; the last row is padded
    std::size_t vocab = 50;    // transformer: vocabulary size
};

struct VerifyRow {
    std::size_t layer = 0;         // 0-based weight layer; for the transformer, the 1-based encoder layer
    std::string kind;              // "linear", "conv", or the transformer map: query, key, value, output, ff1, ff2
    double lhs_norm = 0.0;         // ‖∇_h L hᵀ‖_F
    double rhs_norm = 0.0;         // ‖Wᵀ∇_W L‖_F
    double fl_residual = 0.0;      // ‖lhs − rhs‖ / ‖rhs‖
    double delta_gram_norm = 0.0;  // ‖W⁺ᵀW⁺ − WᵀW‖_F
    double thm1_first = 0.0;       // ‖ΔG − VCS‖ / ‖ΔG‖
    double thm1_exact = 0.0;       // ‖ΔG − VCS − R‖ / ‖ΔG‖
};

void add_verify_flags(CLI::App* app, VerifySettings& s);
/// One row per weight layer, in order.
std::vector<VerifyRow> verify(const VerifySettings& s);
/// The rows as an aligned text table (one header line, one line per layer).
std::string verify_table(const std::vector<VerifyRow>& rows);
int run_verify(const VerifySettings& s);

}  // namespace gt::experiments
