// Chapter 2: the Feature Learning Equation (paper Eq. 1). For every linear map z = W h in a network,
//     ∇_h L · hᵀ  =  Wᵀ ∇_W L
// holds exactly: the left side is how the features are pushed, the right side how the weight moves.
// Usage: ch2_fl_equation [gelu|relu|tanh|sigmoid|identity] [--check]
#include <xtensor/xnorm.hpp>
#include <xtensor/xsort.hpp>

#include "analysis/analysis.hpp"
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const auto act = gt::nn::parse_activation(tour::positional(argc, argv, "gelu"));

    const auto data = tour::swissroll(256);  // x is (256, 2), the target t is (256, 1)
    gt::Rng rng(0);
    gt::nn::DNN<double> net(2, 32, 1, 3, /*bias=*/true, act, rng);  // 2 → 32 → 32 → 32 → 1

    gt::Tape<double> tape;
    auto x = tape.input(data.x, /*requires_grad=*/true, "x");  // so ∇_x L exists too (layer 0's h)
    auto out = net.forward(tape, x);
    auto loss = gt::mse(out.logits, tape.input(data.target));
    tape.backward(loss);  // parameters' .grad now hold ∇_W L; tape.grad(h) holds ∇_h L

    fmt::print("activation {}, loss {:.6f}, batch of {} (mean loss: each ∇_h L carries 1/N)\n\n",
               gt::nn::to_string(act), loss.item(), data.size());
    fmt::print("{:<5} {:>8} {:>11} {:>11} {:>9}   {:>18}  {:>18}\n", "layer", "shape", "‖∇_h L·hᵀ‖", "‖Wᵀ∇_W L‖",
               "residual", "largest entry: lhs", "rhs");
    double worst = 0;
    auto linears = net.linears();
    for (std::size_t l = 0; l < linears.size(); ++l) {
        const auto& w = linears[l]->weight;
        const auto h = out.layer_inputs[l];
        const auto fl = gt::analysis::feature_learning(h.value(), h.grad(), w.value, w.grad);
        worst = std::max(worst, fl.residual);
        const std::size_t k = xt::argmax(xt::abs(fl.rhs))();  // flat index of the largest entry
        fmt::print("{:<5} {:>8} {:>11.4e} {:>11.4e} {:>9.1e}   {:>+18.15f}  {:>+18.15f}\n", l,
                   gt::shape_str(gt::shape_of(fl.rhs)), double(xt::norm_l2(fl.lhs)()), double(xt::norm_l2(fl.rhs)()),
                   fl.residual, fl.lhs.flat(k), fl.rhs.flat(k));
    }
    return tour::verdict(check, worst < 1e-12,
                         fmt::format("∇_h L·hᵀ = Wᵀ∇_W L at every layer (worst relative residual {:.1e} < 1e-12)", worst));
}
