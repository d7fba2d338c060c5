// Chapter 5: Target Linearity rises layer by layer and over training (paper Fig. 4). TL is the R² of the
// best linear read-out of the labels from a layer's features; we train a small MLP on a subset of
// MNIST and measure it at every hidden layer (same width, so the comparison is fair).
// Usage: ch5_layers [mnist|fashion-mnist] [--check]
#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

#include "analysis/analysis.hpp"
#include "datasets/datasets.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    gt::data::LoadOptions opts;
    opts.data_dir = tour::data_dir();
    opts.n = 2000;  // a seeded random subset of the training set
    const std::string name = tour::positional(argc, argv, "mnist");
    if (!gt::data::available(name, opts)) {  // 77 = "skipped" for meson test
        fmt::print("{} not found under {}: run tools/setup, which fetches it\n", name, opts.data_dir);
        return 77;
    }
    const auto train = gt::data::load<double>(name, opts).train;
    const std::size_t in = gt::numel(train.sample_shape()), layers = 3, epochs = 12;
    gt::Rng rng(0);
    gt::nn::DNN<double> net(in, 128, train.num_classes, layers, true, gt::nn::Activation::GELU, rng);
    gt::nn::SGD<double> sgd(net.parameters(), {0.05, 0.9});
    gt::data::BatchLoader<double> loader(train, 64, true, 0);
    const auto y = gt::analysis::centred_one_hot<double>(train.y, train.num_classes);

    fmt::print("{} subset: {} samples, MLP {} → 128 ×{} → {}, GELU, SGD lr 0.05 momentum 0.9, batch 64\n\n", name,
               train.size(), in, layers, train.num_classes);
    fmt::print("{:>5} {:>10}  {}\n", "epoch", "train acc", "TL of hidden layer 1, 2, 3");
    std::string data;
    std::vector<double> tl(layers);
    gt::Tape<double> tape;
    long step = 0;  // counted by train_epoch
    for (std::size_t epoch = 0;; ++epoch) {
        {  // measure on the whole subset, recording nothing on the tape
            tape.reset();
            gt::NoGradGuard<double> no_grad(tape);
            const auto out = net.forward(tape, tape.input(train.x));
            const auto logits = out.logits.value();
            std::size_t correct = 0;
            for (std::size_t i = 0; i < train.size(); ++i)
                correct += xt::argmax(xt::row(logits, i))() == std::size_t(train.y[i]);
            data += fmt::format("{}", epoch);
            fmt::print("{:>5} {:>10.3f} ", epoch, double(correct) / train.size());
            for (std::size_t l = 0; l < layers; ++l) {
                tl[l] = gt::analysis::target_linearity(out.hidden[l].value(), y).tl;
                data += fmt::format(" {}", tl[l]);
                fmt::print(" {:.4f}", tl[l]);
            }
            data += "\n";
            fmt::print("\n");
        }
        if (epoch == epochs) break;
        // nn/training_loop.hpp: one step per batch (reset, zero_grad, cross-entropy, backward, step)
        gt::nn::train_epoch(loader, tape, sgd, gt::nn::classifier_loss(net), {"tour ch5", long(epoch + 1)}, step);
    }
    fmt::print("\n");
    tour::plot("ch5_layers", data,
               "set title 'Target Linearity per hidden layer'\nset xlabel 'epoch'\nset key bottom right\n"
               "plot for [l=1:3] datafile using 1:(column(l+1)) with linespoints title sprintf('layer %d', l)\n");
    return tour::verdict(check, tl[layers - 1] > tl[0] + 0.02,
                         fmt::format("after training, last-layer TL {:.3f} > first-layer TL {:.3f}", tl[layers - 1], tl[0]));
}
