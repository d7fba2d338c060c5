#include "experiments/hidden_layer_pass.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "analysis/target_linearity.hpp"
#include "autodiff/autodiff.hpp"
#include "nn/losses.hpp"

namespace gt::experiments {

template <class T>
HiddenLayerPass hidden_layer_pass(nn::DNN<T>& model, const data::Dataset<T>& d, const Labels& labels,
                                  std::size_t batch) {
    const std::size_t n = d.size(), per = numel(d.sample_shape()), c = d.num_classes;
    if (labels.size() != n)
        throw ShapeError(fmt::format("hidden_layer_pass: {} labels for {} samples", labels.size(), n));
    if (batch == 0) throw ValueError("hidden_layer_pass: batch must be positive");
    const Tensor<double> yc = analysis::centred_one_hot<double>(labels, c);
    HiddenLayerPass r;
    for (std::size_t l = 0; l < model.num_hidden(); ++l)
        r.stats.emplace_back(model.linears()[l]->out_features(), c, fmt::format("layer {}", l + 1));
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    std::size_t correct = 0;
    for (std::size_t s = 0; s < n; s += batch) {
        const std::size_t b = std::min(batch, n - s);
        tape.reset();
        Tensor<T> x = Tensor<T>::from_shape({b, per});
        std::copy(d.x.data() + s * per, d.x.data() + (s + b) * per, x.data());
        Tensor<double> yb = Tensor<double>::from_shape({b, c});
        std::copy(yc.data() + s * c, yc.data() + (s + b) * c, yb.data());
        const auto out = model.forward(tape, tape.input(std::move(x)));
        for (std::size_t l = 0; l < r.stats.size(); ++l) r.stats[l].add(xt::cast<double>(out.hidden[l].value()), yb);
        correct += nn::count_correct(out.logits.value(), Labels(labels.begin() + s, labels.begin() + s + b));
    }
    r.accuracy = n ? static_cast<double>(correct) / n : 0.0;
    return r;
}

template HiddenLayerPass hidden_layer_pass<float>(nn::DNN<float>&, const data::Dataset<float>&, const Labels&, std::size_t);
template HiddenLayerPass hidden_layer_pass<double>(nn::DNN<double>&, const data::Dataset<double>&, const Labels&, std::size_t);

}  // namespace gt::experiments
