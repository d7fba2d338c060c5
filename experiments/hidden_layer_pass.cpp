#include "experiments/hidden_layer_pass.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <xtensor/xview.hpp>

#include "analysis/target_linearity.hpp"
#include "autodiff/autodiff.hpp"
#include "experiments/figure.hpp"
#include "experiments/training.hpp"
#include "nn/losses.hpp"
#include "platform/files.hpp"

namespace gt::experiments {

template <class T>
HiddenLayerPass hidden_layer_pass(nn::DNN<T>& model, const data::Dataset<T>& d, const Labels& labels,
                                  std::size_t batch) {
    const std::size_t n = d.size(), c = d.num_classes;
    if (labels.size() != n)
        throw ShapeError(fmt::format("hidden_layer_pass: {} labels for {} samples", labels.size(), n));
    if (batch == 0) throw ValueError("hidden_layer_pass: batch must be positive");
    const Tensor<double> yc = analysis::centred_one_hot<double>(labels, c);
    const auto x = xt::reshape_view(d.x, {n, numel(d.sample_shape())});
    HiddenLayerPass r;
    for (std::size_t l = 0; l < model.num_hidden(); ++l)
        r.stats.emplace_back(model.linears()[l]->out_features(), c, fmt::format("layer {}", l + 1));
    std::size_t correct = 0;
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    for (std::size_t s = 0; s < n; s += batch) {
        const std::size_t e = std::min(s + batch, n);  // rows [s, e), viewed in place
        tape.reset();
        const auto out = model.forward(tape, tape.input(Tensor<T>(xt::view(x, xt::range(s, e), xt::all()))));
        const Tensor<double> yb = xt::view(yc, xt::range(s, e), xt::all());
        for (std::size_t l = 0; l < r.stats.size(); ++l) r.stats[l].add(xt::cast<double>(out.hidden[l].value()), yb);
        correct += nn::count_correct(out.logits.value(), Labels(labels.begin() + s, labels.begin() + e));
    }
    r.accuracy = n ? static_cast<double>(correct) / n : 0.0;
    return r;
}

template <class T>
void record_tl_accuracy(RunContext& ctx, nn::DNN<T>& model, const data::Dataset<T>& train, const data::Dataset<T>& test,
                        const MetricSite& site, std::size_t batch, const LayerHook& per_layer) {
    const HiddenLayerPass pass = hidden_layer_pass(model, train, train.y, batch);
    for (std::size_t l = 0; l < pass.stats.size(); ++l) {
        const MetricSite at = site.at_layer(l + 1);
        ctx.metrics->add(site.run, site.epoch, site.step, static_cast<int>(l + 1), "tl", tl_at(at, pass.stats[l]).tl);
        if (per_layer) per_layer(l, pass.stats[l], at);
    }
    ctx.metrics->add(site.run, site.epoch, site.step, "", "train_acc", pass.accuracy);
    ctx.metrics->add(site.run, site.epoch, site.step, "", "test_acc", accuracy(model, test));
}

Progress runs_progress(const RunContext& ctx, const std::string& label, const std::vector<std::string>& runs,
                       long steps_per_epoch) {
    long done = 0;
    for (const auto& run : runs) done += epochs_done(ctx, run);
    return Progress(label, static_cast<long>(runs.size()) * ctx.get<long>("epochs") * steps_per_epoch, done * steps_per_epoch);
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

template <class T>
std::string gelu_mlp_setup(const RunContext& ctx, const data::Dataset<T>& train, const std::string& optimizer) {
    return fmt::format("MLP {}→{}×{}→{}, GELU, bias; {}, batch {}, {} epochs, seed {}, {} training samples",
                       numel(train.sample_shape()), ctx.get<std::size_t>("width"), ctx.get<std::size_t>("num_hidden"),
                       train.num_classes, optimizer, ctx.get<std::size_t>("batch_size"), ctx.get<long>("epochs"),
                       ctx.get<std::vector<int>>("seeds").at(0), train.size());
}

TlCurves tl_curves(RunContext& ctx, const std::vector<std::string>& runs, std::size_t layers, std::size_t ne) {
    TlCurves m{layer_series(*ctx.metrics, runs, "tl", layers, ne), accuracy_series(*ctx.metrics, runs, ne), ne};
    save_npy(ctx.folder->file("tl.npy"), m.tl);
    save_npy(ctx.folder->file("accuracy.npy"), m.acc);
    return m;
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
                                        const MetricSite&, std::size_t, const LayerHook&);                             \
    template void train_tl_run<T>(RunContext&, const std::string&, nn::DNN<T>&, nn::Optimizer<T>&,                    \
                                  data::BatchLoader<T>&, Progress&, const std::function<void(long, long)>&, long);    \
    template std::string gelu_mlp_setup<T>(const RunContext&, const data::Dataset<T>&, const std::string&);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::experiments
