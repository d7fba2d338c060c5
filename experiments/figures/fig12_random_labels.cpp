// Figure 12: a fraction p of the labels (train and test) relabelled uniformly at random; per-layer Target
// Linearity on the noisy training labels and train/test accuracy over training of a 3-hidden-layer GELU MLP.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "autodiff/autodiff.hpp"
#include "datasets/labels.hpp"
#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/hidden_layer_pass.hpp"
#include "experiments/plot.hpp"
#include "experiments/training.hpp"
#include "nn/dnn.hpp"
#include "nn/sgd.hpp"
#include "platform/files.hpp"

namespace gt::experiments {
namespace {

// ---- the paper's numbers -------------------------------------------------------------------------------

struct PaperP {
    double train, test, l1, l2, l3;
};
// Read from the paper's Figure 12 (CIFAR-10, epoch 200).
const std::map<double, PaperP> kPaper = {{0.0, {0.87, 0.49, 0.24, 0.31, 0.43}},  {0.25, {0.80, 0.30, 0.14, 0.19, 0.36}},
                                         {0.5, {0.75, 0.17, 0.07, 0.11, 0.28}},  {0.75, {0.70, 0.10, 0.035, 0.10, 0.25}},
                                         {0.9, {0.72, 0.08, 0.03, 0.16, 0.26}},  {1.0, {0.69, 0.08, 0.045, 0.16, 0.23}}};
const char* const kSource = "paper's CIFAR-10 value, read from its plot";

// ---- settings ------------------------------------------------------------------------------------------

struct Settings {
    std::vector<double> ps;
    std::vector<std::string> runs;  // "p0.25"
    long epochs;
    std::size_t depth;
};

Settings settings(const RunContext& ctx) {
    Settings st{ctx.get<std::vector<double>>("ps"), {}, ctx.get<long>("epochs"), ctx.get<std::size_t>("num_hidden")};
    for (double p : st.ps) st.runs.push_back(fmt::format("p{}", p));
    return st;
}

// ---- train: one run per p, per epoch TL on the noisy training labels and accuracies --------------------

template <class T>
void train(RunContext& ctx, const Settings& st, const data::Split<T>& split) {
    const int seed = ctx.get<std::vector<int>>("seeds").at(0);
    const std::size_t batch = ctx.get<std::size_t>("batch_size"), classes = split.train.num_classes;
    Progress prog = runs_progress(ctx, ctx.figure + " " + ctx.dataset(), st.runs, static_cast<long>((split.train.size() + batch - 1) / batch));
    for (std::size_t i = 0; i < st.ps.size(); ++i) {
        const std::string& run = st.runs[i];
        // The same relabelling for a given (label_seed, p), independent of the other p values.
        Rng lrng(ctx.get<std::uint64_t>("label_seed") * 1000003u + static_cast<std::uint64_t>(std::llround(st.ps[i] * 1e6)));
        data::Dataset<T> train = split.train, test = split.test;
        train.y = data::randomize_labels(split.train.y, classes, st.ps[i], lrng);
        test.y = data::randomize_labels(split.test.y, classes, st.ps[i], lrng);
        Rng rng(seed);
        nn::DNN<T> model(numel(train.sample_shape()), ctx.get<std::size_t>("width"), classes, st.depth, true, nn::Activation::GELU, rng);
        nn::SGD<T> opt(model.parameters(), nn::SGDOptions{ctx.get<double>("lr"), ctx.get<double>("momentum"), 0.0, false});
        data::BatchLoader<T> loader(train, batch, true, static_cast<std::uint64_t>(seed));
        train_tl_run<T>(ctx, run, model, opt, loader, prog, [&](long e, long step) {
            record_tl_accuracy(ctx, model, train, test, MetricSite{ctx.figure, run, "", e, step});
            ctx.metrics->add(run, e, step, "", "test_acc_clean", accuracy(model, split.test));
        });
    }
    prog.finish();
}

// ---- plot: one panel per p (measure: tl_curves, p × epoch × layer arrays from metrics.csv) -------------

void plot_curves(RunContext& ctx, const Settings& st, const TlCurves& m) {
    std::vector<std::string> cols = {"epoch", "train_acc", "test_acc"};
    for (std::size_t l = 1; l <= st.depth; ++l) cols.push_back(fmt::format("tl_L{}", l));
    DatFile dat(cols);
    for (std::size_t i = 0; i < st.ps.size(); ++i) {
        dat.block(st.runs[i]);
        for (std::size_t e = 0; e < m.ne; ++e) {
            std::vector<double> r = {double(e), m.acc(i, e, 0), m.acc(i, e, 1)};
            for (std::size_t l = 0; l < st.depth; ++l) r.push_back(std::max(0.0, m.tl(i, e, l)));
            dat.row(r);
        }
    }
    dat.save(ctx.folder->file("fig12_random_labels.dat"));
    const PanelGrid grid(st.ps.size(), 3);
    std::string body = grid.begin(fmt::format("Fig. 12 ({}): fraction p of labels randomised; TL (clipped at 0) on the noisy "
                                              "training labels, accuracy", ctx.dataset())) +
                       "set xlabel \"epoch\"\nset yrange [0:1]\nset grid\nset key top left font \",9\"\n";
    for (std::size_t i = 0; i < st.ps.size(); ++i)
        body += fmt::format(
            "set title \"p = {}\"\nplot for [l=1:{}] \"fig12_random_labels.dat\" index {} using 1:(column(3+l)) with lines lw 2 "
            "title sprintf(\"TL layer %d\", l), {}\n",
            st.ps[i], st.depth, i, gp_accuracy_curves(static_cast<int>(i)));
    plot(ctx, grid.spec("fig12", body));
}

// ---- summarise -------------------------------------------------------------------------------------------

template <class T>
Summary summarise(const RunContext& ctx, const Settings& st, const data::Dataset<T>& train, const TlCurves& m) {
    const std::size_t last = m.ne - 1;
    Summary s;
    s.images = {"fig12.png"};
    s.setup = fmt::format(
        "{}: labels relabelled uniformly with probability p in train and test (seeded, label_seed {}); {}; TL per hidden layer "
        "(λ = 0, centred one-hot of the noisy training labels, code semantics) on the training set; dtype {}.",
        ctx.dataset(), ctx.get<int>("label_seed"),
        gelu_mlp_setup(ctx, train, fmt::format("SGD lr {}, momentum {}", ctx.get<double>("lr"), ctx.get<double>("momentum"))),
        ctx.config.value("dtype", "float"));
    std::map<double, double> last_tl;
    for (std::size_t i = 0; i < st.ps.size(); ++i) {
        const auto it = kPaper.find(st.ps[i]);
        const bool have = it != kPaper.end();
        last_tl[st.ps[i]] = m.tl(i, last, st.depth - 1);
        std::string ours;
        for (std::size_t l = 0; l < st.depth; ++l) ours += (l ? " / " : "") + fmt_num(m.tl(i, last, l), 2);
        s.rows.push_back({fmt::format("p = {}: TL layers 1/2/3, epoch {} (paper: 200)", st.ps[i], st.epochs), ours,
                          have ? fmt::format("{} / {} / {}", fmt_num(it->second.l1, 2), fmt_num(it->second.l2, 2), fmt_num(it->second.l3, 2)) : "—",
                          have ? kSource : "not in the paper"});
        s.rows.push_back({fmt::format("p = {}: train / test accuracy (noisy labels)", st.ps[i]),
                          fmt_num(m.acc(i, last, 0), 3) + " / " + fmt_num(m.acc(i, last, 1), 3),
                          have ? fmt_num(it->second.train, 2) + " / " + fmt_num(it->second.test, 2) : "—", have ? kSource : "not in the paper"});
    }
    // Claim: last-layer TL decreases as p grows from 0 to 0.5 (over the p values run in that range).
    bool dec = true;
    std::string seq;
    std::size_t low = 0;
    for (auto it = last_tl.begin(); it != last_tl.end() && it->first <= 0.5; ++it, ++low) {
        if (low && !(it->second < std::prev(it)->second)) dec = false;
        seq += (low ? " > " : "") + fmt::format("{} (p={})", fmt_num(it->second, 3), it->first);
    }
    s.claims.push_back({"Last-layer TL at the end decreases as p grows from 0 to 0.5", dec && low >= 2, low >= 2 ? seq : "needs two p values in [0, 0.5]"});
    if (last_tl.count(0.0) && last_tl.count(1.0)) {
        const std::size_t i1 = static_cast<std::size_t>(std::find(st.ps.begin(), st.ps.end(), 1.0) - st.ps.begin());
        const double t0 = m.acc(0, last, 1), t1 = m.acc(i1, last, 1);
        s.claims.push_back({"With every label random (p = 1) the test accuracy is near chance, far below p = 0", t1 < 0.2 && t0 > t1 + 0.3,
                            fmt::format("test acc p=0 {:.3f}, p=1 {:.3f}", t0, t1)});
    }
    s.differences.push_back(fmt::format("{} stands in for CIFAR-10 (not available on this machine); absolute TL and accuracies differ.", ctx.dataset()));
    note_epochs(s, ctx, st.epochs, 200);
    if (st.ps.size() != 6) s.differences.push_back(fmt::format("p ∈ {} instead of {{0, 0.25, 0.5, 0.75, 0.9, 1.0}}.", ctx.config.at("ps").dump()));
    if (train.size() < 50000)
        s.differences.push_back(fmt::format("Trained and measured on a seeded subset of {} training images (full test set).", train.size()));
    s.differences.push_back("The relabelling is seeded (the paper's numpy RNG was not); metrics.csv also has test_acc_clean (accuracy on the true test labels).");
    return s;
}

template <class T>
Summary run_fig12(RunContext& ctx) {
    const Settings st = settings(ctx);
    const data::Split<T> split = load_split<T>(ctx);
    train(ctx, st, split);
    const TlCurves m = tl_curves(ctx, st.runs, st.depth, static_cast<std::size_t>(st.epochs + 1));
    plot_curves(ctx, st, m);
    return summarise(ctx, st, split.train, m);
}

class Fig12 : public Figure {
   public:
    FigureInfo info() const override {
        return {"fig12", "Target Linearity under random labels",
                "per-layer TL and train/test accuracy with a fraction p of labels randomised; last-layer TL falls as p grows",
                {"mnist", "fashion-mnist", "cifar10", "cifar100"},
                {{"smoke", {"mnist"}}, {"quick", {"fashion-mnist"}}, {"paper", {"mnist", "fashion-mnist", "cifar10"}}},
                {{"smoke", "~10 s"}, {"quick", "~1 min"}, {"paper", "~13 h"}}};
    }
    json defaults(const std::string& preset, const std::string&) const override {
        json d = {{"seeds", {0}}, {"ps", {0.0, 0.25, 0.5, 0.75, 0.9, 1.0}}, {"epochs", 200}, {"lr", 0.005}, {"momentum", 0.95},
                  {"batch_size", 64}, {"width", 256}, {"num_hidden", 3}, {"label_seed", 0}, {"train_subset", 0}, {"subset_seed", 0}};
        if (preset == "smoke") d.update({{"ps", {0.0, 1.0}}, {"epochs", 1}, {"train_subset", 1000}});
        if (preset == "quick") d.update({{"ps", {0.0, 0.25, 0.5, 1.0}}, {"epochs", 8}, {"train_subset", 6000}});
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
    Summary run(RunContext& ctx) const override { return ctx.use_double() ? run_fig12<double>(ctx) : run_fig12<float>(ctx); }
};
GT_REGISTER_FIGURE(Fig12);

}  // namespace
}  // namespace gt::experiments
