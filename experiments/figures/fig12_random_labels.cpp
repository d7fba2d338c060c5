// Figure 12: a fraction p of the labels (train and test) relabelled uniformly at random; per-layer Target
// Linearity on the noisy training labels and train/test accuracy over training of a 3-hidden-layer GELU MLP.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "analysis/streaming.hpp"
#include "analysis/target_linearity.hpp"
#include "autodiff/autodiff.hpp"
#include "datasets/labels.hpp"
#include "datasets/loader.hpp"
#include "experiments/figure.hpp"
#include "experiments/guarded_metrics.hpp"
#include "experiments/hidden_layer_pass.hpp"
#include "experiments/io.hpp"
#include "experiments/plot.hpp"
#include "experiments/progress.hpp"
#include "experiments/training.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"

namespace gt::experiments {
namespace {

struct PaperP {
    double train, test, l1, l2, l3;
};
// Read from the paper's Figure 12 (CIFAR-10, epoch 200).
const std::map<double, PaperP> kPaper = {{0.0, {0.87, 0.49, 0.24, 0.31, 0.43}},  {0.25, {0.80, 0.30, 0.14, 0.19, 0.36}},
                                         {0.5, {0.75, 0.17, 0.07, 0.11, 0.28}},  {0.75, {0.70, 0.10, 0.035, 0.10, 0.25}},
                                         {0.9, {0.72, 0.08, 0.03, 0.16, 0.26}},  {1.0, {0.69, 0.08, 0.045, 0.16, 0.23}}};

/// TL of every hidden layer against the centred one-hot of `labels` (streamed, in double; errors name
/// `site` and the layer) and the accuracy w.r.t. `labels`, in one pass without gradients.
template <class T>
std::pair<std::vector<double>, double> tl_and_accuracy(nn::DNN<T>& model, const data::Dataset<T>& d, const Labels& labels,
                                                       const MetricSite& site) {
    const HiddenLayerPass pass = hidden_layer_pass(model, d, labels);
    std::vector<double> tl;
    for (std::size_t l = 0; l < pass.stats.size(); ++l) tl.push_back(tl_at(site.at_layer(l + 1), pass.stats[l]).tl);
    return {tl, pass.accuracy};
}

std::string p_name(double p) { return fmt::format("p{}", p); }

template <class T>
Summary run_fig12(RunContext& ctx) {
    const int seed = ctx.get<std::vector<int>>("seeds").at(0);
    const auto ps = ctx.get<std::vector<double>>("ps");
    const long epochs = ctx.get<long>("epochs");
    const double lr = ctx.get<double>("lr"), momentum = ctx.get<double>("momentum");
    const std::size_t batch = ctx.get<std::size_t>("batch_size"), width = ctx.get<std::size_t>("width");
    const std::size_t depth = ctx.get<std::size_t>("num_hidden");
    const int label_seed = ctx.get<int>("label_seed");
    const data::Split<T> split = load_split<T>(ctx);
    const std::size_t in = numel(split.train.sample_shape()), classes = split.train.num_classes;
    const long spe = static_cast<long>((split.train.size() + batch - 1) / batch);
    long done = 0;
    for (double p : ps) done += epochs_done(ctx, p_name(p));
    Progress prog("fig12 " + ctx.dataset(), static_cast<long>(ps.size()) * epochs * spe, done * spe);

    for (double p : ps) {
        const std::string run = p_name(p);
        // The same relabelling for a given (label_seed, p), independent of the other p values.
        Rng lrng(static_cast<std::uint64_t>(label_seed) * 1000003u + static_cast<std::uint64_t>(std::llround(p * 1e6)));
        data::Dataset<T> train = split.train, test = split.test;
        train.y = data::randomize_labels(split.train.y, classes, p, lrng);
        test.y = data::randomize_labels(split.test.y, classes, p, lrng);
        Rng rng(seed);
        nn::DNN<T> model(in, width, classes, depth, true, nn::Activation::GELU, rng);
        const auto params = model.parameters();
        nn::SGD<T> opt(params, nn::SGDOptions{lr, momentum, 0.0, false});
        data::BatchLoader<T> loader(train, batch, true, static_cast<std::uint64_t>(seed));
        auto record = [&](long e, long step) {
            const auto [tl, tr] = tl_and_accuracy(model, train, train.y, MetricSite{"fig12", run, "", e, step});
            for (std::size_t l = 0; l < depth; ++l) ctx.metrics->add(run, e, step, static_cast<int>(l + 1), "tl", tl[l]);
            ctx.metrics->add(run, e, step, "", "train_acc", tr);
            ctx.metrics->add(run, e, step, "", "test_acc", accuracy(model, test));
            ctx.metrics->add(run, e, step, "", "test_acc_clean", accuracy(model, split.test));
            ctx.metrics->flush();
        };
        const long start = start_or_resume<T>(ctx, run, run, params, &opt, loader, [&] { record(0, 0); });
        Tape<T> tape;
        long step = start * spe;
        for (long e = start + 1; e <= epochs; ++e) {
            const double loss = train_classifier_epoch<T>(model, opt, loader, tape, {"fig12", run, "", e, -1}, step, prog);
            ctx.metrics->add(run, e, step, "", "train_loss", loss);
            record(e, step);
            finish_epoch<T>(ctx, run, run, params, &opt, loader, e);
        }
    }
    prog.finish();

    // Arrays (p × epoch × layer) and one plot panel per p.
    const std::size_t ne = static_cast<std::size_t>(epochs + 1);
    Tensor<double> tl = Tensor<double>::from_shape({ps.size(), ne, depth});
    Tensor<double> acc = Tensor<double>::from_shape({ps.size(), ne, 2});
    std::vector<std::string> cols = {"epoch", "train_acc", "test_acc"};
    for (std::size_t l = 1; l <= depth; ++l) cols.push_back(fmt::format("tl_L{}", l));
    DatFile dat(cols);
    for (std::size_t i = 0; i < ps.size(); ++i) {
        const std::string run = p_name(ps[i]);
        const auto tr = ctx.metrics->series(run, "train_acc"), te = ctx.metrics->series(run, "test_acc");
        dat.block(run);
        for (std::size_t e = 0; e < ne; ++e) {
            acc(i, e, 0) = tr.at(e).second;
            acc(i, e, 1) = te.at(e).second;
            std::vector<double> r = {double(e), acc(i, e, 0), acc(i, e, 1)};
            for (std::size_t l = 0; l < depth; ++l) {
                tl(i, e, l) = ctx.metrics->series(run, "tl", std::to_string(l + 1)).at(e).second;
                r.push_back(std::max(0.0, tl(i, e, l)));
            }
            dat.row(r);
        }
    }
    save_npy(ctx.folder->file("tl.npy"), tl);
    save_npy(ctx.folder->file("accuracy.npy"), acc);
    dat.save(ctx.folder->file("fig12_random_labels.dat"));
    const std::size_t ncol = std::min<std::size_t>(3, ps.size()), nrow = (ps.size() + ncol - 1) / ncol;
    std::string body = fmt::format(
        "set multiplot layout {},{} title \"Fig. 12 ({}): fraction p of labels randomised; TL (clipped at 0) on the noisy "
        "training labels, accuracy\"\nset xlabel \"epoch\"\nset yrange [0:1]\nset grid\nset key top left font \",9\"\n",
        nrow, ncol, ctx.dataset());
    for (std::size_t i = 0; i < ps.size(); ++i)
        body += fmt::format(
            "set title \"p = {}\"\nplot for [l=1:{}] \"fig12_random_labels.dat\" index {} using 1:(column(3+l)) with lines lw 2 "
            "title sprintf(\"TL layer %d\", l), \"\" index {} using 1:2 with lines dt 2 lw 1.5 lc rgb \"black\" title \"train acc\", "
            "\"\" index {} using 1:3 with lines dt 3 lw 1.5 lc rgb \"gray40\" title \"test acc\"\n",
            ps[i], depth, i, i, i);
    body += "unset multiplot";
    plot(ctx, {"fig12.png", "fig12.gp", std::max(900, static_cast<int>(520 * ncol)), static_cast<int>(420 * nrow), body});

    Summary s;
    s.setup = fmt::format(
        "{}: labels relabelled uniformly with probability p in train and test (seeded, label_seed {}); MLP {}→{}×{}→{}, GELU, "
        "bias; SGD lr {}, momentum {}, batch {}, {} epochs, seed {}, {} training samples; TL per hidden layer (λ = 0, centred "
        "one-hot of the noisy training labels, code semantics) on the training set; dtype {}.",
        ctx.dataset(), label_seed, in, width, depth, classes, lr, momentum, batch, epochs, seed, split.train.size(),
        ctx.config.value("dtype", "float"));
    s.images = {"fig12.png"};
    const std::string src = "paper's CIFAR-10 value, read from its plot";
    std::map<double, double> last_tl;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        const auto it = kPaper.find(ps[i]);
        const bool have = it != kPaper.end();
        last_tl[ps[i]] = tl(i, ne - 1, depth - 1);
        std::string ours;
        for (std::size_t l = 0; l < depth; ++l) ours += (l ? " / " : "") + fmt_num(tl(i, ne - 1, l), 2);
        s.rows.push_back({fmt::format("p = {}: TL layers 1/2/3, epoch {} (paper: 200)", ps[i], epochs), ours,
                          have ? fmt::format("{} / {} / {}", fmt_num(it->second.l1, 2), fmt_num(it->second.l2, 2), fmt_num(it->second.l3, 2)) : "—",
                          have ? src : "not in the paper"});
        s.rows.push_back({fmt::format("p = {}: train / test accuracy (noisy labels)", ps[i]),
                          fmt_num(acc(i, ne - 1, 0), 3) + " / " + fmt_num(acc(i, ne - 1, 1), 3),
                          have ? fmt_num(it->second.train, 2) + " / " + fmt_num(it->second.test, 2) : "—", have ? src : "not in the paper"});
    }
    // Claim: last-layer TL decreases as p grows from 0 to 0.5 (over the p values run in that range).
    std::vector<std::pair<double, double>> low;
    for (const auto& [p, v] : last_tl)
        if (p <= 0.5) low.emplace_back(p, v);
    bool dec = low.size() >= 2;
    std::string seq;
    for (std::size_t i = 0; i < low.size(); ++i) {
        if (i && !(low[i].second < low[i - 1].second)) dec = false;
        seq += (i ? " > " : "") + fmt::format("{} (p={})", fmt_num(low[i].second, 3), low[i].first);
    }
    s.claims.push_back({"Last-layer TL at the end decreases as p grows from 0 to 0.5", dec, low.size() >= 2 ? seq : "needs two p values in [0, 0.5]"});
    if (last_tl.count(0.0) && last_tl.count(1.0)) {
        const std::size_t i0 = 0, i1 = static_cast<std::size_t>(std::find(ps.begin(), ps.end(), 1.0) - ps.begin());
        const double t0 = acc(i0, ne - 1, 1), t1 = acc(i1, ne - 1, 1);
        s.claims.push_back({"With every label random (p = 1) the test accuracy is near chance, far below p = 0", t1 < 0.2 && t0 > t1 + 0.3,
                            fmt::format("test acc p=0 {:.3f}, p=1 {:.3f}", t0, t1)});
    }
    s.differences.push_back(fmt::format("{} stands in for CIFAR-10 (not available on this machine); absolute TL and accuracies differ.", ctx.dataset()));
    if (epochs != 200) s.differences.push_back(fmt::format("{} epochs instead of 200 (preset {}).", epochs, ctx.config.value("preset", "")));
    if (ps.size() != 6) s.differences.push_back(fmt::format("p ∈ {} instead of {{0, 0.25, 0.5, 0.75, 0.9, 1.0}}.", ctx.config.at("ps").dump()));
    if (split.train.size() < 50000)
        s.differences.push_back(fmt::format("Trained and measured on a seeded subset of {} training images (full test set).", split.train.size()));
    s.differences.push_back("The relabelling is seeded (the paper's numpy RNG was not); metrics.csv also has test_acc_clean (accuracy on the true test labels).");
    return s;
}

class Fig12 : public Figure {
   public:
    FigureInfo info() const override {
        FigureInfo i;
        i.id = "fig12";
        i.title = "Target Linearity under random labels";
        i.shows = "per-layer TL and train/test accuracy with a fraction p of labels randomised; last-layer TL falls as p grows";
        i.datasets = {"mnist", "fashion-mnist", "cifar10", "cifar100"};
        i.preset_datasets = {{"smoke", {"mnist"}}, {"quick", {"fashion-mnist"}}, {"paper", {"mnist", "fashion-mnist", "cifar10"}}};
        i.estimate = {{"smoke", "~10 s"}, {"quick", "~1 min"}, {"paper", "~13 h"}};
        return i;
    }
    json defaults(const std::string& preset, const std::string&) const override {
        json d = {{"seeds", {0}}, {"ps", {0.0, 0.25, 0.5, 0.75, 0.9, 1.0}}, {"epochs", 200}, {"lr", 0.005}, {"momentum", 0.95},
                  {"batch_size", 64}, {"width", 256}, {"num_hidden", 3}, {"label_seed", 0}, {"train_subset", 0}, {"subset_seed", 0}};
        if (preset == "smoke") {
            d["ps"] = {0.0, 1.0};
            d["epochs"] = 1;
            d["train_subset"] = 1000;
        } else if (preset == "quick") {
            d["ps"] = {0.0, 0.25, 0.5, 1.0};
            d["epochs"] = 8;
            d["train_subset"] = 6000;
        }
        return d;
    }
    void check(const json& c) const override {
        const auto ps = c.at("ps").get<std::vector<double>>();
        if (ps.empty()) throw UsageError("config 'ps': [] (expected at least one fraction of relabelled labels)");
        for (double p : ps)
            if (!(p >= 0.0 && p <= 1.0)) throw UsageError(fmt::format("config 'ps': {} is not a fraction in [0, 1]", p));
        for (const char* k : {"width", "num_hidden"})
            if (c.at(k).get<long>() < 1) throw UsageError(fmt::format("config '{}': {} (expected an integer >= 1)", k, c.at(k).dump()));
    }
    Summary run(RunContext& ctx) const override {
        return ctx.use_double() ? run_fig12<double>(ctx) : run_fig12<float>(ctx);
    }
};
GT_REGISTER_FIGURE(Fig12);

}  // namespace
}  // namespace gt::experiments
