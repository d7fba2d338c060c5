// Chapter 7, exercise (c), as a program (docs/tour-answers.md §7): Adam as the base optimizer of Gram
// whitening. Whitening only looks at the value before and after the base step, so it wraps any optimizer;
// with the exact polar factor the Gram of the plain Adam step is kept to round-off.
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

using namespace gt::nn;

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const auto data = tour::swissroll(500);
    double mean = 0, variance = 0;
    for (double t : data.target) mean += t / data.size();
    for (double t : data.target) variance += (t - mean) * (t - mean) / data.size();
    double r2[2], worst = 0;
    for (int k = 0; k < 2; ++k) {
        gt::Rng rng(0);
        DNN<double> net(2, 32, 1, 2, true, Activation::GELU, rng);
        std::unique_ptr<Optimizer<double>> opt = std::make_unique<Adam<double>>(net.parameters(), AdamOptions{0.01});
        GramWhiten<double>* whiten = nullptr;
        if (k == 1) {
            auto w = std::make_unique<GramWhiten<double>>(std::move(opt), GramWhitenOptions{PolarMethod::SVD, 10, true});
            whiten = w.get();
            opt = std::move(w);
        }
        auto loss_of = [&](gt::Tape<double>& t) { return gt::mse(net.forward(t, t.input(data.x)).logits, t.input(data.target)); };
        StepHooks<double> hooks;
        if (whiten) hooks.after_step = [&](long, double) { for (double d : whiten->gram_deviation()) worst = std::max(worst, d); };
        gt::Tape<double> tape;
        long step = 0;
        double loss = 0;
        while (step < 1000) loss = train_step(tape, *opt, loss_of, {"tour ch7 adam"}, step, hooks);
        r2[k] = 1 - loss / variance;
        fmt::print("{:<22} loss at step 1000 {:.5f}, R² {:.4f}\n", k ? "whitened Adam (SVD)" : "plain Adam lr 0.01", loss, r2[k]);
    }
    fmt::print("worst Gram deviation of the whitened run: {:.1e}\n", worst);
    return tour::verdict(check, worst < 1e-10 && r2[1] > 0.5,
                         fmt::format("whitening wraps Adam: Gram kept ({:.1e} < 1e-10), R² {:.3f}", worst, r2[1]));
}
