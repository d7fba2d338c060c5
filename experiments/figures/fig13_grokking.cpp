// Figures 13 and 14: grokking on addition mod 61 (122→256→256→256→61 ReLU MLP, AdamW, 70/30 split) for
// several weight decays. Fig. 13: per-layer Target Linearity (smoothed) and train/test accuracy per
// epoch. Fig. 14: the TL gap (layer 3 − layer 2) against the generalisation error (train − test acc) of
// the same runs; it reuses a finished fig13 run folder with the same settings instead of training again.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "autodiff/autodiff.hpp"
#include "datasets/loader.hpp"
#include "datasets/registry.hpp"
#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/guarded_metrics.hpp"
#include "experiments/hidden_layer_pass.hpp"
#include "experiments/plot.hpp"
#include "experiments/progress.hpp"
#include "experiments/training.hpp"
#include "nn/adam.hpp"
#include "nn/dnn.hpp"
#include "platform/files.hpp"

namespace gt::experiments {
namespace {

// ---- the paper's numbers -------------------------------------------------------------------------------

struct PaperWd {
    double test, l1, l2, l3;  // Fig. 13 at epoch 500: final test accuracy and smoothed TL per layer
    const char* grok;         // Fig. 13: first epoch with test accuracy ≥ 0.95
    const char* gap;          // Fig. 14: TL gap peak → end; generalisation error at the end
};
// Read from the paper's plots.
const std::map<double, PaperWd> kPaper = {{0.0, {0.01, 0.19, 0.29, 0.55, "never", "≈0.26; ≈0.97"}},
                                          {0.25, {0.93, 0.3, 0.5, 0.6, "≈480", "≈0.20 → ≈0.07; ≈0"}},
                                          {0.5, {1.0, 0.23, 0.44, 0.52, "≈250", "≈0.17 → ≈0.09; ≈0"}},
                                          {0.75, {1.0, 0.15, 0.28, 0.47, "≈300", "≈0.14 → ≈0.18; ≈0"}}};

// ---- settings ------------------------------------------------------------------------------------------

struct Settings {
    std::vector<double> wds;
    std::vector<std::string> runs;  // "wd0.5"
    long epochs;
    std::size_t depth, win;
    data::LoadOptions data;
};

Settings settings(const RunContext& ctx) {
    Settings st{ctx.get<std::vector<double>>("weight_decays"), {}, ctx.get<long>("epochs"), ctx.get<std::size_t>("num_hidden"),
                ctx.get<std::size_t>("smooth"), {}};
    st.data.seed = ctx.get<std::uint64_t>("split_seed");
    st.data.modulus = ctx.get<int>("modulus");
    for (double wd : st.wds) st.runs.push_back(fmt::format("wd{}", wd));
    return st;
}

// ---- train: one AdamW run per weight decay (shared by both figures) ------------------------------------

struct DataShape {
    std::size_t in, classes, train_size, test_size;
    bool reused;  // the metrics came from a fig13 run folder
};

/// Fig. 14 reuses a finished fig13 folder of the same preset and settings (same parent folder).
bool reuse_fig13(RunContext& ctx) {
    const fs::path sib = ctx.folder->path().parent_path() / ("fig13-" + ctx.config.value("preset", std::string()));
    if (!fs::exists(sib / "summary.json") || !fs::exists(sib / "config.json") || !fs::exists(sib / "metrics.csv")) return false;
    json other = read_json(sib / "config.json");
    other["figure"] = ctx.config.at("figure");
    if (!first_config_difference(other, ctx.config).empty()) return false;
    MetricsLog src(sib / "metrics.csv");
    src.load();
    for (const auto& r : src.rows()) ctx.metrics->add(r.run, r.epoch, r.step, r.layer, r.metric, r.value);
    ctx.metrics->flush();
    return true;
}

/// Loads addition mod `modulus` and trains every weight decay, unless `reuse` (when given) fills the
/// metrics instead. TL is measured on the whole training set as one batch.
template <class T>
DataShape train(RunContext& ctx, const Settings& st, bool (*reuse)(RunContext&) = nullptr) {
    const data::Split<T> split = data::load<T>("modadd", st.data);
    const std::size_t in = numel(split.train.sample_shape()), classes = split.train.num_classes;
    const DataShape shape{in, classes, split.train.size(), split.test.size(), reuse && reuse(ctx)};
    if (shape.reused) return shape;
    const int seed = ctx.get<std::vector<int>>("seeds").at(0);
    const std::size_t batch = ctx.get<std::size_t>("batch_size"), width = ctx.get<std::size_t>("width");
    nn::AdamOptions ao;
    ao.lr = ctx.get<double>("lr");
    ao.beta1 = ctx.get<double>("beta1");
    ao.beta2 = ctx.get<double>("beta2");
    Progress prog = runs_progress(ctx, ctx.figure + " modadd", st.runs, static_cast<long>((split.train.size() + batch - 1) / batch));
    for (std::size_t i = 0; i < st.wds.size(); ++i) {
        const std::string& run = st.runs[i];
        Rng rng(seed);
        nn::DNN<T> model(in, width, classes, st.depth, true, nn::Activation::ReLU, rng);
        ao.weight_decay = st.wds[i];
        nn::AdamW<T> opt(model.parameters(), ao);
        data::BatchLoader<T> loader(split.train, batch, true, static_cast<std::uint64_t>(seed));
        train_tl_run<T>(ctx, run, model, opt, loader, prog, [&](long e, long step) {
            record_tl_accuracy(ctx, model, split.train, split.test, MetricSite{ctx.figure, run, "", e, step},
                               std::max<std::size_t>(1, split.train.size()));
        }, std::max(1L, ctx.get<long>("checkpoint_every")));
    }
    prog.finish();
    return shape;
}

// ---- measure (shared): TL, accuracies and the smoothed TL from metrics.csv -----------------------------

/// Length-w box filter of max(TL, 0) ending at each epoch (epochs < w − 1 average what exists).
std::vector<double> smooth(const std::vector<double>& v, std::size_t w) {
    std::vector<double> out(v.size());
    double sum = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        sum += std::max(0.0, v[i]);
        if (i >= w) sum -= std::max(0.0, v[i - w]);
        out[i] = sum / static_cast<double>(std::min(i + 1, w));
    }
    return out;
}

double mean_range(const std::vector<double>& v, long a, long b) {  // mean of v[a..b], clamped
    a = std::max(0L, a);
    b = std::min(static_cast<long>(v.size()) - 1, b);
    double s = 0;
    for (long i = a; i <= b; ++i) s += v[i];
    return b >= a ? s / (b - a + 1) : NAN;
}

struct Grok : TlCurves {                               // tl [wd × epoch × layer], acc [wd × epoch × train/test]
    std::vector<std::vector<std::vector<double>>> sm;  // [wd][layer][epoch], smoothed

