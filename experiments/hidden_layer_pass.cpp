#include "experiments/hidden_layer_pass.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "analysis/target_linearity.hpp"
#include "autodiff/autodiff.hpp"
#include "experiments/figure.hpp"
#include "experiments/training.hpp"
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

template <class T>
void record_tl_accuracy(RunContext& ctx, nn::DNN<T>& model, const data::Dataset<T>& train, const data::Dataset<T>& test,
                        const MetricSite& site, std::size_t batch) {
    const HiddenLayerPass pass = hidden_layer_pass(model, train, train.y, batch);
    std::vector<double> tl;
    for (std::size_t l = 0; l < pass.stats.size(); ++l) tl.push_back(tl_at(site.at_layer(l + 1), pass.stats[l]).tl);
    for (std::size_t l = 0; l < tl.size(); ++l) ctx.metrics->add(site.run, site.epoch, site.step, static_cast<int>(l + 1), "tl", tl[l]);
    ctx.metrics->add(site.run, site.epoch, site.step, "", "train_acc", pass.accuracy);
    ctx.metrics->add(site.run, site.epoch, site.step, "", "test_acc", accuracy(model, test));
}

template <class T>
void train_tl_run(RunContext& ctx, const std::string& run, nn::DNN<T>& model, nn::Optimizer<T>& opt,
                  data::BatchLoader<T>& loader, Progress& prog, const std::function<void(long, long)>& record, long every) {
    const long epochs = ctx.get<long>("epochs");
    const auto params = model.parameters();
    const long start = start_or_resume<T>(ctx, run, run, params, &opt, &loader, [&] {
        record(0, 0);
        ctx.metrics->flush();
    });
    Tape<T> tape;
    long step = start * static_cast<long>(loader.num_batches());
    for (long e = start + 1; e <= epochs; ++e) {
        const double loss = train_classifier_epoch<T>(model, opt, loader, tape, {step_label(ctx.figure, run), e}, step, prog);
        ctx.metrics->add(run, e, step, "", "train_loss", loss);
        record(e, step);
        if (e % every == 0 || e == epochs) finish_epoch<T>(ctx, run, run, params, &opt, &loader, e);
    }
}

Tensor<double> layer_series(const MetricsLog& log, const std::vector<std::string>& runs, const std::string& metric,
                            std::size_t layers, std::size_t ne) {
    Tensor<double> t = Tensor<double>::from_shape({runs.size(), ne, layers});
    for (std::size_t r = 0; r < runs.size(); ++r)
        for (std::size_t l = 0; l < layers; ++l) {
            const auto s = log.series(runs[r], metric, std::to_string(l + 1));
            for (std::size_t e = 0; e < ne; ++e) t(r, e, l) = s.at(e).second;
        }
    return t;
}

Tensor<double> accuracy_series(const MetricsLog& log, const std::vector<std::string>& runs, std::size_t ne) {
    Tensor<double> t = Tensor<double>::from_shape({runs.size(), ne, 2});
    for (std::size_t r = 0; r < runs.size(); ++r)
        for (std::size_t k = 0; k < 2; ++k) {
            const auto s = log.series(runs[r], k ? "test_acc" : "train_acc");
            for (std::size_t e = 0; e < ne; ++e) t(r, e, k) = s.at(e).second;
        }
    return t;
}

#define GT_INSTANTIATE(T)                                                                                              \
    template HiddenLayerPass hidden_layer_pass<T>(nn::DNN<T>&, const data::Dataset<T>&, const Labels&, std::size_t);  \
    template void record_tl_accuracy<T>(RunContext&, nn::DNN<T>&, const data::Dataset<T>&, const data::Dataset<T>&,    \
                                        const MetricSite&, std::size_t);                                               \
    template void train_tl_run<T>(RunContext&, const std::string&, nn::DNN<T>&, nn::Optimizer<T>&,                    \
                                  data::BatchLoader<T>&, Progress&, const std::function<void(long, long)>&, long);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::experiments
