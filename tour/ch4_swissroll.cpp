// Chapter 4: the virtual trajectory unrolls the Swiss roll (paper Fig. 1). While the network trains by
// full-batch gradient descent, each input is moved along its own gradient, x̃ ← x̃ − γ∇_x L, without
// feeding back. The spiral unrolls into a line ordered by the target t: the Target Linearity of the
// 2-D virtual inputs w.r.t. t rises.
// Usage: ch4_swissroll [gamma] [--check]    (gamma, the virtual step size, 700 by default)
#include <xtensor/xsort.hpp>

#include "analysis/analysis.hpp"
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

using Mat = gt::Tensor<double>;

// Per-coordinate min–max scaling to [0, 1], as the paper's figure does before drawing.
Mat minmax(const Mat& x) {
    const Mat lo = xt::amin(x, {0}), hi = xt::amax(x, {0});
    return (x - lo) / (hi - lo + 1e-6);
}

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const auto data = tour::swissroll(1000);  // x (1000, 2), t (1000, 1)
    gt::Rng rng(0);
    gt::nn::DNN<double> net(2, 32, 1, 2, true, gt::nn::Activation::GELU, rng);  // 2 → 32 → 32 → 1
    gt::nn::SGD<double> sgd(net.parameters(), {0.05});
    // γ of the virtual step; the paper's notebook uses 700. It is not only a display scale: x̃ − x grows
    // with γ while x does not, so γ sets how far the points move relative to the spiral, and TL with it.
    const double gamma = tour::number_arg(argc, argv, 0, 700, 1e-6, 1e9, "gamma");
    gt::analysis::VirtualTrajectory<double> virt(data.x);

    const int steps = 100, every = 10;
    std::string table, frames;
    fmt::print("γ = {}\n{:>5} {:>9} {:>22}\n", gamma, "step", "loss", "TL(virtual x, t)");
    double tl_first = 0, tl = 0;
    gt::Tape<double> tape;
    gt::Var<double> x;  // the inputs as a leaf of this step's tape, so that ∇_x L can be read
    auto loss_of = [&](gt::Tape<double>& t) {
        x = t.input(data.x, true);
        return gt::mse(net.forward(t, x).logits, t.input(data.target));
    };
    gt::nn::StepHooks<double> hooks;  // x̃ ← x̃ − γ ∇_x L, with the gradient of this step's network
    hooks.after_backward = [&](gt::Tape<double>&) { virt.step(x.grad(), gamma); };
    long done = 0;  // steps taken, counted by train_step
    for (int step = 0;; ++step) {
        const bool frame = step % every == 0;
        if (frame) {  // the virtual inputs after `step` virtual steps, and their TL w.r.t. t
            const Mat xv = minmax(virt.position());
            tl = gt::analysis::target_linearity_vector(xv, data.target).tl;
            if (step == 0) tl_first = tl;
            table += fmt::format("{} {}\n", step, tl);
            if (step == 0 || step == steps)
                for (std::size_t i = 0; i < data.size(); ++i)
                    frames += fmt::format("{} {} {}\n", xv(i, 0), xv(i, 1), data.target(i, 0));
            frames += step == 0 ? "\n\n" : "";
        }
        if (step == steps) break;
        // nn/training_loop.hpp; after the virtual step, the network itself trains by plain gradient descent
        const double loss = gt::nn::train_step(tape, sgd, loss_of, {"tour ch4"}, done, hooks);
        if (frame) fmt::print("{:>5} {:>9.5f} {:>22.4f}\n", step, loss, tl);
    }
    fmt::print("{:>5} {:>9} {:>22.4f}\n\n", steps, "", tl);
    tour::plot("ch4_swissroll", table + "\n\n" + frames,
               "set title 'Target Linearity of the virtual inputs'\nset xlabel 'step'\n"
               "plot datafile index 0 with linespoints notitle\n",
               "set multiplot layout 1,3\nset title 'Target Linearity of the virtual inputs'\nset xlabel 'step'\n"
               "plot datafile index 0 with linespoints notitle\nunset xlabel\nset palette rgb 33,13,10\nunset colorbox\n"
               "set title 'inputs x (step 0), colour = t'\nplot datafile index 1 using 1:2:3 with points pt 7 ps 0.4 lc palette notitle\n"
               "set title 'virtual inputs after training'\nplot datafile index 2 using 1:2:3 with points pt 7 ps 0.4 lc palette notitle\n");
    return tour::verdict(check, tl > tl_first + 0.05,
                         fmt::format("TL of the virtual inputs rises: {:.3f} at step 0 → {:.3f} at step {}", tl_first, tl, steps));
}
