// Chapter 3, exercises (a) and (b), as a program (docs/tour-answers.md §3).
// (a) For one sample, R = γ²(‖∇_z L‖² h hᵀ − Wᵀ∇_z L ∇_z Lᵀ W): checked against gt::analysis::gram_shift.
// (b) At γ = 1e-8, ΔG computed as W⁺ᵀW⁺ − WᵀW (naive) against DᵀW + WᵀD + DᵀD (exact form), each
//     compared with VCS + R: the naive subtraction loses about 1e-16·‖WᵀW‖ to rounding, the exact form
//     stays at round-off relative to ‖ΔG‖.
#include <xtensor/xnorm.hpp>
#include <xtensor/xview.hpp>

#include "analysis/analysis.hpp"
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

using Mat = gt::Tensor<double>;

Mat gram(const Mat& w) { return gt::matmul_plain(w, w, true, false); }  // WᵀW

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const auto data = tour::swissroll(256);
    gt::Rng rng(0);  // the chapter's network and layer
    gt::nn::DNN<double> net(2, 32, 1, 2, true, gt::nn::Activation::GELU, rng);
    gt::Tape<double> tape;
    auto out = net.forward(tape, tape.input(data.x));
    tape.backward(gt::mse(out.logits, tape.input(data.target)));
    const auto h = out.layer_inputs[1];
    const auto& w = net.linears()[1]->weight;

    // (b) the naive difference of two Grams against the exact form, at γ = 1e-8.
    const double gamma = 1e-8;
    const auto s = gt::analysis::gram_shift(h.value(), h.grad(), w.value, w.grad, gamma);
    const Mat naive = gram(Mat(w.value - gamma * w.grad)) - gram(w.value);
    const Mat target = s.vcs + s.remainder;
    const double norm_dg = double(xt::norm_l2(s.delta_gram)());
    const double err_naive = double(xt::norm_l2(naive - target)()) / norm_dg;
    const double err_exact = double(xt::norm_l2(s.delta_gram - target)()) / norm_dg;
    fmt::print("(b) γ = 1e-8: ‖ΔG − VCS − R‖/‖ΔG‖ = {:.1e} naive (W⁺ᵀW⁺ − WᵀW), {:.1e} exact form (DᵀW + WᵀD + DᵀD)\n",
               err_naive, err_exact);

    // (a) one sample: R from ∇_z L, h and W.
    const Mat h0 = xt::view(h.value(), xt::range(0, 1), xt::all());
    gt::Tape<double> one;  // the same layer on sample 0 alone: z = W h (+ b), ∇_z L from a loss on z
    const auto hz = one.input(h0, true);
    auto z = gt::linear(hz, one.input(w.value, true));
    one.backward(gt::sum(gt::tanh(z)));
    const Mat dz = z.grad(), dh = hz.grad();                         // ∇_z L (1 × out), ∇_h L = ∇_z L · W
    const Mat dw = gt::matmul_plain(dz, h0, true, false);             // ∇_W L = ∇_z Lᵀ h
    const double g = 0.1;
    const auto s1 = gt::analysis::gram_shift(h0, dh, w.value, dw, g);
    const double dz2 = double(xt::sum(dz * dz)());
    const Mat by_formula = g * g * (dz2 * gram(h0) - gram(gt::matmul_plain(dz, w.value)));
    const double err_a = double(xt::norm_l2(s1.remainder - by_formula)()) / double(xt::norm_l2(s1.remainder)());
    fmt::print("(a) one sample: ‖R − γ²(‖∇_z L‖² hhᵀ − Wᵀ∇_z L∇_z LᵀW)‖/‖R‖ = {:.1e}; ‖R‖ = {:.2e} (not zero)\n", err_a,
               double(xt::norm_l2(s1.remainder)()));
    return tour::verdict(check, err_a < 1e-12 && err_exact < 1e-12 && err_naive > 1e3 * err_exact,
                         fmt::format("R has the single-sample form; at γ = 1e-8 the exact form keeps {:.0e} where the "
                                     "naive difference loses {:.0e}", err_exact, err_naive));
}
