// Chapter 7: Gram whitening (paper §2, App. B.1). Take the plain step W̃ = W − γ∇_W L, then rotate it
// back towards W: W⁺ = Q·W̃ with Q the orthogonal polar factor of W·W̃ᵀ. Since QᵀQ = I, W⁺ has exactly
// the Gram of the plain step, W⁺ᵀW⁺ = W̃ᵀW̃, but it moves W only along the Gram-altering direction.
// If the Gram carries what the network learns, whitened training should still learn the target: we
// measure how much of it, as R² = 1 − loss / Var(t) (R² = 0 is the constant fit t̄).
// Usage: ch7_whitening [steps [lr [momentum]]] [--check]
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

using namespace gt::nn;

// Trains a 2 → 32 → 32 → 1 GELU net on the Swiss roll for `steps` full-batch steps; prints the first
// and last loss, the last loss's R² and the worst Gram deviation; returns the R².
double train(const gt::data::Dataset<double>& data, const char* label, std::unique_ptr<Optimizer<double>> opt,
             DNN<double>& net, long steps, double variance, double& worst_deviation) {
    auto loss_of = [&](gt::Tape<double>& t) { return gt::mse(net.forward(t, t.input(data.x)).logits, t.input(data.target)); };
    worst_deviation = -1;  // stays −1 for an optimizer that does not whiten
    StepHooks<double> hooks;
    if (auto* whiten = dynamic_cast<GramWhiten<double>*>(opt.get()))
        hooks.after_step = [&, whiten](long, double) {
            for (double d : whiten->gram_deviation()) worst_deviation = std::max(worst_deviation, d);
        };
    gt::Tape<double> tape;
    long step = 0;  // nn/training_loop.hpp: reset, zero_grad, loss, backward, step, hooks.after_step
    const double first = train_step(tape, *opt, loss_of, {label}, step, hooks);
    while (step < steps) train_step(tape, *opt, loss_of, {label}, step, hooks);
    tape.reset();  // the loss after the last step, recording nothing on the tape
    gt::NoGradGuard<double> no_grad(tape);
    const double loss = loss_of(tape).item();
    const double r2 = 1 - loss / variance;
    fmt::print("{:<28} {:>10.5f} {:>10.5f} {:>8.4f} {:>14}\n", label, first, loss, r2,
               worst_deviation < 0 ? "—" : fmt::format("{:.1e}", worst_deviation));
    return r2;
}

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const long steps = long(tour::number_arg(argc, argv, 0, 1000, 1, 1e6, "steps"));
    // Defaults: momentum 0.95 as in the paper's whitening runs (lr 0.05 for this small regression).
    const SGDOptions sgd{tour::number_arg(argc, argv, 1, 0.05, 0, 10, "lr"), tour::number_arg(argc, argv, 2, 0.95, 0, 0.999, "momentum")};
    const auto data = tour::swissroll(500);
    double mean = 0, variance = 0;  // Var(t): the loss of the best constant fit, t̄
    for (double t : data.target) mean += t / data.size();
    for (double t : data.target) variance += (t - mean) * (t - mean) / data.size();
    fmt::print("Swiss roll (500 points, Var(t) = {:.4f}), MLP 2 → 32 → 32 → 1, {} full-batch steps of SGD lr {} momentum {}\n\n",
               variance, steps, sgd.lr, sgd.momentum);
    fmt::print("{:<28} {:>10} {:>10} {:>8} {:>14}\n", "update", "first loss", "last loss", "R²", "Gram deviation");
    double r2[3], deviation[3];
    const char* labels[3] = {"plain SGD", "whitened, exact polar (SVD)", "whitened, Newton–Schulz ×10"};
    for (int k = 0; k < 3; ++k) {
        gt::Rng rng(0);  // the same initial weights for all three
        DNN<double> net(2, 32, 1, 2, true, Activation::GELU, rng);
        std::unique_ptr<Optimizer<double>> opt = std::make_unique<SGD<double>>(net.parameters(), sgd);
        if (k > 0) opt = std::make_unique<GramWhiten<double>>(std::move(opt), GramWhitenOptions{
                             k == 1 ? PolarMethod::SVD : PolarMethod::NewtonSchulz, 10, true});
        r2[k] = train(data, labels[k], std::move(opt), net, steps, variance, deviation[k]);
    }
    fmt::print("\nR² = 1 − last loss / Var(t). Gram deviation = worst over steps and layers of ‖W⁺ᵀW⁺ − W̃ᵀW̃‖_F / ‖W̃ᵀW̃‖_F.\n");
    return tour::verdict(check, deviation[1] < 1e-10 && r2[1] > 0.9 && r2[2] > 0.9,
                         fmt::format("with the exact polar factor the Gram is kept (deviation {:.1e} < 1e-10) and both "
                                     "whitened nets learn the target (R² {:.3f} and {:.3f} > 0.9; plain SGD {:.3f})",
                                     deviation[1], r2[1], r2[2], r2[0]));
}
