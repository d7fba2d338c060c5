// Figure 2: Gram whitening vs plain SGD on a d→256→256→C GELU MLP: test accuracy per epoch, mean and
// band over seeds, plus the per-layer Gram deviation of the whitened step.
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "autodiff/autodiff.hpp"
#include "datasets/loader.hpp"
#include "experiments/figure.hpp"
#include "experiments/io.hpp"
#include "experiments/plot.hpp"
#include "experiments/progress.hpp"
#include "experiments/training.hpp"
#include "nn/dnn.hpp"
#include "nn/gram_whiten.hpp"
#include "nn/sgd.hpp"

namespace gt::experiments {
namespace {

struct PaperAcc {
    double orig_first, orig_final, whiten_first, whiten_final;
};
// Read from the paper's Figure 2 (epoch 1 and epoch 20).
const std::map<std::string, PaperAcc> kPaper = {
    {"mnist", {0.941, 0.982, 0.933, 0.979}},
    {"cifar10", {NAN, 0.475, NAN, 0.51}},
    {"cifar100", {NAN, 0.263, NAN, 0.249}},
};

template <class T>
Summary run_fig2(RunContext& ctx) {
    const auto seeds = ctx.get<std::vector<int>>("seeds");
    const long epochs = ctx.get<long>("epochs");
    const double lr = ctx.get<double>("lr"), momentum = ctx.get<double>("momentum");
    const std::size_t batch = ctx.get<std::size_t>("batch_size"), width = ctx.get<std::size_t>("width");
    const data::Split<T> split = load_split<T>(ctx);
    const std::size_t in = numel(split.train.sample_shape()), classes = split.train.num_classes;
    const std::vector<std::string> methods = {"orig", "whiten"};

    // acc[method][seed index][epoch]
    std::map<std::string, std::vector<std::vector<double>>> acc;
    std::map<std::string, std::vector<std::vector<double>>> dev;  // whiten: [layer][epoch] mean over seeds
    const long steps_per_epoch = static_cast<long>((split.train.size() + batch - 1) / batch);
    long done = 0;
    for (int s : seeds)
        for (const auto& m : methods) done += epochs_done(ctx, fmt::format("seed{}/{}", s, m)) * steps_per_epoch;
    Progress prog("fig2 " + ctx.dataset(), static_cast<long>(seeds.size() * methods.size()) * epochs * steps_per_epoch, done);
    std::size_t num_layers = 0;

    for (std::size_t si = 0; si < seeds.size(); ++si) {
        for (const auto& method : methods) {
            const int seed = seeds[si];
            const std::string run = fmt::format("seed{}/{}", seed, method);
            Rng rng(seed);
            nn::DNN<T> model(in, width, classes, 2, true, nn::Activation::GELU, rng);
            const auto params = model.parameters();
            std::unique_ptr<nn::Optimizer<T>> opt = std::make_unique<nn::SGD<T>>(params, nn::SGDOptions{lr, momentum, 0.0, false});
            nn::GramWhiten<T>* wh = nullptr;
            if (method == "whiten") {
                auto w = std::make_unique<nn::GramWhiten<T>>(std::move(opt));
                wh = w.get();
                opt = std::move(w);
            }
            data::BatchLoader<T> loader(split.train, batch, true, static_cast<std::uint64_t>(seed));
            const std::string tag = fmt::format("seed{}_{}", seed, method);
            const long start_epoch = start_or_resume<T>(ctx, run, tag, params, opt.get(), loader, [&] {
                ctx.metrics->add(run, 0, 0, "", "test_acc", accuracy(model, split.test));
            });
            Tape<T> tape;
            long step = start_epoch * steps_per_epoch;
            for (long e = start_epoch + 1; e <= epochs; ++e) {
                std::vector<double> dev_sum;
                long nb = 0;
                auto add_deviation = [&] {  // the whitened step's Gram deviation, averaged over the epoch
                    ++nb;
                    if (!wh) return;
                    const auto& d = wh->gram_deviation();
                    dev_sum.resize(d.size(), 0.0);
                    for (std::size_t k = 0; k < d.size(); ++k) dev_sum[k] += d[k];
                };
                const double loss = train_classifier_epoch<T>(model, *opt, loader, tape, {"fig2", run, "", e, -1}, step,
                                                              prog, add_deviation);
                ctx.metrics->add(run, e, step, "", "train_loss", loss);
                ctx.metrics->add(run, e, step, "", "test_acc", accuracy(model, split.test));
                for (std::size_t k = 0; k < dev_sum.size(); ++k)
                    ctx.metrics->add(run, e, step, static_cast<int>(k), "gram_deviation", dev_sum[k] / nb);
                finish_epoch<T>(ctx, run, tag, params, opt.get(), loader, e);
            }
            std::vector<double> a;
            for (const auto& [ep, v] : ctx.metrics->series(run, "test_acc")) a.push_back(v);
            acc[method].push_back(a);
            if (wh) num_layers = wh->whitened_names().size();
        }
    }
    prog.finish();

    // Deviation per layer per epoch (mean over seeds).
    std::vector<std::vector<double>> devs(num_layers, std::vector<double>(epochs, 0.0));
    for (std::size_t k = 0; k < num_layers; ++k)
        for (int s : seeds) {
            const auto ser = ctx.metrics->series(fmt::format("seed{}/whiten", s), "gram_deviation", std::to_string(k));
            for (const auto& [ep, v] : ser)
                if (ep >= 1 && ep <= epochs) devs[k][ep - 1] += v / seeds.size();
        }

    // Arrays and plot data.
    for (const auto& m : methods) {
        Tensor<double> arr = Tensor<double>::from_shape({seeds.size(), static_cast<std::size_t>(epochs + 1)});
        for (std::size_t si = 0; si < seeds.size(); ++si)
            for (long e = 0; e <= epochs; ++e) arr(si, e) = acc[m][si].at(e);
        save_npy(ctx.folder->file("test_acc_" + m + ".npy"), arr);
    }
    DatFile dat({"epoch", "orig_mean", "orig_lo", "orig_hi", "whiten_mean", "whiten_lo", "whiten_hi"});
    auto col = [&](const std::string& m, long e) {
        std::vector<double> v;
        for (const auto& r : acc[m]) v.push_back(r.at(e));
        return v;
    };
    for (long e = 0; e <= epochs; ++e) {
        const auto o = col("orig", e), w = col("whiten", e);
        const double mo = mean_of(o), so = std_of(o), mw = mean_of(w), sw = std_of(w);
        dat.row({double(e), mo, mo - so, mo + so, mw, mw - sw, mw + sw});
    }
    dat.save(ctx.folder->file("fig2_test_acc.dat"));
    DatFile ddat({"epoch", "layer", "gram_deviation"});
    for (std::size_t k = 0; k < num_layers; ++k) {
        ddat.block(fmt::format("layer {}", k));
        for (long e = 0; e < epochs; ++e) ddat.row({double(e + 1), double(k), devs[k][e]});
    }
    ddat.save(ctx.folder->file("fig2_gram_deviation.dat"));

    const std::string ds = ctx.dataset();
    std::string body = fmt::format(
        "set multiplot layout 1,2 title \"Fig. 2 ({}): whitened update vs standard SGD, {} seed(s), band = mean ± std\"\n"
        "set xlabel \"epoch\"\nset ylabel \"test accuracy\"\nset key bottom right\nset grid\n"
        "set title \"test accuracy\"\nset xrange [0.8:{}]\nset autoscale y\n"
        "plot \"fig2_test_acc.dat\" every ::1 using 1:3:4 with filledcurves fs transparent solid 0.2 noborder lc rgb \"#1f77b4\" notitle, "
        "\"\" every ::1 using 1:2 with linespoints dt 2 lw 2 pt 7 ps 0.6 lc rgb \"#1f77b4\" title \"Original (SGD)\", "
        "\"\" every ::1 using 1:6:7 with filledcurves fs transparent solid 0.2 noborder lc rgb \"#d62728\" notitle, "
        "\"\" every ::1 using 1:5 with linespoints lw 2 pt 7 ps 0.6 lc rgb \"#d62728\" title \"Whiten\"\n"
        "set title \"whitened step: relative Gram deviation per layer\"\nset ylabel \"||W^TW - W̃^TW̃||_F / ||W̃^TW̃||_F\"\n"
        "set logscale y\nset format y \"10^{{%L}}\"\nset key top right\n"
        "plot for [k=0:{}] \"fig2_gram_deviation.dat\" index k using 1:3 with linespoints lw 2 pt 7 ps 0.6 title sprintf(\"layers.%d.weight\", k)\n"
        "unset multiplot",
        ds, seeds.size(), epochs + 0.2, num_layers - 1);
    plot(ctx, {"fig2.png", "fig2.gp", 1500, 600, body});

    // Summary.
    Summary s;
    s.setup = fmt::format("{}: MLP {}→{}→{}→{}, GELU, bias, PyTorch-default init from our RNG; SGD lr {}, momentum {}, batch {}, "
                          "{} epochs, {} training samples, seeds {}; whitening: polar factor by 10 Newton–Schulz steps; dtype {}.",
                          ds, in, width, width, classes, lr, momentum, batch, epochs, split.train.size(),
                          ctx.config.at("seeds").dump(), ctx.config.value("dtype", "float"));
    s.images = {"fig2.png"};
    const auto it = kPaper.find(ds);
    const bool have = it != kPaper.end();
    const std::string src = have ? "read from the paper's plot" : "not in the paper";
    auto pnum = [&](double v) { return have && std::isfinite(v) ? fmt_num(v, 3) : std::string("—"); };
    s.rows.push_back({"test acc, epoch 1, Original", mean_pm(col("orig", 1)), pnum(have ? it->second.orig_first : NAN), src});
    s.rows.push_back({"test acc, epoch 1, Whiten", mean_pm(col("whiten", 1)), pnum(have ? it->second.whiten_first : NAN), src});
    s.rows.push_back({fmt::format("test acc, epoch {} (paper: 20), Original", epochs), mean_pm(col("orig", epochs)),
                      pnum(have ? it->second.orig_final : NAN), src});
    s.rows.push_back({fmt::format("test acc, epoch {} (paper: 20), Whiten", epochs), mean_pm(col("whiten", epochs)),
                      pnum(have ? it->second.whiten_final : NAN), src});
    double maxdev = 0;
    std::string devtxt;
    for (std::size_t k = 0; k < num_layers; ++k) {
        double m = 0;
        for (double v : devs[k]) m = std::max(m, v);
        maxdev = std::max(maxdev, m);
        devtxt += (k ? ", " : "") + fmt::format("L{} {}", k, fmt_num(m, 2));
    }
    s.rows.push_back({"largest per-epoch mean relative Gram deviation of the whitened step", devtxt, "— (O(γ²) by construction)", "paper §2"});
    const double fo = mean_of(col("orig", epochs)), fw = mean_of(col("whiten", epochs));
    s.claims.push_back({"Whitened update matches or exceeds standard SGD (final mean test accuracy within 0.01 or higher)",
                        fw >= fo - 0.01, fmt::format("whiten {:.4f} vs original {:.4f}", fw, fo)});
    s.claims.push_back({"The whitened step keeps the plain step's Gram (relative deviation < 1e-2 in every layer)",
                        maxdev < 1e-2, devtxt});
    s.differences.push_back("Seeds drive our RNG, not PyTorch's: same protocol, different draws.");
    if (ds == "fashion-mnist")
        s.differences.push_back("Fashion-MNIST stands in for SVHN/CIFAR-10 (not available on this machine); the paper has no Fashion-MNIST curve.");
    if (epochs != 20 || seeds.size() != 5)
        s.differences.push_back(fmt::format("{} epochs and {} seed(s) instead of 20 epochs and 5 seeds (preset {}).", epochs, seeds.size(),
                                            ctx.config.value("preset", "")));
    if (split.train.size() < 50000)
        s.differences.push_back(fmt::format("Trained on a seeded subset of {} training images (full test set).", split.train.size()));
    s.differences.push_back("Momentum 0.95 (0.8 for CIFAR-100) as the code comment says and the MNIST curve confirms; the code passes 0.85 (use --momentum 0.85).");
    s.differences.push_back("Band: ±1 std over seeds (the caption); the notebook draws ±2 std.");
    return s;
}

class Fig2 : public Figure {
   public:
    FigureInfo info() const override {
        FigureInfo i;
        i.id = "fig2";
        i.title = "Gram whitening vs plain SGD (MLP)";
        i.shows = "test accuracy of the whitened (Gram-altering) update vs standard SGD, mean ± std over seeds";
        i.datasets = {"mnist", "fashion-mnist", "cifar10", "cifar100", "svhn"};
        i.preset_datasets = {{"smoke", {"mnist"}}, {"quick", {"mnist", "fashion-mnist"}},
                             {"paper", {"mnist", "fashion-mnist", "cifar10", "cifar100", "svhn"}}};
        i.estimate = {{"smoke", "~5 s"}, {"quick", "~70 s per dataset"}, {"paper", "~45 min per dataset"}};
        return i;
    }
    json defaults(const std::string& preset, const std::string& dataset) const override {
        json d = {{"seeds", {0, 1, 2, 3, 4}}, {"epochs", 20}, {"lr", 0.01}, {"momentum", dataset == "cifar100" ? 0.8 : 0.95},
                  {"batch_size", 64}, {"width", 256}, {"train_subset", 0}, {"subset_seed", 0}};
        if (preset == "smoke") {
            d["seeds"] = {0};
            d["epochs"] = 1;
            d["train_subset"] = 2000;
        } else if (preset == "quick") {
            d["seeds"] = {0, 1};
            d["epochs"] = 4;
            d["train_subset"] = 10000;
        }
        return d;
    }
    Summary run(RunContext& ctx) const override {
        return ctx.use_double() ? run_fig2<double>(ctx) : run_fig2<float>(ctx);
    }
};
GT_REGISTER_FIGURE(Fig2);

}  // namespace
}  // namespace gt::experiments
