// Chapter 5, exercises (a) and (c), as a program (docs/tour-answers.md §5).
// (a) TL of the input itself (784 pixels) next to the hidden layers (128 features each).
// (c) The same training with the labels shuffled (random labels): TL per layer after 12 epochs.
#include <algorithm>
#include <random>

#include <xtensor/xsort.hpp>
#include <xtensor/xview.hpp>

#include "analysis/analysis.hpp"
#include "datasets/datasets.hpp"
#include "nn/nn.hpp"
#include "tour/tour.hpp"

// Trains the chapter's MLP for `epochs` epochs on `train`; returns TL of the input and of hidden layers
// 1–3 w.r.t. the centred one-hot labels, and the training accuracy, measured after training.
std::vector<double> run(const gt::data::Dataset<double>& train, std::size_t epochs) {
    const std::size_t in = gt::numel(train.sample_shape()), layers = 3;
    gt::Rng rng(0);
    gt::nn::DNN<double> net(in, 128, train.num_classes, layers, true, gt::nn::Activation::GELU, rng);
    gt::nn::SGD<double> sgd(net.parameters(), {0.05, 0.9});
    gt::data::BatchLoader<double> loader(train, 64, true, 0);
    gt::Tape<double> tape;
    long step = 0;
    for (std::size_t e = 0; e < epochs; ++e)
        gt::nn::train_epoch(loader, tape, sgd, gt::nn::classifier_loss(net), {"tour ch5 solution", long(e + 1)}, step);
    tape.reset();
    gt::NoGradGuard<double> no_grad(tape);
    const auto out = net.forward(tape, tape.input(train.x));
    const auto y = gt::analysis::centred_one_hot<double>(train.y, train.num_classes);
    std::vector<double> r{gt::analysis::target_linearity(out.layer_inputs[0].value(), y).tl};  // (a): the input
    for (std::size_t l = 0; l < layers; ++l) r.push_back(gt::analysis::target_linearity(out.hidden[l].value(), y).tl);
    std::size_t correct = 0;
    const auto logits = out.logits.value();
    for (std::size_t i = 0; i < train.size(); ++i) correct += xt::argmax(xt::row(logits, i))() == std::size_t(train.y[i]);
    r.push_back(double(correct) / train.size());
    return r;
}

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    gt::data::LoadOptions opts;
    opts.data_dir = tour::data_dir();
    opts.n = 2000;
    if (!gt::data::available("mnist", opts)) {
        fmt::print("mnist not found under {}: run tools/setup, which fetches it\n", opts.data_dir);
        return 77;
    }
    auto train = gt::data::load<double>("mnist", opts).train;
    fmt::print("{:<14} {:>8} {:>8} {:>8} {:>8} {:>10}\n", "labels", "TL input", "layer 1", "layer 2", "layer 3", "train acc");
    std::vector<double> r[2];
    for (int shuffled = 0; shuffled < 2; ++shuffled) {
        if (shuffled) std::shuffle(train.y.begin(), train.y.end(), std::mt19937(0));  // (c): random labels
        r[shuffled] = run(train, 12);
        fmt::print("{:<14} {:>8.4f} {:>8.4f} {:>8.4f} {:>8.4f} {:>10.3f}\n", shuffled ? "random" : "true", r[shuffled][0],
                   r[shuffled][1], r[shuffled][2], r[shuffled][3], r[shuffled][4]);
    }
    // (a) is about width: with random labels no layer has learned anything, yet the 784 input columns
    // still fit a large share of them in-sample, far more than 128 hidden features do.
    return tour::verdict(check, r[1][0] > 2 * r[1][1] && r[1][3] < r[0][3],
                         fmt::format("with random labels the 784-wide input still has TL {:.3f} against {:.3f} for "
                                     "hidden layer 1 (width, not linearity); the last layer's TL stays lower than with "
                                     "true labels ({:.3f} < {:.3f})", r[1][0], r[1][1], r[1][3], r[0][3]));
}
