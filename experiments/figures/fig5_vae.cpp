// Figures 5 and 10: the paper's MLP β-VAE. Per β and epoch: train/validation reconstruction error
// (per-sample BCE sum) and the Target Linearity of μ w.r.t. the column-centred pixels (code semantics:
// row-mean denominator) on a fixed seeded training subset. Fig. 5: decoded latent interpolations
// between the first test images of two classes, one row per β, from the best-validation-loss weights.
// Fig. 10: TL and reconstruction error over epochs per β; it reuses the β runs of a finished fig5
// folder with the same training settings.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <xtensor/xview.hpp>

#include "analysis/target_linearity.hpp"
#include "autodiff/autodiff.hpp"
#include "datasets/loader.hpp"
#include "experiments/figure.hpp"
#include "experiments/guarded_metrics.hpp"
#include "experiments/io.hpp"
#include "experiments/plot.hpp"
#include "experiments/progress.hpp"
#include "experiments/training.hpp"
#include "nn/adam.hpp"
#include "nn/losses.hpp"
#include "nn/vae.hpp"

namespace gt::experiments {
namespace {

// Figure 10 (MNIST, epoch 10 / CIFAR-10, epoch 30), read from the paper's plot; Figure 5's labels are
// 0.61 / 0.58 / 0.51 for β = 0.05 / 1 / 10 (best epoch).
const std::map<std::string, std::map<double, double>> kPaperTl = {
    {"mnist", {{0.05, 0.61}, {0.1, 0.605}, {0.5, 0.59}, {1.0, 0.577}, {5.0, 0.53}, {10.0, 0.51}}},
    {"cifar10", {{0.05, 0.71}, {0.1, 0.71}, {0.5, 0.685}, {1.0, 0.667}, {5.0, 0.562}, {10.0, 0.517}}}};
const std::map<std::string, std::map<double, std::string>> kPaperRecon = {{"mnist", {{0.05, "≈82"}, {10.0, "≈183"}}},
                                                                           {"cifar10", {{0.05, "≈1780"}, {10.0, "≈1900"}}}};

std::string beta_name(double b) { return fmt::format("beta{}", b); }

/// Σ over elements of PyTorch's BCE (log clamped at −100), for recon r and target x of equal size.
template <class T>
double bce_sum(const Tensor<T>& r, const T* x) {
    double s = 0;
    for (std::size_t i = 0; i < r.size(); ++i) {
        const double p = r.data()[i], t = x[i];
        s -= t * std::max(std::log(p), -100.0) + (1 - t) * std::max(std::log1p(-p), -100.0);
    }
    return s;
}

/// Rows [s, s + b) of d.x flattened to (b, D).
template <class T>
Tensor<T> rows(const data::Dataset<T>& d, std::size_t s, std::size_t b) {
    const std::size_t per = numel(d.sample_shape());
    Tensor<T> x = Tensor<T>::from_shape({b, per});
    std::copy(d.x.data() + s * per, d.x.data() + (s + b) * per, x.data());
    return x;
}

/// Validation reconstruction error (per-sample BCE sum) and loss (recon + β·KL), z sampled as in the
/// paper's eval, from a fixed generator so that the numbers are reproducible.
template <class T>
std::pair<double, double> evaluate(nn::VAE<T>& vae, const data::Dataset<T>& d, double beta, std::uint64_t seed) {
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    Rng rng(seed);
    double rec = 0, kl = 0;
    for (std::size_t s = 0; s < d.size(); s += 1000) {
        const std::size_t b = std::min<std::size_t>(1000, d.size() - s);
        tape.reset();
        const Tensor<T> x = rows(d, s, b);
        const auto o = vae.forward(tape, tape.input(x), rng);
        rec += bce_sum(o.recon.value(), x.data());
        kl += static_cast<double>(nn::gaussian_kl_loss(o.mu, o.logvar).item()) * b;
    }
    return {rec / d.size(), (rec + beta * kl) / d.size()};
}

/// TL of μ (N × latent) w.r.t. the column-centred pixels yc (N × D), code semantics; a failure names
/// the site (figure, β run, layer "mu", epoch, step).
template <class T>
double mu_tl(nn::VAE<T>& vae, const data::Dataset<T>& sub, const Tensor<double>& yc, const MetricSite& site) {
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    Tensor<double> h = Tensor<double>::from_shape({sub.size(), vae.latent_dim()});
    for (std::size_t s = 0; s < sub.size(); s += 1000) {
        const std::size_t b = std::min<std::size_t>(1000, sub.size() - s);
        tape.reset();
        const Tensor<T>& mu = vae.encode(tape, tape.input(rows(sub, s, b))).first.value();
        std::transform(mu.begin(), mu.end(), h.data() + s * vae.latent_dim(), [](T v) { return static_cast<double>(v); });
    }
    return tl_at(site, h, yc).tl;
}

/// Trains one β (resumable per epoch); keeps the best-validation-loss weights as state "<run>_best".
template <class T>
void train_beta(RunContext& ctx, const data::Split<T>& split, const data::Dataset<T>& sub, const Tensor<double>& yc, double beta,
                Progress& prog) {
    const int seed = ctx.get<std::vector<int>>("seeds").at(0);
    const long epochs = ctx.get<long>("epochs");
    const std::size_t batch = ctx.get<std::size_t>("batch_size");
    const std::string run = beta_name(beta);
    const std::string fig = ctx.config.at("figure").get<std::string>();
    const fs::path ckpt = ctx.folder->checkpoint_dir();
    Rng init(seed);
    nn::VAE<T> vae(numel(split.train.sample_shape()), init);
    const auto params = vae.parameters();
    nn::AdamOptions ao;
    ao.lr = ctx.get<double>("lr");
    nn::Adam<T> opt(params, ao);
    data::BatchLoader<T> loader(split.train, batch, true, static_cast<std::uint64_t>(seed));
    Rng noise(static_cast<std::uint64_t>(seed) + 7919);
    const long spe = static_cast<long>(loader.num_batches());
    long start = 0;
    double best = INFINITY;
    const json extra = load_state<T>(ckpt, run, params, &opt);
    if (!extra.is_null()) {
        start = resume_metrics(ctx, run, extra);
        best = extra.at("best_loss").get<double>();
        loader.restore(extra.at("loader").get<std::string>());
        noise = Rng(static_cast<std::uint64_t>(seed) + 7919 + static_cast<std::uint64_t>(start));
    } else {
        ctx.metrics->drop_run(run);
        ctx.metrics->add(run, 0, 0, "", "val_recon", evaluate(vae, split.test, beta, seed).first);
        ctx.metrics->add(run, 0, 0, "", "tl_mu", mu_tl(vae, sub, yc, {fig, run, "mu", 0, 0}));
        ctx.metrics->flush();
    }
    Tape<T> tape;
    Tensor<T> x;
    Labels y;
    long step = start * spe;
    for (long e = start + 1; e <= epochs; ++e) {
        loader.start_epoch();
        double rec_sum = 0;
        std::size_t seen = 0;
        while (loader.next(x, y)) {
            tape.reset();
            opt.zero_grad();
            const auto o = vae.forward(tape, tape.input(x), noise);
            Var<T> loss = nn::vae_loss(o.recon, o.x, o.mu, o.logvar, static_cast<T>(beta));
            tape.backward(loss);
            opt.step();
            const double l = loss.item();
            ++step;
            if (!std::isfinite(l)) check_loss<T>({fig, run, "", e, step}, l, params);
            rec_sum += bce_sum(o.recon.value(), x.data());
            seen += y.size() ? y.size() : x.shape()[0];
            prog.tick(e, step, l);
        }
        const auto [vrec, vloss] = evaluate(vae, split.test, beta, seed + e);
        ctx.metrics->add(run, e, step, "", "train_recon", rec_sum / seen);
        ctx.metrics->add(run, e, step, "", "val_recon", vrec);
        ctx.metrics->add(run, e, step, "", "val_loss", vloss);
        ctx.metrics->add(run, e, step, "", "tl_mu", mu_tl(vae, sub, yc, {fig, run, "mu", e, step}));
        ctx.metrics->flush();
        if (vloss < best) {
            best = vloss;
            save_state<T>(ckpt, run + "_best", params, nullptr, {{"epoch", e}});
        }
        noise = Rng(static_cast<std::uint64_t>(seed) + 7919 + static_cast<std::uint64_t>(e));
        save_state<T>(ckpt, run, params, &opt,
                      checkpoint_extra(ctx, run, {{"epoch", e}, {"best_loss", best}, {"loader", loader.state()}}));
        record_epoch(ctx, run, e);
        maybe_interrupt(e);
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

/// One RGB image of rows × cols tiles (tile(r, c) gives the D pixel values in [0, 1] of one image, channels
/// first) with 2-pixel gaps, row 0 at the top, as gnuplot rgbimage data (x, y, r, g, b).
template <class Tile>
DatFile tile_grid(std::size_t rows, std::size_t cols, std::size_t ch, std::size_t H, std::size_t W, const Tile& tile) {
    const std::size_t gap = 2, GW = cols * (W + gap), GH = rows * (H + gap);
    DatFile img({"x", "y", "r", "g", "b"});
    for (std::size_t gy = 0; gy < GH; ++gy)
        for (std::size_t gx = 0; gx < GW; ++gx) {
            const std::size_t i = gy / (H + gap), py = gy % (H + gap), k = gx / (W + gap), px = gx % (W + gap);
            double rgb[3] = {1, 1, 1};
            if (py < H && px < W)
                for (std::size_t c = 0; c < 3; ++c) rgb[c] = tile(i, k, (ch == 3 ? c : 0) * H * W + py * W + px);
            img.row({double(gx), double(GH - 1 - gy), 255 * rgb[0], 255 * rgb[1], 255 * rgb[2]});
        }
    return img;
}

/// Figure 10's decoded test images: the first test image of each class 0–7 passed through the VAE of each
/// β (encode to μ, decode μ, no sampling; final-epoch weights, from the fig5 folder for reused β runs),
/// beside the originals. Writes decoded.npy (β × 8 × H × W; β × 8 × C × H × W for colour), originals.npy
/// (8 × H × W) and fig10_decoded.png (a first row of originals, then one row per β with its final TL).
/// Returns the mean per-image BCE sum of the decodings per β.
template <class T>
std::vector<double> decoded_images(RunContext& ctx, const data::Dataset<T>& test, const std::vector<double>& betas,
                                   const std::vector<double>& reused, const std::vector<double>& final_tl, int seed) {
    const Shape ss = test.sample_shape();
    const std::size_t D = numel(ss);
    const std::size_t ch = ss.size() == 3 ? ss[0] : 1, H = ss.size() == 3 ? ss[1] : 28, W = ss.size() == 3 ? ss[2] : D / 28;
    const std::size_t nc = std::min<std::size_t>(8, test.num_classes);
    Tensor<T> x = Tensor<T>::from_shape({nc, D});
    for (std::size_t c = 0; c < nc; ++c) {
        std::size_t k = 0;
        while (k < test.size() && test.y[k] != static_cast<int>(c)) ++k;
        if (k == test.size()) throw ValueError(fmt::format("fig10: class {} has no test image in {}", c, ctx.dataset()));
        std::copy(test.x.data() + k * D, test.x.data() + (k + 1) * D, x.data() + c * D);
    }
    Tensor<double> dec = Tensor<double>::from_shape({betas.size(), nc, D});
    std::vector<double> err;
    for (std::size_t i = 0; i < betas.size(); ++i) {
        const bool from5 = std::find(reused.begin(), reused.end(), betas[i]) != reused.end();
        const fs::path dir = from5 ? fig5_sibling(ctx) / "checkpoints" : ctx.folder->checkpoint_dir();
        Rng init(seed);
        nn::VAE<T> vae(D, init);
        if (load_state<T>(dir, beta_name(betas[i]), vae.parameters(), nullptr).is_null())
            throw IoError(fmt::format("fig10: no final weights of β = {} under {}", betas[i], dir.string()));
        Tape<T> tape;
        NoGradGuard<T> guard(tape);
        const Tensor<T> mu = vae.encode(tape, tape.input(x)).first.value();
        const Tensor<T> img = vae.decode(tape, tape.input(mu)).value();
        for (std::size_t c = 0; c < nc; ++c)
            for (std::size_t p = 0; p < D; ++p) dec(i, c, p) = img(c, p);
        err.push_back(bce_sum(img, x.data()) / double(nc));
    }
    Shape one = ch > 1 ? Shape{ch, H, W} : Shape{H, W};
    Shape dshape = {betas.size(), nc}, oshape = {nc};
    dshape.insert(dshape.end(), one.begin(), one.end());
    oshape.insert(oshape.end(), one.begin(), one.end());
    Tensor<double> orig = xt::cast<double>(x);
    orig.reshape(oshape);
    Tensor<double> decoded = dec;
    decoded.reshape(dshape);
    save_npy(ctx.folder->file("decoded.npy"), decoded);
    save_npy(ctx.folder->file("originals.npy"), orig);

    const std::size_t rows = betas.size() + 1, gap = 2, GW = nc * (W + gap), GH = rows * (H + gap);
    tile_grid(rows, nc, ch, H, W, [&](std::size_t r, std::size_t c, std::size_t p) {
        return r == 0 ? double(x(c, p)) : dec(r - 1, c, p);
    }).save(ctx.folder->file("fig10_decoded.dat"));
    std::string tics = fmt::format("\"original\" {}", double(GH - 1) - H / 2.0);
    for (std::size_t i = 0; i < betas.size(); ++i)
        tics += fmt::format(", \"β = {}\\nTL = {:.3f}\" {}", betas[i], final_tl[i], double(GH - 1) - ((i + 1) * (H + gap) + H / 2.0));
    std::string cols;
    for (std::size_t c = 0; c < nc; ++c) cols += fmt::format("{}\"{}\" {}", c ? ", " : "", c, c * (W + gap) + W / 2.0);
    const std::string body = fmt::format(
        "set title \"Fig. 10 ({}): first test image of each class, decoded from μ (final epoch); TL(μ, X) at the final epoch\"\n"
        "unset key\nset xtics ({}) scale 0 font \",11\"\nset ytics ({}) scale 0 font \",12\"\nset border 0\nset size ratio -1\n"
        "set xrange [-0.5:{}]\nset yrange [-0.5:{}]\nplot \"fig10_decoded.dat\" using 1:2:3:4:5 with rgbimage",
        ctx.dataset(), cols, tics, GW - 0.5, GH - 0.5);
    plot(ctx, {"fig10_decoded.png", "fig10_decoded.gp", 900, static_cast<int>(110 * rows + 90), body});
    return err;
}

template <class T>
Summary run_vae(RunContext& ctx, bool fig10) {
    const std::string fig = fig10 ? "fig10" : "fig5";
    const int seed = ctx.get<std::vector<int>>("seeds").at(0);
    const auto betas = ctx.get<std::vector<double>>("betas");
    const long epochs = ctx.get<long>("epochs");
    for (double b : betas)
        if (!(b >= 0 && b <= 1000)) throw UsageError(fmt::format("config 'betas': {} is not in [0, 1000]", b));
    const data::Split<T> split = load_split<T>(ctx);
    const std::string ds = ctx.dataset();
    // The fixed TL subset and its column-centred pixels.
    Rng trng(ctx.get<std::uint64_t>("tl_seed"));
    const std::size_t nt = std::min(ctx.get<std::size_t>("tl_samples"), split.train.size());
    std::vector<std::size_t> idx = trng.permutation(split.train.size());
    idx.resize(nt);
    std::sort(idx.begin(), idx.end());
    const data::Dataset<T> sub = data::select(split.train, idx);
    const std::size_t D = numel(split.train.sample_shape());
    Tensor<double> yc = xt::cast<double>(xt::reshape_view(sub.x, {nt, D}));
    const Tensor<double> colmean = xt::mean(yc, {0});
    yc -= colmean;

    const std::vector<double> reused = fig10 ? reuse_fig5(ctx, betas) : std::vector<double>{};
    std::vector<double> todo;
    for (double b : betas)
        if (std::find(reused.begin(), reused.end(), b) == reused.end()) todo.push_back(b);
    const long spe = static_cast<long>((split.train.size() + ctx.get<std::size_t>("batch_size") - 1) / ctx.get<std::size_t>("batch_size"));
    long done = 0;
    for (double b : todo) done += ctx.folder->progress().value("runs", json::object()).value(beta_name(b), json::object()).value("epoch", 0L);
    Progress prog(fig + " " + ds, static_cast<long>(todo.size()) * epochs * spe, done * spe);
    for (double b : todo) train_beta<T>(ctx, split, sub, yc, b, prog);
    prog.finish();

    // Per-β series, arrays and the curves plot.
    const std::size_t ne = static_cast<std::size_t>(epochs + 1);
    Tensor<double> arr = Tensor<double>::from_shape({betas.size(), ne, 3});  // tl_mu, train_recon (NaN at 0), val_recon
    std::vector<double> final_tl, best_tl, final_val;
    DatFile dat({"epoch", "tl_mu", "train_recon", "val_recon"});
    for (std::size_t i = 0; i < betas.size(); ++i) {
        const std::string run = beta_name(betas[i]);
        const auto tl = ctx.metrics->series(run, "tl_mu"), tr = ctx.metrics->series(run, "train_recon"),
                   va = ctx.metrics->series(run, "val_recon"), vl = ctx.metrics->series(run, "val_loss");
        dat.block(fmt::format("beta {}", betas[i]));
        for (std::size_t e = 0; e < ne; ++e) {
            arr(i, e, 0) = tl.at(e).second;
            arr(i, e, 1) = e ? tr.at(e - 1).second : NAN;
            arr(i, e, 2) = va.at(e).second;
            dat.row({double(e), arr(i, e, 0), arr(i, e, 1), arr(i, e, 2)});
        }
        std::size_t be = 0;
        for (std::size_t k = 0; k < vl.size(); ++k)
            if (vl[k].second < vl[be].second) be = k;
        best_tl.push_back(tl.at(be + 1).second);
        final_tl.push_back(arr(i, ne - 1, 0));
        final_val.push_back(arr(i, ne - 1, 2));
    }
    save_npy(ctx.folder->file("vae_curves.npy"), arr);
    dat.save(ctx.folder->file(fig + "_curves.dat"));

    Summary s;
    s.setup = fmt::format(
        "{}: β-VAE {}→512→512→32 (μ, logvar), decoder mirror, GELU, sigmoid output; Adam lr {}, batch {}, {} epochs, seed {}, "
        "{} training samples; β ∈ {}. Reconstruction error = per-sample BCE sum (validation = test set, z sampled from a fixed "
        "seed); TL of μ w.r.t. column-centred pixels (row-mean denominator as the code) on a fixed {}-sample training subset "
        "(seed {}); dtype {}.",
        ds, D, ctx.get<double>("lr"), ctx.get<std::size_t>("batch_size"), epochs, seed, split.train.size(),
        ctx.config.at("betas").dump(), nt, ctx.get<std::uint64_t>("tl_seed"), ctx.config.value("dtype", "float"));
    const auto pt = kPaperTl.find(ds);
    const bool have = pt != kPaperTl.end();

    if (fig10) {
        std::string body = fmt::format(
            "set multiplot layout 1,2 title \"Fig. 10 ({}): β-VAE, reconstruction error and TL(μ, X) per epoch\"\n"
            "set xlabel \"epoch\"\nset grid\nset key outside right top\n"
            "set title \"reconstruction error (per-sample BCE sum) from epoch 1: train dashed, validation solid\"\nset ylabel \"BCE sum\"\n"
            "plot ",
            ds);
        for (std::size_t i = 0; i < betas.size(); ++i)
            body += fmt::format("{}\"{}_curves.dat\" index {} every ::1 using 1:3 with lines dt 2 lw 1.5 lc {} notitle, "
                                "\"\" index {} every ::1 using 1:4 with linespoints lw 2 pt 7 ps 0.5 lc {} title \"β = {}\"",
                                i ? ", " : "", fig, i, i + 1, i, i + 1, betas[i]);
        body += "\nset title \"Target Linearity of μ\"\nset ylabel \"TL\"\nplot ";
        for (std::size_t i = 0; i < betas.size(); ++i)
            body += fmt::format("{}\"{}_curves.dat\" index {} using 1:2 with linespoints lw 2 pt 7 ps 0.5 lc {} title \"β = {}\"",
                                i ? ", " : "", fig, i, i + 1, betas[i]);
        body += "\nunset multiplot";
        plot(ctx, {"fig10.png", "fig10.gp", 1500, 600, body});
        const std::vector<double> dec_err = decoded_images<T>(ctx, split.test, betas, reused, final_tl, seed);
        s.images = {"fig10.png", "fig10_decoded.png"};
        s.setup += " Decoded images: the first test image of each class 0–7, encoded to μ and decoded (no sampling), final-epoch "
                   "weights (decoded.npy, originals.npy).";
        for (std::size_t i = 0; i < betas.size(); ++i) {
            const bool hp = have && pt->second.count(betas[i]);
            s.rows.push_back({fmt::format("β = {}: TL(μ), epoch 1 → {}", betas[i], epochs),
                              fmt_num(arr(i, 1, 0), 3) + " → " + fmt_num(final_tl[i], 3),
                              hp ? fmt::format("≈0.48–0.53 → {}", fmt_num(pt->second.at(betas[i]), 3)) : "—",
                              hp ? "read from the paper's plot (MNIST ep 10, CIFAR-10 ep 30)" : "not in the paper"});
            const auto pr = kPaperRecon.find(ds);
            const bool hr = pr != kPaperRecon.end() && pr->second.count(betas[i]);
            s.rows.push_back({fmt::format("β = {}: train / validation reconstruction error, epoch {}", betas[i], epochs),
                              fmt_num(arr(i, ne - 1, 1), 4) + " / " + fmt_num(final_val[i], 4), hr ? "val " + pr->second.at(betas[i]) : "—",
                              hr ? "read from the paper's plot" : "not in the paper"});
            s.rows.push_back({fmt::format("β = {}: reconstruction error of the decoded test images (classes 0–7, from μ)", betas[i]),
                              fmt_num(dec_err[i], 4), "images only", "the paper shows the decodings, no number"});
        }
        if (!reused.empty())
            s.setup += fmt::format(" β runs {} taken from the fig5 run folder with the same training settings.", json(reused).dump());
    } else {
        // Interpolation strip from the best-validation-loss weights of each β.
        const int ca = ctx.get<int>("class_left"), cb = ctx.get<int>("class_right");
        const std::size_t steps = ctx.get<std::size_t>("steps");
        auto first_of = [&](int c) {
            for (std::size_t k = 0; k < split.test.size(); ++k)
                if (split.test.y[k] == c) return k;
            throw UsageError(fmt::format("config 'class_left'/'class_right': class {} has no test image in {}", c, ds));
        };
        const std::size_t ia = first_of(ca), ib = first_of(cb);
        const Shape ss = split.train.sample_shape();
        const std::size_t ch = ss.size() == 3 ? ss[0] : 1, H = ss.size() == 3 ? ss[1] : 28, W = ss.size() == 3 ? ss[2] : D / 28;
        Tensor<double> strip = Tensor<double>::from_shape({betas.size(), steps, D});
        std::vector<double> end_err;
        for (std::size_t i = 0; i < betas.size(); ++i) {
            Rng init(seed);
            nn::VAE<T> vae(D, init);
            const auto params = vae.parameters();
            if (load_state<T>(ctx.folder->checkpoint_dir(), beta_name(betas[i]) + "_best", params, nullptr).is_null())
                load_state<T>(ctx.folder->checkpoint_dir(), beta_name(betas[i]), params, nullptr);
            Tape<T> tape;
            NoGradGuard<T> guard(tape);
            Tensor<T> x2 = Tensor<T>::from_shape({2, D});
            std::copy(split.test.x.data() + ia * D, split.test.x.data() + (ia + 1) * D, x2.data());
            std::copy(split.test.x.data() + ib * D, split.test.x.data() + (ib + 1) * D, x2.data() + D);
            const Tensor<T> mu = vae.encode(tape, tape.input(x2)).first.value();
            const std::size_t L = vae.latent_dim();
            Tensor<T> z = Tensor<T>::from_shape({steps, L});
            for (std::size_t k = 0; k < steps; ++k) {
                const double lam = steps > 1 ? double(k) / double(steps - 1) : 0.0;  // 0 = class_left, 1 = class_right
                for (std::size_t j = 0; j < L; ++j) z(k, j) = static_cast<T>(lam * mu(1, j) + (1 - lam) * mu(0, j));
            }
            const Tensor<T> img = vae.decode(tape, tape.input(z)).value();
            for (std::size_t k = 0; k < steps; ++k)
                for (std::size_t p = 0; p < D; ++p) strip(i, k, p) = img(k, p);
            end_err.push_back((bce_sum(Tensor<T>(xt::view(img, 0, xt::all())), x2.data()) +
                               bce_sum(Tensor<T>(xt::view(img, steps - 1, xt::all())), x2.data() + D)) / 2);
        }
        save_npy(ctx.folder->file("interpolation.npy"), strip);
        // One RGB image: β rows × steps columns of H × W tiles with 2-pixel gaps, row 0 at the top.
        const std::size_t gap = 2, GW = steps * (W + gap), GH = betas.size() * (H + gap);
        tile_grid(betas.size(), steps, ch, H, W, [&](std::size_t i, std::size_t k, std::size_t p) { return strip(i, k, p); })
            .save(ctx.folder->file("fig5_strip.dat"));
        std::string tics;
        for (std::size_t i = 0; i < betas.size(); ++i)
            tics += fmt::format("{}\"β = {}\\nTL = {:.3f}\" {}", i ? ", " : "", betas[i], best_tl[i], double(GH - 1) - (i * (H + gap) + H / 2.0));
        const std::string body = fmt::format(
            "set title \"Fig. 5 ({}): decoded λμ({}) + (1−λ)μ({}), λ = 0 … 1 in {} steps; TL(μ, X) at the best epoch\"\n"
            "unset key\nunset xtics\nset ytics ({}) scale 0 font \",13\"\nset border 0\nset size ratio -1\n"
            "set xrange [-0.5:{}]\nset yrange [-0.5:{}]\nplot \"fig5_strip.dat\" using 1:2:3:4:5 with rgbimage",
            ds, cb, ca, steps, tics, GW - 0.5, GH - 0.5);
        plot(ctx, {"fig5.png", "fig5.gp", 1400, static_cast<int>(135 * betas.size() + 70), body});
        s.images = {"fig5.png"};
        s.setup += fmt::format(" Interpolation: first test images of classes {} (left) and {} (right), μ without sampling, weights "
                               "of the best-validation-loss epoch.", ca, cb);
        for (std::size_t i = 0; i < betas.size(); ++i) {
            const bool hp = ds == "mnist" && (betas[i] == 0.05 || betas[i] == 1.0 || betas[i] == 10.0);
            s.rows.push_back({fmt::format("β = {}: TL(μ) at the best epoch (final epoch {})", betas[i], epochs),
                              fmt_num(best_tl[i], 3) + " (" + fmt_num(final_tl[i], 3) + ")",
                              hp ? fmt_num(betas[i] == 0.05 ? 0.61 : betas[i] == 1.0 ? 0.58 : 0.51, 2) : "—",
                              hp ? "paper's Figure 5 label" : "not in the paper"});
            s.rows.push_back({fmt::format("β = {}: reconstruction error of the two end images", betas[i]), fmt_num(end_err[i], 4),
                              "β = 10 \"blurry and unfaithful\"", "paper text"});
        }
    }
    // The ordering claim over the βs run.
    std::vector<std::size_t> ord(betas.size());
    for (std::size_t i = 0; i < ord.size(); ++i) ord[i] = i;
    std::sort(ord.begin(), ord.end(), [&](std::size_t a, std::size_t b) { return betas[a] < betas[b]; });
    bool dec = ord.size() >= 2;
    std::string seq;
    for (std::size_t k = 0; k < ord.size(); ++k) {
        if (k && !(final_tl[ord[k]] < final_tl[ord[k - 1]])) dec = false;
        seq += (k ? " > " : "") + fmt::format("{} (β={})", fmt_num(final_tl[ord[k]], 3), betas[ord[k]]);
    }
    s.claims.push_back({"TL of μ at the final epoch decreases as β grows", dec, seq});
    if (fig10) {
        const double lo = final_val[ord.front()], hi = final_val[ord.back()];
        s.claims.push_back({"Validation reconstruction error grows with β (smallest β vs largest)", lo < hi,
                            fmt::format("{:.1f} (β={}) vs {:.1f} (β={})", lo, betas[ord.front()], hi, betas[ord.back()])});
    }
    if (ds != "mnist" && ds != "cifar10")
        s.differences.push_back(fmt::format("{} is not in the paper's VAE figures (MNIST, CIFAR-10).", ds));
    const long paper_epochs = ds == "cifar10" ? 30 : 10;
    if (epochs != paper_epochs) s.differences.push_back(fmt::format("{} epochs instead of {} (preset {}).", epochs, paper_epochs, ctx.config.value("preset", "")));
    if (split.train.size() < 50000)
        s.differences.push_back(fmt::format("Trained on a seeded subset of {} training images.", split.train.size()));
    if (ctx.get<double>("lr") != 1e-4)
        s.differences.push_back(fmt::format("Adam lr {} instead of 1e-4 (preset {}), so that the short run trains the decoder far enough "
                                            "to show digits.", ctx.get<double>("lr"), ctx.config.value("preset", "")));
    s.differences.push_back("Validation z is sampled from a fixed seed per epoch (the paper samples from the global RNG).");
    return s;
}

class VaeFigure : public Figure {
   public:
    explicit VaeFigure(bool fig10) : fig10_(fig10) {}
    FigureInfo info() const override {
        FigureInfo i;
        i.id = fig10_ ? "fig10" : "fig5";
        i.title = fig10_ ? "β-VAE: TL of μ and reconstruction over epochs" : "β-VAE latent interpolation";
        i.shows = fig10_ ? "per β, train/validation reconstruction error and TL(μ, pixels) per epoch, and decoded test images of "
                           "classes 0–7; TL falls as β grows"
                         : "decoded interpolations 2 → 8 for β = 0.05, 1, 10 with TL(μ) in the row titles; low β is smoother";
        i.datasets = {"mnist", "fashion-mnist", "cifar10"};
        i.preset_datasets = {{"smoke", {"mnist"}}, {"quick", {"mnist"}}, {"paper", {"mnist", "fashion-mnist", "cifar10"}}};
        i.estimate = {{"smoke", "~10 s"}, {"quick", fig10_ ? "~5 s after fig5" : "~2 min"}, {"paper", fig10_ ? "~50 min" : "~40 min"}};
        return i;
    }
    json defaults(const std::string& preset, const std::string& dataset) const override {
        json d = {{"seeds", {0}}, {"epochs", dataset == "cifar10" ? 30 : 10}, {"lr", 1e-4}, {"batch_size", 128},
                  {"betas", fig10_ ? json({0.05, 0.1, 0.5, 1.0, 5.0, 10.0}) : json({0.05, 1.0, 10.0})},
                  {"train_subset", 0}, {"subset_seed", 0}, {"tl_samples", 10000}, {"tl_seed", 0}};
        if (!fig10_) {
            d["class_left"] = 2;
            d["class_right"] = 8;
            d["steps"] = 10;
        }
        if (preset == "smoke") {
            d["epochs"] = 1;
            d["train_subset"] = 1000;
            d["tl_samples"] = 500;
            d["betas"] = {0.05, 10.0};
        } else if (preset == "quick") {
            d["epochs"] = 4;
            d["lr"] = 1e-3;  // 628 steps at 1e-4 leave every β blurry; 1e-3 compresses the paper's 4,690 steps
            d["train_subset"] = 20000;
            d["tl_samples"] = 5000;
            d["betas"] = {0.05, 1.0, 10.0};
        }
        return d;
    }
    void check(const json& c) const override {
        const auto betas = c.at("betas").get<std::vector<double>>();
        if (betas.empty()) throw UsageError("config 'betas': [] (expected at least one β in [0, 1000])");
        for (double b : betas)
            if (!(b >= 0 && b <= 1000)) throw UsageError(fmt::format("config 'betas': {} is not in [0, 1000]", b));
        if (c.at("tl_samples").get<long>() < 2)
            throw UsageError(fmt::format("config 'tl_samples': {} (expected an integer >= 2)", c.at("tl_samples").dump()));
        if (fig10_) return;
        for (const char* k : {"class_left", "class_right"})
            if (c.at(k).get<long>() > 9) throw UsageError(fmt::format("config '{}': {} (expected a class in [0, 9])", k, c.at(k).dump()));
        if (c.at("steps").get<long>() < 2 || c.at("steps").get<long>() > 100)
            throw UsageError(fmt::format("config 'steps': {} (expected an integer in [2, 100])", c.at("steps").dump()));
    }
    Summary run(RunContext& ctx) const override {
        return ctx.use_double() ? run_vae<double>(ctx, fig10_) : run_vae<float>(ctx, fig10_);
    }

   private:
    bool fig10_;
};

const bool gt_registered_fig5 = register_figure(std::make_unique<VaeFigure>(false));
const bool gt_registered_fig10 = register_figure(std::make_unique<VaeFigure>(true));

}  // namespace
}  // namespace gt::experiments
