// Chapter 7: Gram whitening (paper §2, App. B.1). Take the plain step W̃ = W − γ∇_W L, then rotate it
// back towards W: W⁺ = Q·W̃ with Q the orthogonal polar factor of W·W̃ᵀ. Since QᵀQ = I, W⁺ has exactly
// the Gram of the plain step, W⁺ᵀW⁺ = W̃ᵀW̃, but it moves W only along the Gram-altering direction.
// If the Gram carries what the network learns, whitened training should still learn: it does.
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

using namespace gt::nn;

// Trains a fresh 2 → 32 → 32 → 1 GELU net on the Swiss roll; prints loss and worst Gram deviation.
double train(const gt::data::Dataset<double>& data, const char* label, std::unique_ptr<Optimizer<double>> opt,
             DNN<double>& net, double& worst_deviation) {
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
    while (step < 1000) train_step(tape, *opt, loss_of, {label}, step, hooks);
    tape.reset();  // the loss after the last step, recording nothing on the tape
    gt::NoGradGuard<double> no_grad(tape);
    const double loss = loss_of(tape).item();
    fmt::print("{:<28} {:>10.5f} {:>10.5f} {:>14}\n", label, first, loss,
               worst_deviation < 0 ? "—" : fmt::format("{:.1e}", worst_deviation));
    return loss / first;
}

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const auto data = tour::swissroll(500);
    const SGDOptions sgd{0.1, 0.9};
    fmt::print("Swiss roll (500 points), MLP 2 → 32 → 32 → 1, 1000 full-batch steps of SGD lr 0.1 momentum 0.9\n\n");
    fmt::print("{:<28} {:>10} {:>10} {:>14}\n", "update", "loss @0", "loss @1000", "Gram deviation");
    double ratio[3], deviation[3];
    const char* labels[3] = {"plain SGD", "whitened, exact polar (SVD)", "whitened, Newton–Schulz ×10"};
    for (int k = 0; k < 3; ++k) {
        gt::Rng rng(0);  // the same initial weights for all three
        DNN<double> net(2, 32, 1, 2, true, Activation::GELU, rng);
        std::unique_ptr<Optimizer<double>> opt = std::make_unique<SGD<double>>(net.parameters(), sgd);
        if (k > 0) opt = std::make_unique<GramWhiten<double>>(std::move(opt), GramWhitenOptions{
                             k == 1 ? PolarMethod::SVD : PolarMethod::NewtonSchulz, 10, true});
        ratio[k] = train(data, labels[k], std::move(opt), net, deviation[k]);
    }
    fmt::print("\nGram deviation = worst over steps and layers of ‖W⁺ᵀW⁺ − W̃ᵀW̃‖_F / ‖W̃ᵀW̃‖_F.\n");
    return tour::verdict(check, deviation[1] < 1e-10 && ratio[1] < 0.9,
                         fmt::format("with the exact polar factor the Gram is kept (deviation {:.1e} < 1e-10) and the "
                                     "loss still falls to {:.0f} % of its start", deviation[1], 100 * ratio[1]));
}
