// Chapter 6: lazy versus rich training (paper Fig. 8). y_OLS is the best linear fit of the target from
// the last hidden layer's features. A narrow net (width 32) learns features: ‖y − y_OLS‖ falls, the
// features become more linear in the target. A wide one (width 1024, output /√w) stays lazy: its
// features barely move, ‖y − y_OLS‖ stays flat, and training is kernel regression on fixed features.
// Usage: ch6_lazy_rich [epochs] [--check]    (the paper trains 2000 epochs at lr 0.01; we take
// fewer, larger steps so that it runs in well under a minute)
#include <cstdlib>
#include <xtensor/xnorm.hpp>

#include "analysis/analysis.hpp"
#include "datasets/registry.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

using T = float;  // exactness is not the point here, speed is: width 1024 costs 6 GFLOP per epoch

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    const std::string arg = tour::positional(argc, argv, "200");
    char* end = nullptr;
    const long parsed = std::strtol(arg.c_str(), &end, 10);
    if (*end != '\0' || parsed < 1 || parsed > 100000) {
        fmt::print(stderr, "ch6_lazy_rich: epochs '{}': expected a whole number in [1, 100000]\n", arg);
        return 2;
    }
    const int epochs = static_cast<int>(parsed), every = std::max(1, epochs / 10);
    const double lr = 0.1;
    gt::data::LoadOptions opts;
    opts.n = 1000;
    opts.seed = 42;
    const auto data = gt::data::load<T>("staircase", opts).train;  // y = x1x2x3x4 + x1x2x3 + x1x2 + x1
    const double norm_y = double(xt::norm_l2(data.target)());  // changes are reported as a share of ‖y‖
    fmt::print("staircase, 1000 samples, ‖y‖ = {:.1f}; bias-free ReLU net 10 → w → w → 1, output /√w; full-batch SGD lr {}\n\n",
               norm_y, lr);
    fmt::print("{:>6} {:>6} {:>10} {:>12} {:>12} {:>10}\n", "width", "epoch", "train MSE", "‖y − y_OLS‖", "‖ŷ − y_OLS‖",
               "‖y − ŷ‖");
    std::string table;
    std::vector<T> first, last;
    for (std::size_t width : {32, 1024}) {
        gt::Rng rng(0);
        gt::nn::StaircaseNet<T> net(10, width, rng);
        gt::nn::SGD<T> sgd(net.parameters(), {lr});
        gt::Tape<T> tape;
        auto measure = [&](int epoch) {  // the network after `epoch` steps, recording nothing on the tape
            tape.reset();
            gt::NoGradGuard<T> no_grad(tape);
            const auto out = net.forward(tape, tape.input(data.x));
            const auto loss = gt::mse(out.output, tape.input(data.target)).item();
            const auto s = gt::analysis::staircase(out.hidden2.value(), data.target, out.output.value());
            if (epoch == 0) first.push_back(s.y_minus_ols);
            if (epoch == epochs) last.push_back(s.y_minus_ols);
            table += fmt::format("{} {}\n", epoch, s.y_minus_ols);
            fmt::print("{:>6} {:>6} {:>10.4f} {:>12.3f} {:>12.3f} {:>10.3f}\n", width, epoch, loss, s.y_minus_ols,
                       s.yhat_minus_ols, s.y_minus_yhat);
        };
        auto loss_of = [&](gt::Tape<T>& t) { return gt::mse(net.forward(t, t.input(data.x)).output, t.input(data.target)); };
        measure(0);
        long step = 0;  // one full-batch step per epoch, through nn/training_loop.hpp
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            gt::nn::train_step(tape, sgd, loss_of, {"tour ch6", epoch}, step);
            if (epoch % every == 0 || epoch == epochs) measure(epoch);
        }
        table += "\n\n";
        fmt::print("\n");
    }
    tour::plot("ch6_lazy_rich", table,
               "set title '‖y − y_OLS‖: rich (width 32) vs lazy (width 1024)'\nset xlabel 'epoch'\nset key top right\n"
               "plot datafile index 0 with linespoints title 'width 32', datafile index 1 with linespoints title 'width 1024'\n");
    // Changes as a fraction of ‖y‖, so the two widths are on one scale.
    const double fall32 = (first[0] - last[0]) / norm_y, change1024 = std::abs(first[1] - last[1]) / norm_y;
    return tour::verdict(check, fall32 > 0.10 && change1024 < 0.02,
                         fmt::format("‖y − y_OLS‖ falls by {:.1f} % of ‖y‖ at width 32 and changes by {:.1f} % at width 1024",
                                     100 * fall32, 100 * change1024));
}
