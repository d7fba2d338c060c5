// Chapter 2, exercise (c), as a program (docs/tour-answers.md §2): the loss times 10. Both sides of
// ∇_h L·hᵀ = Wᵀ∇_W L are multiplied by 10 and the relative residual stays at round-off.
// Note `* 10.0`: the operator is declared for Var<T> and T, so `* 10` (an int) does not compile.
#include <xtensor/xnorm.hpp>

#include "analysis/analysis.hpp"
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const auto data = tour::swissroll(256);
    double norms[2][4], worst = 0;
    for (int scaled = 0; scaled < 2; ++scaled) {
        gt::Rng rng(0);  // the chapter's network, twice
        gt::nn::DNN<double> net(2, 32, 1, 3, true, gt::nn::Activation::GELU, rng);
        gt::Tape<double> tape;
        auto x = tape.input(data.x, true, "x");
        auto out = net.forward(tape, x);
        auto loss = scaled ? gt::mse(out.logits, tape.input(data.target)) * 10.0  // the exercise's line
                           : gt::mse(out.logits, tape.input(data.target));
        tape.backward(loss);
        auto linears = net.linears();
        for (std::size_t l = 0; l < linears.size(); ++l) {
            const auto h = out.layer_inputs[l];
            const auto fl = gt::analysis::feature_learning(h.value(), h.grad(), linears[l]->weight.value, linears[l]->weight.grad);
            norms[scaled][l] = double(xt::norm_l2(fl.rhs)());
            worst = std::max(worst, fl.residual);
        }
    }
    double worst_factor = 0;
    fmt::print("{:<5} {:>12} {:>12} {:>8}\n", "layer", "‖Wᵀ∇_W L‖", "× 10 loss", "ratio");
    for (int l = 0; l < 4; ++l) {
        const double r = norms[1][l] / norms[0][l];
        worst_factor = std::max(worst_factor, std::abs(r - 10));
        fmt::print("{:<5} {:>12.4e} {:>12.4e} {:>8.4f}\n", l, norms[0][l], norms[1][l], r);
    }
    return tour::verdict(check, worst_factor < 1e-9 && worst < 1e-12,
                         fmt::format("both sides scale by 10 (|ratio − 10| ≤ {:.0e}); residual stays {:.1e}", worst_factor, worst));
}
