// Figures 5 and 10: the paper's MLP β-VAE. Per β and epoch: train/validation reconstruction error
// (per-sample BCE sum) and the Target Linearity of μ w.r.t. the column-centred pixels (code semantics:
// row-mean denominator) on a fixed seeded training subset. Fig. 5: decoded latent interpolations
// between the first test images of two classes, one row per β, from the best-validation-loss weights.
// Fig. 10: TL and reconstruction error over epochs per β, and decoded test images; it reuses the β runs
// of a finished fig5 folder with the same training settings.
#include <algorithm>
#include <climits>
#include <cmath>

#include <fmt/format.h>
#include <xtensor/xview.hpp>

#include "autodiff/autodiff.hpp"
#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/guarded_metrics.hpp"
#include "experiments/plot.hpp"
#include "experiments/training.hpp"
#include "nn/adam.hpp"
#include "nn/losses.hpp"
#include "nn/vae.hpp"
#include "platform/files.hpp"

namespace gt::experiments {
namespace {

/// The paper's numbers per dataset and β, read from its plots: Figure 10's TL of μ (MNIST epoch 10,
/// CIFAR-10 epoch 30) and validation reconstruction error ("" = none), Figure 5's row label (TL of μ at
/// the best epoch; NaN = none).
struct PaperBeta {
    double tl;
    const char* recon;
    double fig5_label;
};
const std::map<std::string, std::map<double, PaperBeta>> kPaper = {
    {"mnist", {{0.05, {0.61, "≈82", 0.61}}, {0.1, {0.605, "", NAN}}, {0.5, {0.59, "", NAN}}, {1.0, {0.577, "", 0.58}},
               {5.0, {0.53, "", NAN}}, {10.0, {0.51, "≈183", 0.51}}}},
    {"cifar10", {{0.05, {0.71, "≈1780", NAN}}, {0.1, {0.71, "", NAN}}, {0.5, {0.685, "", NAN}}, {1.0, {0.667, "", NAN}},
                 {5.0, {0.562, "", NAN}}, {10.0, {0.517, "≈1900", NAN}}}}};

const PaperBeta* paper(const std::string& ds, double beta) {
    const auto d = kPaper.find(ds);
    return d == kPaper.end() || !d->second.count(beta) ? nullptr : &d->second.at(beta);
}

/// The β runs' curves (runs in config order), as the plots, rows and claims read them.
struct Curves {
    std::vector<double> betas, best_tl, final_tl, final_val;
    Tensor<double> arr;                // β × epoch × (tl_mu, train_recon (NaN at 0), val_recon)
    std::vector<std::size_t> by_beta;  // run indices in ascending β
};

/// The claims, checked on the final epoch: verdict and the numbers behind it.
struct VaeClaim {
    const char* claim;
    std::pair<bool, std::string> (*check)(const Curves&);
};
const VaeClaim kTlFalls = {"TL of μ at the final epoch decreases as β grows", [](const Curves& c) {
    bool falls = c.by_beta.size() >= 2;
    std::string seq;
    for (std::size_t k = 0; k < c.by_beta.size(); ++k) {
        const std::size_t i = c.by_beta[k];
        falls = falls && (k == 0 || c.final_tl[i] < c.final_tl[c.by_beta[k - 1]]);
        seq += (k ? " > " : "") + fmt::format("{} (β={})", fmt_num(c.final_tl[i], 3), c.betas[i]);
    }
    return std::pair{falls, seq};
}};
const VaeClaim kReconGrows = {"Validation reconstruction error grows with β (smallest β vs largest)", [](const Curves& c) {
    const std::size_t a = c.by_beta.front(), b = c.by_beta.back();
    return std::pair{c.final_val[a] < c.final_val[b],
                     fmt::format("{:.1f} (β={}) vs {:.1f} (β={})", c.final_val[a], c.betas[a], c.final_val[b], c.betas[b])};
}};

std::string beta_name(double b) { return fmt::format("beta{}", b); }

/// Σ over n elements of PyTorch's BCE (log clamped at −100) of recon r against target x.
template <class R, class X>
double bce_sum(const R* r, const X* x, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double p = r[i], t = x[i];
        s -= t * std::max(std::log(p), -100.0) + (1 - t) * std::max(std::log1p(-p), -100.0);
    }
    return s;
}

/// f(first row, rows) over d in batches of 1000, on a tape without gradients.
template <class T, class F>
void batches_of_1000(const data::Dataset<T>& d, Tape<T>& tape, const F& f) {
    NoGradGuard<T> guard(tape);
    const auto flat = xt::reshape_view(d.x, {d.size(), numel(d.sample_shape())});
    for (std::size_t s = 0; s < d.size(); s += 1000) {
        tape.reset();
        f(s, Tensor<T>(xt::view(flat, xt::range(s, std::min<std::size_t>(s + 1000, d.size())), xt::all())));
    }
}

/// Validation reconstruction error (per-sample BCE sum) and loss (recon + β·KL), z sampled as in the
/// paper's eval, from a fixed generator so that the numbers are reproducible.
template <class T>
std::pair<double, double> evaluate(nn::VAE<T>& vae, const data::Dataset<T>& d, double beta, std::uint64_t seed) {
    Tape<T> tape;
    Rng rng(seed);
    double rec = 0, kl = 0;
    batches_of_1000(d, tape, [&](std::size_t, const Tensor<T>& x) {
        const auto o = vae.forward(tape, tape.input(x), rng);
        rec += bce_sum(o.recon.value().data(), x.data(), x.size());
        kl += static_cast<double>(nn::gaussian_kl_loss(o.mu, o.logvar).item()) * x.shape()[0];
    });
    return {rec / d.size(), (rec + beta * kl) / d.size()};
}

/// The β runs of a figure, trained here or taken from fig5, and the data they are measured on.
template <class T>
struct VaeRuns {
    data::Split<T> split;
    data::Dataset<T> sub;        // the fixed TL subset
    Tensor<double> yc;           // its column-centred pixels
    std::vector<double> reused;  // βs whose runs come from the fig5 folder
    Curves c;
};

/// TL of μ on the TL subset; a failure names the site (figure, β run, layer "mu", epoch, step).
template <class T>
double mu_tl(nn::VAE<T>& vae, const VaeRuns<T>& r, const MetricSite& site) {
    Tape<T> tape;
    Tensor<double> h = Tensor<double>::from_shape({r.sub.size(), vae.latent_dim()});
    batches_of_1000(r.sub, tape, [&](std::size_t s, const Tensor<T>& x) {
        const Tensor<T>& mu = vae.encode(tape, tape.input(x)).first.value();
        std::copy(mu.begin(), mu.end(), h.data() + s * vae.latent_dim());
    });
    return tl_at(site, h, r.yc).tl;
}

/// Trains one β (resumable per epoch); keeps the best-validation-loss weights as state "<run>_best".
template <class T>
void train_beta(RunContext& ctx, const std::string& fig, const VaeRuns<T>& r, double beta, Progress& prog) {
    const int seed = ctx.get<std::vector<int>>("seeds").at(0);
    const std::string run = beta_name(beta);
    Rng init(seed);
    nn::VAE<T> vae(numel(r.split.train.sample_shape()), init);
    const auto params = vae.parameters();
    nn::AdamOptions ao;
    ao.lr = ctx.get<double>("lr");
    nn::Adam<T> opt(params, ao);
    data::BatchLoader<T> loader(r.split.train, ctx.get<std::size_t>("batch_size"), true, static_cast<std::uint64_t>(seed));
    const long start = start_or_resume<T>(ctx, run, run, params, &opt, &loader, [&] {
        ctx.metrics->add(run, 0, 0, "", "val_recon", evaluate(vae, r.split.test, beta, seed).first);
        ctx.metrics->add(run, 0, 0, "", "tl_mu", mu_tl(vae, r, {fig, run, "mu", 0, 0}));
        ctx.metrics->flush();
    });
    double best = INFINITY;  // the best validation loss so far (from the metrics on a resume)
    for (const auto& [e, v] : ctx.metrics->series(run, "val_loss")) best = std::min(best, v);
    Tape<T> tape;
    long step = start * static_cast<long>(loader.num_batches());
    for (long e = start + 1; e <= ctx.get<long>("epochs"); ++e) {
        Rng noise(static_cast<std::uint64_t>(seed) + 7919 + static_cast<std::uint64_t>(e - 1));  // z: a seed per epoch
        double rec_sum = 0;
        std::size_t seen = 0;
        const nn::StepHooks<T> hooks{{}, [&](long s, double loss) { prog.tick(e, s, loss); }};
        auto loss = [&](Tape<T>& tp, const Tensor<T>& x, const Labels&) {
            const auto o = vae.forward(tp, tp.input(x), noise);
            rec_sum += bce_sum(o.recon.value().data(), x.data(), o.recon.value().size());
            seen += x.shape()[0];
            return nn::vae_loss(o.recon, o.x, o.mu, o.logvar, static_cast<T>(beta));
        };
        nn::train_epoch(loader, tape, opt, loss, {step_label(fig, run), e}, step, hooks);
        const auto [vrec, vloss] = evaluate(vae, r.split.test, beta, seed + e);
        ctx.metrics->add(run, e, step, "", "train_recon", rec_sum / seen);
        ctx.metrics->add(run, e, step, "", "val_recon", vrec);
        ctx.metrics->add(run, e, step, "", "val_loss", vloss);
        ctx.metrics->add(run, e, step, "", "tl_mu", mu_tl(vae, r, {fig, run, "mu", e, step}));
        if (vloss < best) nn::save_state<T>(ctx.folder->checkpoint_dir(), run + "_best", params, nullptr, {{"epoch", e}});
        best = std::min(best, vloss);
        finish_epoch<T>(ctx, run, run, params, &opt, &loader, e);
    }
}

/// The fig5 run folder beside a fig10 folder (same preset and dataset).
fs::path fig5_sibling(const RunContext& ctx) {
    return ctx.folder->path().parent_path() / fmt::format("fig5-{}-{}", ctx.config.value("preset", std::string()), ctx.dataset());
}

/// fig10 takes the finished β runs of the fig5 folder beside it when the training settings agree.
std::vector<double> reuse_fig5(RunContext& ctx, const std::vector<double>& betas) {
    const fs::path sib = fig5_sibling(ctx);
    if (!fs::exists(sib / "summary.json") || !fs::exists(sib / "config.json")) return {};
    const json other = read_json(sib / "config.json");
    for (const char* k : {"seeds", "epochs", "lr", "batch_size", "train_subset", "subset_seed", "tl_samples", "tl_seed", "dtype"})
        if (!other.contains(k) || other.at(k) != ctx.config.at(k)) return {};
    MetricsLog src(sib / "metrics.csv");
    src.load();
    std::vector<double> got;
    for (double b : other.at("betas").get<std::vector<double>>())
        if (std::find(betas.begin(), betas.end(), b) != betas.end()) {
            got.push_back(b);
            ctx.metrics->drop_run(beta_name(b));
            for (const auto& r : src.rows())
                if (r.run == beta_name(b)) ctx.metrics->add(r.run, r.epoch, r.step, r.layer, r.metric, r.value);
        }
    ctx.metrics->flush();
    return got;
}

/// Each β run's series from the metrics; writes vae_curves.npy and <fig>_curves.dat.
Curves load_curves(RunContext& ctx, const std::string& fig, const std::vector<double>& betas, std::size_t ne) {
    Curves c{betas, {}, {}, {}, Tensor<double>::from_shape({betas.size(), ne, 3}), {}};
    DatFile dat({"epoch", "tl_mu", "train_recon", "val_recon"});
    for (std::size_t i = 0; i < betas.size(); ++i) {
        const std::string run = beta_name(betas[i]);
        const auto tl = ctx.metrics->series(run, "tl_mu"), tr = ctx.metrics->series(run, "train_recon"),
                   va = ctx.metrics->series(run, "val_recon"), vl = ctx.metrics->series(run, "val_loss");
        dat.block(fmt::format("beta {}", betas[i]));
        for (std::size_t e = 0; e < ne; ++e) {
            c.arr(i, e, 0) = tl.at(e).second;
            c.arr(i, e, 1) = e ? tr.at(e - 1).second : NAN;
            c.arr(i, e, 2) = va.at(e).second;
            dat.row({double(e), c.arr(i, e, 0), c.arr(i, e, 1), c.arr(i, e, 2)});
        }
        const auto best = std::min_element(vl.begin(), vl.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        c.best_tl.push_back(tl.at(best - vl.begin() + 1).second);
        c.final_tl.push_back(c.arr(i, ne - 1, 0));
        c.final_val.push_back(c.arr(i, ne - 1, 2));
        c.by_beta.push_back(i);
    }
    std::sort(c.by_beta.begin(), c.by_beta.end(), [&](std::size_t a, std::size_t b) { return betas[a] < betas[b]; });
    save_npy(ctx.folder->file("vae_curves.npy"), c.arr);
    dat.save(ctx.folder->file(fig + "_curves.dat"));
    return c;
}

/// The shared driver: the TL subset, the β runs (those `reuse` does not take from elsewhere are trained,
/// resumably) and their curves.
template <class T>
VaeRuns<T> train_runs(RunContext& ctx, const std::string& fig, std::vector<double> (*reuse)(RunContext&, const std::vector<double>&)) {
    const auto betas = ctx.get<std::vector<double>>("betas");
    const long epochs = ctx.get<long>("epochs");
    VaeRuns<T> r;
    r.split = load_split<T>(ctx);
    Rng trng(ctx.get<std::uint64_t>("tl_seed"));
    const std::size_t n = r.split.train.size(), nt = std::min(ctx.get<std::size_t>("tl_samples"), n);
    std::vector<std::size_t> idx = trng.permutation(n);
    idx.resize(nt);
    std::sort(idx.begin(), idx.end());
    r.sub = data::select(r.split.train, idx);
    r.yc = xt::cast<double>(xt::reshape_view(r.sub.x, {nt, numel(r.sub.sample_shape())}));
    const Tensor<double> colmean = xt::mean(r.yc, {0});
    r.yc -= colmean;
    if (reuse) r.reused = reuse(ctx, betas);
    std::vector<double> todo;
    for (double b : betas)
        if (std::find(r.reused.begin(), r.reused.end(), b) == r.reused.end()) todo.push_back(b);
    const long spe = static_cast<long>((n + ctx.get<std::size_t>("batch_size") - 1) / ctx.get<std::size_t>("batch_size"));
    long done = 0;
    for (double b : todo) done += epochs_done(ctx, beta_name(b));
    Progress prog(fig + " " + ctx.dataset(), static_cast<long>(todo.size()) * epochs * spe, done * spe);
    for (double b : todo) train_beta<T>(ctx, fig, r, b, prog);
    prog.finish();
    r.c = load_curves(ctx, fig, betas, static_cast<std::size_t>(epochs + 1));
    return r;
}

/// The flattened first test image of each class in `classes`; missing(c) throws for a class without one.
template <class T, class Missing>
Tensor<T> first_images(const data::Dataset<T>& test, const std::vector<int>& classes, const Missing& missing) {
    std::vector<std::size_t> at;
    for (int c : classes) {
        at.push_back(std::find(test.y.begin(), test.y.end(), c) - test.y.begin());
        if (at.back() == test.size()) missing(c);
    }
    return xt::reshape_view(data::select(test, at).x, {at.size(), numel(test.sample_shape())});
}

/// Per β run i: its VAE (the first of the states "<run><suffix>" saved, in the fig5 folder for reused runs)
/// encodes x to μ and decodes latent(μ) without sampling; returns the decodings as β × rows × D.
template <class T, class Latent>
Tensor<double> decode_per_beta(const RunContext& ctx, const VaeRuns<T>& r, const Tensor<T>& x,
                               const std::vector<std::string>& suffixes, const Latent& latent) {
    const std::vector<double>& betas = r.c.betas;
    Tensor<double> out;
    for (std::size_t i = 0; i < betas.size(); ++i) {
        const bool from5 = std::find(r.reused.begin(), r.reused.end(), betas[i]) != r.reused.end();
        const fs::path dir = from5 ? fig5_sibling(ctx) / "checkpoints" : ctx.folder->checkpoint_dir();
        Rng init(ctx.get<std::vector<int>>("seeds").at(0));
        nn::VAE<T> vae(x.shape()[1], init);
        if (std::none_of(suffixes.begin(), suffixes.end(), [&](const std::string& suffix) {
                return !nn::load_state<T>(dir, beta_name(betas[i]) + suffix, vae.parameters(), nullptr).is_null();
            }))
            throw IoError(fmt::format("{}: no saved weights of β = {} under {}", ctx.figure, betas[i], dir.string()));
        Tape<T> tape;
        NoGradGuard<T> guard(tape);
        const Tensor<T> img = vae.decode(tape, tape.input(latent(vae.encode(tape, tape.input(x)).first.value()))).value();
        if (i == 0) out = Tensor<double>::from_shape({betas.size(), img.shape()[0], img.shape()[1]});
        std::copy(img.begin(), img.end(), out.data() + i * img.size());
    }
    return out;
}

/// An image plot <stem>.png: a tile per row label × `cols`, tile(r, c, p) the pixels in [0, 1] (channels
/// first), 2-pixel gaps, row 0 at the top; the data in `dat` as gnuplot rgbimage rows (x, y, r, g, b).
struct TilePlot {
    std::string stem, dat, title;
    std::vector<std::string> row_labels, col_labels;  // no col_labels: no x tics
    int row_font, width, height;
};
template <class Tile>
void tile_plot(RunContext& ctx, const TilePlot& t, const Shape& ss, std::size_t cols, const Tile& tile) {
    const std::size_t ch = ss.size() == 3 ? ss[0] : 1, H = ss.size() == 3 ? ss[1] : 28, W = ss.size() == 3 ? ss[2] : numel(ss) / 28;
    const std::size_t rows = t.row_labels.size(), gap = 2, GW = cols * (W + gap), GH = rows * (H + gap);
    DatFile img({"x", "y", "r", "g", "b"});
    for (std::size_t gy = 0; gy < GH; ++gy)
        for (std::size_t gx = 0; gx < GW; ++gx) {
            const std::size_t i = gy / (H + gap), py = gy % (H + gap), k = gx / (W + gap), px = gx % (W + gap);
            double rgb[3] = {1, 1, 1};
            if (py < H && px < W)
                for (std::size_t c = 0; c < 3; ++c) rgb[c] = tile(i, k, (ch == 3 ? c : 0) * H * W + py * W + px);
            img.row({double(gx), double(GH - 1 - gy), 255 * rgb[0], 255 * rgb[1], 255 * rgb[2]});
        }
    img.save(ctx.folder->file(t.dat));
    std::string yt, xt;
    for (std::size_t i = 0; i < rows; ++i)
        yt += fmt::format("{}\"{}\" {}", i ? ", " : "", t.row_labels[i], double(GH - 1) - (i * (H + gap) + H / 2.0));
    for (std::size_t c = 0; c < t.col_labels.size(); ++c) xt += fmt::format("{}\"{}\" {}", c ? ", " : "", t.col_labels[c], c * (W + gap) + W / 2.0);
    const std::string body = fmt::format(
        "set title \"{}\"\nunset key\n{}\nset ytics ({}) scale 0 font \",{}\"\nset border 0\nset size ratio -1\n"
        "set xrange [-0.5:{}]\nset yrange [-0.5:{}]\nplot \"{}\" using 1:2:3:4:5 with rgbimage",
        t.title, xt.empty() ? "unset xtics" : fmt::format("set xtics ({}) scale 0 font \",11\"", xt), yt, t.row_font, GW - 0.5, GH - 0.5, t.dat);
    plot(ctx, {t.stem + ".png", t.stem + ".gp", t.width, t.height, body});
}

/// Row labels "β = 0.05\nTL = 0.612", after `first`.
std::vector<std::string> beta_labels(const Curves& c, const std::vector<double>& tl, std::vector<std::string> first = {}) {
    for (std::size_t i = 0; i < c.betas.size(); ++i) first.push_back(fmt::format("β = {}\\nTL = {:.3f}", c.betas[i], tl[i]));
    return first;
}

/// The setup, the claims and the differences from the paper, shared by both figures.
template <class T>
Summary summarise(const RunContext& ctx, const VaeRuns<T>& r, const std::vector<VaeClaim>& claims) {
    const std::string ds = ctx.dataset(), preset = ctx.config.value("preset", "");
    const long epochs = ctx.get<long>("epochs"), paper_epochs = ds == "cifar10" ? 30 : 10;
    const double lr = ctx.get<double>("lr");
    const std::size_t n = r.split.train.size();
    Summary s;
    s.setup = fmt::format(
        "{}: β-VAE {}→512→512→32 (μ, logvar), decoder mirror, GELU, sigmoid output; Adam lr {}, batch {}, {} epochs, seed {}, "
        "{} training samples; β ∈ {}. Reconstruction error = per-sample BCE sum (validation = test set, z sampled from a fixed "
        "seed); TL of μ w.r.t. column-centred pixels (row-mean denominator as the code) on a fixed {}-sample training subset "
        "(seed {}); dtype {}.",
        ds, numel(r.split.train.sample_shape()), lr, ctx.get<std::size_t>("batch_size"), epochs, ctx.get<std::vector<int>>("seeds").at(0),
        n, ctx.config.at("betas").dump(), r.sub.size(), ctx.get<std::uint64_t>("tl_seed"), ctx.config.value("dtype", "float"));
    for (const VaeClaim& c : claims) {
        const auto [pass, detail] = c.check(r.c);
        s.claims.push_back({c.claim, pass, detail});
    }
    if (ds != "mnist" && ds != "cifar10") s.differences.push_back(fmt::format("{} is not in the paper's VAE figures (MNIST, CIFAR-10).", ds));
    if (epochs != paper_epochs) s.differences.push_back(fmt::format("{} epochs instead of {} (preset {}).", epochs, paper_epochs, preset));
    if (n < 50000) s.differences.push_back(fmt::format("Trained on a seeded subset of {} training images.", n));
    if (lr != 1e-4)
        s.differences.push_back(fmt::format("Adam lr {} instead of 1e-4 (preset {}), so that the short run trains the decoder far enough "
                                            "to show digits.", lr, preset));
    s.differences.push_back("Validation z is sampled from a fixed seed per epoch (the paper samples from the global RNG).");
    return s;
}

/// Fig. 5: per β, decoded λμ(class_right) + (1−λ)μ(class_left) from the best-validation-loss weights
/// (interpolation.npy, fig5.png), and its rows.
template <class T>
Summary run_fig5(RunContext& ctx) {
    const VaeRuns<T> r = train_runs<T>(ctx, "fig5", nullptr);
    const Curves& c = r.c;
    const std::string ds = ctx.dataset();
    const int ca = ctx.get<int>("class_left"), cb = ctx.get<int>("class_right");
    const std::size_t steps = ctx.get<std::size_t>("steps"), D = numel(r.split.test.sample_shape());
    const Tensor<T> x2 = first_images(r.split.test, {ca, cb}, [&](int k) {
        throw UsageError(fmt::format("config 'class_left'/'class_right': class {} has no test image in {}", k, ds));
    });
    const Tensor<double> strip = decode_per_beta(ctx, r, x2, {"_best", ""}, [&](const Tensor<T>& mu) {
        Tensor<T> z = Tensor<T>::from_shape({steps, mu.shape()[1]});
        for (std::size_t k = 0; k < steps; ++k) {
            const double lam = double(k) / double(steps - 1);  // 0 = class_left, 1 = class_right
            for (std::size_t j = 0; j < mu.shape()[1]; ++j) z(k, j) = static_cast<T>(lam * mu(1, j) + (1 - lam) * mu(0, j));
        }
        return z;
    });
    save_npy(ctx.folder->file("interpolation.npy"), strip);
    const std::string title =
        fmt::format("Fig. 5 ({}): decoded λμ({}) + (1−λ)μ({}), λ = 0 … 1 in {} steps; TL(μ, X) at the best epoch", ds, cb, ca, steps);
    tile_plot(ctx, {"fig5", "fig5_strip.dat", title, beta_labels(c, c.best_tl), {}, 13, 1400, static_cast<int>(135 * c.betas.size() + 70)},
              r.split.test.sample_shape(), steps, [&](std::size_t i, std::size_t k, std::size_t p) { return strip(i, k, p); });

    Summary s = summarise(ctx, r, {kTlFalls});
    s.images = {"fig5.png"};
    s.setup += fmt::format(" Interpolation: first test images of classes {} (left) and {} (right), μ without sampling, weights "
                           "of the best-validation-loss epoch.", ca, cb);
    for (std::size_t i = 0; i < c.betas.size(); ++i) {
        const PaperBeta* p = paper(ds, c.betas[i]);
        const bool have = p && !std::isnan(p->fig5_label);
        const double* img = strip.data() + i * steps * D;
        s.rows.push_back({fmt::format("β = {}: TL(μ) at the best epoch (final epoch {})", c.betas[i], ctx.get<long>("epochs")),
                          fmt_num(c.best_tl[i], 3) + " (" + fmt_num(c.final_tl[i], 3) + ")", have ? fmt_num(p->fig5_label, 2) : "—",
                          have ? "paper's Figure 5 label" : "not in the paper"});
        s.rows.push_back({fmt::format("β = {}: reconstruction error of the two end images", c.betas[i]),
                          fmt_num((bce_sum(img, x2.data(), D) + bce_sum(img + (steps - 1) * D, x2.data() + D, D)) / 2, 4),
                          "β = 10 \"blurry and unfaithful\"", "paper text"});
    }
    return s;
}

/// Fig. 10: train/validation reconstruction error and TL of μ per epoch (fig10.png); the first test image
/// of each class 0–7 decoded from μ by each β's final weights beside the originals (decoded.npy,
/// originals.npy, fig10_decoded.png); its rows.
template <class T>
Summary run_fig10(RunContext& ctx) {
    const VaeRuns<T> r = train_runs<T>(ctx, "fig10", reuse_fig5);
    const Curves& c = r.c;
    const std::string ds = ctx.dataset();
    const long epochs = ctx.get<long>("epochs");
    std::string recon, tl;
    for (std::size_t i = 0; i < c.betas.size(); ++i) {
        recon += fmt::format("{}\"fig10_curves.dat\" index {} every ::1 using 1:3 with lines dt 2 lw 1.5 lc {} notitle, "
                             "\"\" index {} every ::1 using 1:4 with linespoints lw 2 pt 7 ps 0.5 lc {} title \"β = {}\"",
                             i ? ", " : "", i, i + 1, i, i + 1, c.betas[i]);
        tl += fmt::format("{}\"fig10_curves.dat\" index {} using 1:2 with linespoints lw 2 pt 7 ps 0.5 lc {} title \"β = {}\"",
                          i ? ", " : "", i, i + 1, c.betas[i]);
    }
    plot(ctx, {"fig10.png", "fig10.gp", 1500, 600,
               fmt::format("set multiplot layout 1,2 title \"Fig. 10 ({}): β-VAE, reconstruction error and TL(μ, X) per epoch\"\n"
                           "set xlabel \"epoch\"\nset grid\nset key outside right top\nset title \"reconstruction error (per-sample "
                           "BCE sum) from epoch 1: train dashed, validation solid\"\nset ylabel \"BCE sum\"\nplot {}\n"
                           "set title \"Target Linearity of μ\"\nset ylabel \"TL\"\nplot {}\nunset multiplot", ds, recon, tl)});

    const data::Dataset<T>& test = r.split.test;
    const Shape ss = test.sample_shape();
    const std::size_t D = numel(ss), nb = c.betas.size(), nc = std::min<std::size_t>(8, test.num_classes);
    std::vector<int> classes(nc);
    for (std::size_t k = 0; k < nc; ++k) classes[k] = static_cast<int>(k);
    const Tensor<T> x = first_images(test, classes, [&](int k) {
        throw ValueError(fmt::format("fig10: class {} has no test image in {}", k, ds));
    });
    Tensor<double> dec = decode_per_beta(ctx, r, x, {""}, [](const Tensor<T>& mu) { return mu; }), orig = xt::cast<double>(x);
    std::vector<std::string> cols;
    for (std::size_t k = 0; k < nc; ++k) cols.push_back(std::to_string(k));
    const std::string title = fmt::format(
        "Fig. 10 ({}): first test image of each class, decoded from μ (final epoch); TL(μ, X) at the final epoch", ds);
    tile_plot(ctx, {"fig10_decoded", "fig10_decoded.dat", title, beta_labels(c, c.final_tl, {"original"}), cols, 12, 900,
                    static_cast<int>(110 * (nb + 1) + 90)},
              ss, nc, [&](std::size_t row, std::size_t k, std::size_t p) { return row ? dec(row - 1, k, p) : double(x(k, p)); });
    Shape one = ss.size() == 3 ? ss : Shape{28, D / 28};  // [C ×] H × W
    if (one[0] == 1) one.erase(one.begin());
    for (Tensor<double>* t : {&dec, &orig}) {
        Shape shape(t->shape().begin(), t->shape().end() - 1);
        shape.insert(shape.end(), one.begin(), one.end());
        t->reshape(shape);
    }
    save_npy(ctx.folder->file("decoded.npy"), dec);
    save_npy(ctx.folder->file("originals.npy"), orig);

    Summary s = summarise(ctx, r, {kTlFalls, kReconGrows});
    s.images = {"fig10.png", "fig10_decoded.png"};
    s.setup += " Decoded images: the first test image of each class 0–7, encoded to μ and decoded (no sampling), final-epoch "
               "weights (decoded.npy, originals.npy).";
    for (std::size_t i = 0; i < nb; ++i) {
        const PaperBeta* p = paper(ds, c.betas[i]);
        const bool recon_known = p && *p->recon;
        s.rows.push_back({fmt::format("β = {}: TL(μ), epoch 1 → {}", c.betas[i], epochs),
                          fmt_num(c.arr(i, 1, 0), 3) + " → " + fmt_num(c.final_tl[i], 3),
                          p ? fmt::format("≈0.48–0.53 → {}", fmt_num(p->tl, 3)) : "—",
                          p ? "read from the paper's plot (MNIST ep 10, CIFAR-10 ep 30)" : "not in the paper"});
        s.rows.push_back({fmt::format("β = {}: train / validation reconstruction error, epoch {}", c.betas[i], epochs),
                          fmt_num(c.arr(i, epochs, 1), 4) + " / " + fmt_num(c.final_val[i], 4),
                          recon_known ? std::string("val ") + p->recon : "—", recon_known ? "read from the paper's plot" : "not in the paper"});
        s.rows.push_back({fmt::format("β = {}: reconstruction error of the decoded test images (classes 0–7, from μ)", c.betas[i]),
                          fmt_num(bce_sum(dec.data() + i * nc * D, x.data(), nc * D) / double(nc), 4), "images only",
                          "the paper shows the decodings, no number"});
    }
    if (!r.reused.empty())
        s.setup += fmt::format(" β runs {} taken from the fig5 run folder with the same training settings.", json(r.reused).dump());
    return s;
}

/// What Fig. 5 and Fig. 10 declare differently: info, the paper preset's βs, their own config keys
/// with the integer ranges checked, and the run.
struct IntRange {
    const char* key;
    long lo, hi;
    const char* expected;
};
struct VaeVariant {
    FigureInfo info;
    json paper_betas, own_keys;
    std::vector<IntRange> ranges;
    Summary (*run_float)(RunContext&);
    Summary (*run_double)(RunContext&);
};

class VaeFigure : public Figure {
   public:
    explicit VaeFigure(VaeVariant v) : v_(std::move(v)) {
        v_.info.datasets = {"mnist", "fashion-mnist", "cifar10"};
        v_.info.preset_datasets = {{"smoke", {"mnist"}}, {"quick", {"mnist"}}, {"paper", {"mnist", "fashion-mnist", "cifar10"}}};
    }
    FigureInfo info() const override { return v_.info; }
    json defaults(const std::string& preset, const std::string& dataset) const override {
        json d = {{"seeds", {0}}, {"epochs", dataset == "cifar10" ? 30 : 10}, {"lr", 1e-4}, {"batch_size", 128}, {"betas", v_.paper_betas},
                  {"train_subset", 0}, {"subset_seed", 0}, {"tl_samples", 10000}, {"tl_seed", 0}};
        if (preset == "smoke") d.update({{"epochs", 1}, {"train_subset", 1000}, {"tl_samples", 500}, {"betas", {0.05, 10.0}}});
        // quick: 628 steps at 1e-4 leave every β blurry; 1e-3 compresses the paper's 4,690 steps
        if (preset == "quick")
            d.update({{"epochs", 4}, {"lr", 1e-3}, {"train_subset", 20000}, {"tl_samples", 5000}, {"betas", {0.05, 1.0, 10.0}}});
        d.update(v_.own_keys);
        return d;
    }
    void check(const json& c) const override {
        const auto betas = c.at("betas").get<std::vector<double>>();
        if (betas.empty()) throw UsageError("config 'betas': [] (expected at least one β in [0, 1000])");
        for (double b : betas)
            if (!(b >= 0 && b <= 1000)) throw UsageError(fmt::format("config 'betas': {} is not in [0, 1000]", b));
        for (const IntRange& r : v_.ranges)
            if (c.at(r.key).get<long>() < r.lo || c.at(r.key).get<long>() > r.hi)
                throw UsageError(fmt::format("config '{}': {} (expected {})", r.key, c.at(r.key).dump(), r.expected));
    }
    Summary run(RunContext& ctx) const override { return ctx.use_double() ? v_.run_double(ctx) : v_.run_float(ctx); }

   private:
    VaeVariant v_;
};

const IntRange kTlSamples = {"tl_samples", 2, LONG_MAX, "an integer >= 2"};
const bool gt_registered_fig5 = register_figure(std::make_unique<VaeFigure>(VaeVariant{
    {"fig5", "β-VAE latent interpolation",
     "decoded interpolations 2 → 8 for β = 0.05, 1, 10 with TL(μ) in the row titles; low β is smoother", {}, {},
     {{"smoke", "~10 s"}, {"quick", "~2 min"}, {"paper", "~40 min"}}},
    {0.05, 1.0, 10.0},
    {{"class_left", 2}, {"class_right", 8}, {"steps", 10}},
    {kTlSamples, {"class_left", 0, 9, "a class in [0, 9]"}, {"class_right", 0, 9, "a class in [0, 9]"},
     {"steps", 2, 100, "an integer in [2, 100]"}},
    run_fig5<float>, run_fig5<double>}));
const bool gt_registered_fig10 = register_figure(std::make_unique<VaeFigure>(VaeVariant{
    {"fig10", "β-VAE: TL of μ and reconstruction over epochs",
     "per β, train/validation reconstruction error and TL(μ, pixels) per epoch, and decoded test images of classes "
     "0–7; TL falls as β grows", {}, {}, {{"smoke", "~10 s"}, {"quick", "~5 s after fig5"}, {"paper", "~50 min"}}},
    {0.05, 0.1, 0.5, 1.0, 5.0, 10.0},
    json::object(),
    {kTlSamples},
    run_fig10<float>, run_fig10<double>}));

}  // namespace
}  // namespace gt::experiments
