// Chapter 3: Theorem 1. One gradient step W⁺ = W − γ∇_W L moves the weight Gram WᵀW by the Virtual
// Covariance Shift Σ_i (h_i⁺h_i⁺ᵀ − h_ih_iᵀ), where h⁺ = h − γ∇_h L is the "virtual update" of the
// features, up to a remainder that is exactly
//     R = γ² (∇_W Lᵀ∇_W L − Σ_i ∇_{h_i}L ∇_{h_i}Lᵀ).
// Halving γ divides ‖ΔG − VCS‖ by 4 (it is R); with R added back the identity is exact.
#include <xtensor/xnorm.hpp>

#include "analysis/analysis.hpp"
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const auto data = tour::swissroll(256);
    gt::Rng rng(0);
    gt::nn::DNN<double> net(2, 32, 1, 2, true, gt::nn::Activation::GELU, rng);  // 2 → 32 → 32 → 1

    gt::Tape<double> tape;
    auto out = net.forward(tape, tape.input(data.x));
    tape.backward(gt::mse(out.logits, tape.input(data.target)));
    const std::size_t l = 1;  // the hidden 32 × 32 layer: h = layer_inputs[1], W = its weight
    const auto h = out.layer_inputs[l];
    const auto& w = net.linears()[l]->weight;

    fmt::print("layer {}: W is {}, Gram WᵀW is 32 × 32; ΔG = W⁺ᵀW⁺ − WᵀW, VCS = Σ_i (h⁺h⁺ᵀ − hhᵀ)\n\n", l,
               gt::shape_str(gt::shape_of(w.value)));
    fmt::print("{:>8} {:>12} {:>14} {:>10} {:>20}\n", "γ", "‖ΔG‖", "‖ΔG − VCS‖", "ratio", "‖ΔG − VCS − R‖/‖ΔG‖");
    double previous = 0, worst_exact = 0, worst_ratio_error = 0;
    for (double gamma : {0.4, 0.2, 0.1, 0.05, 0.025}) {
        const auto s = gt::analysis::gram_shift(h.value(), h.grad(), w.value, w.grad, gamma);
        const double ratio = previous > 0 ? previous / s.abs_first : 0;
        fmt::print("{:>8} {:>12.4e} {:>14.4e} {:>10} {:>20.2e}\n", gamma, double(xt::norm_l2(s.delta_gram)()),
                   s.abs_first, previous > 0 ? fmt::format("{:.6f}", ratio) : "", s.residual_exact);
        if (previous > 0) worst_ratio_error = std::max(worst_ratio_error, std::abs(ratio - 4));
        worst_exact = std::max(worst_exact, s.residual_exact);
        previous = s.abs_first;
    }
    fmt::print("\n‖ΔG‖ halves with γ (first order); ‖ΔG − VCS‖ quarters (second order).\n");
    return tour::verdict(check, worst_exact < 1e-12 && worst_ratio_error < 1e-6,
                         fmt::format("ΔG − VCS is exactly the γ² remainder R (residual {:.1e} < 1e-12) and quarters "
                                     "when γ halves (|ratio − 4| ≤ {:.1e})", worst_exact, worst_ratio_error));
}