    double gap(std::size_t i, std::size_t e) const { return sm[i][2][e] - sm[i][1][e]; }  // TL gap L3 − L2
    double gen_error(std::size_t i, std::size_t e) const { return acc(i, e, 0) - acc(i, e, 1); }
    long first_above(std::size_t i, double thr) const {  // first epoch with test accuracy ≥ thr, or −1
        for (std::size_t e = 0; e < ne; ++e)
            if (acc(i, e, 1) >= thr) return static_cast<long>(e);
        return -1L;
    }
    double best_test(std::size_t i) const {
        double mx = 0;
        for (std::size_t e = 0; e < ne; ++e) mx = std::max(mx, acc(i, e, 1));
        return mx;
    }
};

Grok measure(RunContext& ctx, const Settings& st) {
    const std::size_t ne = static_cast<std::size_t>(st.epochs + 1);
    Grok m{tl_curves(ctx, st.runs, st.depth, ne), {}};
    for (std::size_t i = 0; i < st.wds.size(); ++i) {
        m.sm.emplace_back();
        for (std::size_t l = 0; l < st.depth; ++l) {
            std::vector<double> raw;
            for (std::size_t e = 0; e < ne; ++e) raw.push_back(m.tl(i, e, l));
            m.sm[i].push_back(smooth(raw, st.win));
        }
    }
    return m;
}

int index_of(const Settings& st, double wd) {
    const auto it = std::find(st.wds.begin(), st.wds.end(), wd);
    return it == st.wds.end() ? -1 : static_cast<int>(it - st.wds.begin());
}

// ---- plot: one panel per weight decay --------------------------------------------------------------------

/// <fig>_grokking.dat (a block per weight decay) and the multiplot's first lines.
std::string grok_plot_start(RunContext& ctx, const Settings& st, const Grok& m, const PanelGrid& grid, const std::string& title,
                            const char* key) {
    std::vector<std::string> cols = {"epoch", "train_acc", "test_acc"};
    for (std::size_t l = 1; l <= st.depth; ++l) cols.push_back(fmt::format("tl_smooth_L{}", l));
    cols.push_back("tl_gap_L3_L2");
    cols.push_back("gen_error");
    DatFile dat(cols);
    for (std::size_t i = 0; i < st.wds.size(); ++i) {
        dat.block(st.runs[i]);
        for (std::size_t e = 0; e < m.ne; ++e) {
            std::vector<double> r = {double(e), m.acc(i, e, 0), m.acc(i, e, 1)};
            for (std::size_t l = 0; l < st.depth; ++l) r.push_back(m.sm[i][l][e]);
            r.push_back(m.gap(i, e));
            r.push_back(m.gen_error(i, e));
            dat.row(r);
        }
    }
    dat.save(ctx.folder->file(ctx.figure + "_grokking.dat"));
    return grid.begin(fmt::format("Fig. {} (addition mod {}): {}", ctx.figure.substr(3), st.data.modulus, title)) +
           fmt::format("set xlabel \"epoch\"\nset grid\nset key {} font \",9\"\n", key);
}

void plot_fig13(RunContext& ctx, const Settings& st, const Grok& m) {
    const PanelGrid grid(st.wds.size(), 3);
    std::string body = grok_plot_start(ctx, st, m, grid, fmt::format("TL per layer (clipped at 0, box filter {}) and accuracy, AdamW", st.win),
                                       "center right");
    for (std::size_t i = 0; i < st.wds.size(); ++i)
        body += fmt::format(
            "set title \"weight decay {}\"\nset yrange [0:1.02]\nplot for [l=1:{}] \"fig13_grokking.dat\" index {} every ::{} using "
            "1:(column(3+l)) with lines lw 2 title sprintf(\"TL layer %d\", l), {}\n",
            st.wds[i], st.depth, i, st.win - 1, gp_accuracy_curves(static_cast<int>(i)));
    plot(ctx, grid.spec("fig13", body));
}

void plot_fig14(RunContext& ctx, const Settings& st, const Grok& m) {
    const PanelGrid grid(st.wds.size(), 5);
    std::string body = grok_plot_start(ctx, st, m, grid, "TL gap (layer 3 − layer 2, smoothed) vs generalisation error (train − test accuracy)",
                                       "top right");
    for (std::size_t i = 0; i < st.wds.size(); ++i)
        body += fmt::format(
            "set title \"weight decay {}\"\nset yrange [-0.05:1.05]\nset ylabel \"generalisation error\"\nset y2range [*:*]\n"
            "set y2tics\nset y2label \"TL gap\"\nplot \"fig14_grokking.dat\" index {} using 1:{} with lines lw 2 lc rgb \"black\" "
            "title \"train − test acc\", \"\" index {} every ::{} using 1:{} axes x1y2 with lines lw 2 lc rgb \"#d62728\" title \"TL gap L3 − L2\"\n",
            st.wds[i], i, 5 + st.depth, i, st.win - 1, 4 + st.depth);
    plot(ctx, grid.spec("fig14", body));
}

// ---- summarise: shared rows and claims, then each figure's own -----------------------------------------

Summary grok_summary(const RunContext& ctx, const Settings& st, const DataShape& ds) {
    Summary s;
    s.setup = fmt::format(
        "addition mod {}: one_hot(a) ‖ one_hot(b), {}/{} split (seed {}); MLP {}→{}×{}→{}, ReLU, bias; AdamW lr {}, betas ({}, {}), "
        "weight decay ∈ {}, batch {}, {} epochs, seed {}; TL per hidden layer (centred one-hot, code semantics) on the training "
        "set at init and after every epoch, plotted clipped at 0 and box-filtered over {} epochs (trailing); dtype {}.{}",
        st.data.modulus, ds.train_size, ds.test_size, st.data.seed, ds.in, ctx.get<std::size_t>("width"), st.depth, ds.classes,
        ctx.get<double>("lr"), ctx.get<double>("beta1"), ctx.get<double>("beta2"), ctx.config.at("weight_decays").dump(),
        ctx.get<std::size_t>("batch_size"), st.epochs, ctx.get<std::vector<int>>("seeds").at(0), st.win,
        ctx.config.value("dtype", "float"), ds.reused ? " Metrics taken from the fig13 run folder with the same settings." : "");
    s.images = {ctx.figure + ".png"};
    return s;
}

const PaperWd* paper_at(double wd) {
    const auto it = kPaper.find(wd);
    return it == kPaper.end() ? nullptr : &it->second;
}

/// The final accuracies and the grokking epoch of weight decay i.
void add_accuracy_rows(Summary& s, const Settings& st, const Grok& m, std::size_t i) {
    const PaperWd* paper = paper_at(st.wds[i]);
    const std::string src = paper ? "read from the paper's plot" : "not plotted in the paper";
    const long g = m.first_above(i, 0.95);
    s.rows.push_back({fmt::format("wd {}: train / test accuracy, epoch {} (paper: 500)", st.wds[i], st.epochs),
                      fmt_num(m.acc(i, m.ne - 1, 0), 3) + " / " + fmt_num(m.acc(i, m.ne - 1, 1), 3),
                      paper ? fmt::format("1 / {}", fmt_num(paper->test, 2)) : "—", src});
    s.rows.push_back({fmt::format("wd {}: first epoch with test accuracy ≥ 0.95", st.wds[i]), g >= 0 ? std::to_string(g) : "not reached",
                      paper ? paper->grok : "—", src});
}

ClaimCheck grok_claim(const Settings& st, const Grok& m, std::size_t i5) {
    const long g = m.first_above(i5, 0.95);
    return {fmt::format("Weight decay 0.5 groks: test accuracy ≥ 0.95 within {} epochs", st.epochs), g >= 0,
            g >= 0 ? fmt::format("first at epoch {}", g) : fmt::format("best test accuracy {:.3f}", m.best_test(i5))};
}

ClaimCheck memorise_claim(const Grok& m, std::size_t i0) {
    const double mx = m.best_test(i0), train = m.acc(i0, m.ne - 1, 0);
    return {"Without weight decay the net memorises but does not generalise (train acc 1, test acc < 0.1 throughout)",
            train > 0.99 && mx < 0.1, fmt::format("train {:.3f}, best test {:.3f}", train, mx)};
}

/// The setup differences; `own` follows the epochs note.
void add_differences(Summary& s, const RunContext& ctx, const Settings& st, const Grok& m, const std::vector<std::string>& own) {
    bool any_grok = false;
    for (std::size_t i = 0; i < st.wds.size(); ++i) any_grok = any_grok || (st.wds[i] > 0 && m.first_above(i, 0.95) >= 0);
    if (!any_grok)
        s.differences.push_back(fmt::format("No weight decay reached test accuracy 0.95 within this preset's {} epochs: grokking "
                                            "needs ≈250–480 epochs here as in the paper; run --preset paper to see it.", st.epochs));
    note_epochs(s, ctx, st.epochs, 500);
    s.differences.insert(s.differences.end(), own.begin(), own.end());
    s.differences.push_back("Split and initialisation come from our seeded RNG, not sklearn's/PyTorch's: same protocol, different draws.");
    s.differences.push_back("Smoothing: trailing box filter (the first epochs average what exists); the paper's np.convolve 'valid' drops them.");
}

Summary summarise_fig13(const RunContext& ctx, const Settings& st, const DataShape& ds, const Grok& m) {
    Summary s = grok_summary(ctx, st, ds);
    for (std::size_t i = 0; i < st.wds.size(); ++i) {
        const PaperWd* paper = paper_at(st.wds[i]);
        std::string ours;
        for (std::size_t l = 0; l < 3; ++l) ours += (l ? " / " : "") + fmt_num(m.sm[i][l][m.ne - 1], 2);
        s.rows.push_back({fmt::format("wd {}: smoothed TL layers 1/2/3, epoch {}", st.wds[i], st.epochs), ours,
                          paper ? fmt::format("{} / {} / {}", fmt_num(paper->l1, 2), fmt_num(paper->l2, 2), fmt_num(paper->l3, 2)) : "—",
                          paper ? "read from the paper's plot" : "not plotted in the paper"});
        add_accuracy_rows(s, st, m, i);
    }
    const int i0 = index_of(st, 0.0), i5 = index_of(st, 0.5);
    if (i5 >= 0) {
        s.claims.push_back(grok_claim(st, m, i5));
        const long g = m.first_above(i5, 0.95);
        if (g >= 0) {
            // Layer-2 TL around the grokking epoch: raw TL (clipped) over 10 epochs before vs 10 epochs after.
            std::vector<double> l2;
            for (std::size_t e = 0; e < m.ne; ++e) l2.push_back(std::max(0.0, m.tl(i5, e, 1)));
            const long g50 = std::max(0L, m.first_above(i5, 0.5));
            const double before = mean_range(l2, g50 - 30, g50 - 20), after = mean_range(l2, g + 10, g + 20);
            s.claims.push_back({"TL of layer 2 rises around the grokking epoch (wd 0.5)", after > before + 0.02,
                                fmt::format("layer-2 TL {:.3f} (epochs {}–{}) → {:.3f} (epochs {}–{}); test acc passes 0.5 at {}, 0.95 at {}",
                                            before, std::max(0L, g50 - 30), std::max(0L, g50 - 20), after, g + 10,
                                            std::min<long>(g + 20, st.epochs), g50, g)});
        }
    }
    if (i0 >= 0) s.claims.push_back(memorise_claim(m, i0));
    add_differences(s, ctx, st, m, {});
    return s;
}

Summary summarise_fig14(const RunContext& ctx, const Settings& st, const DataShape& ds, const Grok& m) {
    Summary s = grok_summary(ctx, st, ds);
    const std::size_t last = m.ne - 1;
    for (std::size_t i = 0; i < st.wds.size(); ++i) {
        const PaperWd* paper = paper_at(st.wds[i]);
        add_accuracy_rows(s, st, m, i);
        double gap_peak = -1;
        for (std::size_t e = st.win - 1; e < m.ne; ++e) gap_peak = std::max(gap_peak, m.gap(i, e));
        s.rows.push_back({fmt::format("wd {}: TL gap (L3 − L2) peak → end; generalisation error at the end", st.wds[i]),
                          fmt::format("{} → {}; {}", fmt_num(gap_peak, 2), fmt_num(m.gap(i, last), 2), fmt_num(m.gen_error(i, last), 2)),
                          paper ? paper->gap : "—", paper ? "read from the paper's plot (1000-epoch axis)" : "not plotted in the paper"});
    }
    const int i0 = index_of(st, 0.0), i5 = index_of(st, 0.5);
    if (i5 >= 0) {
        s.claims.push_back(grok_claim(st, m, i5));
        // Pearson correlation over epochs of the TL gap and the generalisation error.
        std::vector<double> gap, gen;
        for (std::size_t e = st.win - 1; e < m.ne; ++e) {
            gap.push_back(m.gap(i5, e));
            gen.push_back(m.gen_error(i5, e));
        }
        const double mg = mean_of(gap), mr = mean_of(gen);
        double sxy = 0, sxx = 0, syy = 0;
        for (std::size_t k = 0; k < gap.size(); ++k) {
            sxy += (gap[k] - mg) * (gen[k] - mr);
            sxx += (gap[k] - mg) * (gap[k] - mg);
            syy += (gen[k] - mr) * (gen[k] - mr);
        }
        const double rho = sxy / std::sqrt(sxx * syy + 1e-300);
        s.claims.push_back({"With wd 0.5 the TL gap falls together with the generalisation error (Pearson ρ > 0.5 over epochs)", rho > 0.5,
                            fmt::format("ρ = {:.3f} over epochs {}–{}", rho, st.win - 1, st.epochs)});
    }
    if (i0 >= 0) {
        s.claims.push_back(memorise_claim(m, i0));
        s.claims.push_back({"Without weight decay the TL gap stays large (> 0.1) while the generalisation error stays ≈ 1", m.gap(i0, last) > 0.1,
                            fmt::format("gap {:.3f}, generalisation error {:.3f}", m.gap(i0, last), m.gen_error(i0, last))});
    }
    add_differences(s, ctx, st, m, {"The paper's Figure 14 axis runs to 1000 epochs although its code trains 500."});
    return s;
}

// ---- the two figures: one config, one set of runs ------------------------------------------------------

/// What Fig. 13 and Fig. 14 do differently: Fig. 14 may reuse fig13's runs and plots and sums up its own.
struct GrokVariant {
    FigureInfo info;
    bool (*reuse)(RunContext&);
    void (*plot)(RunContext&, const Settings&, const Grok&);
    Summary (*summarise)(const RunContext&, const Settings&, const DataShape&, const Grok&);
};

class GrokFigure : public Figure {
   public:
    explicit GrokFigure(GrokVariant v) : v_(std::move(v)) {}
    FigureInfo info() const override { return v_.info; }
    Summary run(RunContext& ctx) const override {
        const Settings st = settings(ctx);
        const DataShape ds = ctx.use_double() ? train<double>(ctx, st, v_.reuse) : train<float>(ctx, st, v_.reuse);
        const Grok m = measure(ctx, st);
        v_.plot(ctx, st, m);
        return v_.summarise(ctx, st, ds, m);
    }
    json defaults(const std::string& preset, const std::string&) const override {
        json d = {{"seeds", {0}}, {"weight_decays", {0.0, 0.25, 0.5, 0.75, 1.0}}, {"epochs", 500}, {"lr", 0.001}, {"beta1", 0.9},
                  {"beta2", 0.98}, {"batch_size", 32}, {"width", 256}, {"num_hidden", 3}, {"modulus", 61}, {"split_seed", 0},
                  {"smooth", 20}, {"checkpoint_every", 10}, {"dtype", "double"}};  // float64 as the paper's code
        if (preset == "smoke") d.update({{"weight_decays", {0.0, 0.5}}, {"epochs", 3}, {"smooth", 2}, {"checkpoint_every", 1}});
        // quick: memorisation, the rising TL and the grokking jump (wd 0.5: ≈ epoch 185 here)
        if (preset == "quick") d.update({{"weight_decays", {0.0, 0.5}}, {"epochs", 250}});
        return d;
    }
    void check(const json& c) const override {
        for (double wd : c.at("weight_decays").get<std::vector<double>>())
            if (!(wd >= 0.0 && wd < 100.0))
                throw UsageError(fmt::format("config 'weight_decays': {} is not in [0, 100)", wd));
        if (c.at("weight_decays").empty()) throw UsageError("config 'weight_decays': [] (expected at least one weight decay)");
        const long depth = c.at("num_hidden").get<long>();
        if (depth < 3 || depth > 64)
            throw UsageError(fmt::format("config 'num_hidden': {} (expected 3 to 64: the TL gap needs at least 3 hidden layers)", depth));
        for (const char* k : {"width", "modulus", "smooth", "checkpoint_every"})
            if (c.at(k).get<long>() < 1) throw UsageError(fmt::format("config '{}': {} (expected an integer >= 1)", k, c.at(k).dump()));
        if (c.at("modulus").get<long>() < 2) throw UsageError(fmt::format("config 'modulus': {} (expected an integer >= 2)", c.at("modulus").dump()));
    }

   private:
    GrokVariant v_;
};

const bool gt_registered_fig13 = register_figure(std::make_unique<GrokFigure>(GrokVariant{
    {"fig13", "Grokking: layer-wise TL and accuracy",
     "addition mod 61 with AdamW weight decay: test accuracy jumps late (grokking) while layer-2 TL rises", {}, {},
     {{"smoke", "~5 s"}, {"quick", "~4 min"}, {"paper", "~25 min"}}},
    nullptr, plot_fig13, summarise_fig13}));
const bool gt_registered_fig14 = register_figure(std::make_unique<GrokFigure>(GrokVariant{
    {"fig14", "Grokking: TL gap vs generalisation error",
     "TL(layer 3) − TL(layer 2) tracks train − test accuracy on addition mod 61 (reuses fig13's runs)", {}, {},
     {{"smoke", "~5 s"}, {"quick", "~1 s after fig13"}, {"paper", "~1 s after fig13"}}},
    reuse_fig13, plot_fig14, summarise_fig14}));

}  // namespace
}  // namespace gt::experiments
