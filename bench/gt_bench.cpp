// gt_bench: times one workload of gramtape and prints one JSON object on stdout.
//
//     gt_bench --workload mlp --threads 1 --dtype float32 [--smoke] [--data-dir data]
//
// Workloads (docs/performance.md has the exact setups; bench/torch_reference.py mirrors each one):
//   mlp         one MNIST epoch of the Figure 2 MLP 784→256→256→10, GELU, SGD(0.01, momentum 0.95), batch 64
//   mlp-whiten  the same with the Gram-whitened update (10 quintic Newton–Schulz steps per 2-D weight)
//   mlp4        one epoch of the Figure 4 MLP 784→256×4→10, SGD(0.0005, momentum 0.8), batch 64
//   cnn         one epoch of the Figure 6 CNN (3 convs 3×3, 16 channels, pool after 0 and 2), batch 64
//   vae         one VAE epoch (784→512→512→32 ×2 → 512→512→784), Adam(1e-4), batch 128, β = 1
//   metrics     TL and surrogate for the 4 hidden layers of the mlp4 network on all 60,000 training
//               images (forward in batches of 1000, streaming moments; no N×N, no N×d kept)
//   vcs         ΣVCS of the first layer (784×784) over one epoch of a 784→256→10 GELU MLP, SGD(0.05),
//               batch 64: each step adds x̃ᵀx̃ − xᵀx with x̃ = x − γ·∂L/∂x
//   transformer one fine-tuning epoch of Figure 11's quick encoder (4 post-LN layers, d_model 128, 4 heads,
//               d_ff 512, GELU, max_len 64, vocabulary ≤ 5,000, dropout 0.1) with its [CLS] classifier on
//               the first 2000 spam training examples, batch 32 (63 steps), AdamW lr 2e-4 (decay 0.01),
//               10 % warmup then linear decay, gradients clipped to norm 1 — the figure's recipe_step
//   peak        the FMA peak of this machine (a register-only FMA loop per thread)
// The MNIST epoch order is the BatchLoader's (seed 0); --write-order FILE saves it (uint32) for the
// PyTorch side, which then feeds the same batches in the same order. The transformer's batches (ids
// padded to each batch's longest example, padding flags, labels) are saved whole by --write-batches.
#include <immintrin.h>
#include <sys/resource.h>

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "analysis/streaming.hpp"
#include "analysis/covariance_tracking.hpp"
#include "analysis/target_linearity.hpp"
#include "autodiff/cpu_features.hpp"
#include "autodiff/gemm.hpp"
#include "autodiff/ops_activation.hpp"
#include "autodiff/ops_conv.hpp"
#include "autodiff/ops_linalg.hpp"
#include "datasets/loader.hpp"
#include "datasets/registry.hpp"
#include "datasets/text.hpp"
#include "experiments/text_encoder.hpp"
#include "nn/nn.hpp"
#include "platform/blas_kernel.hpp"

namespace {

using json = nlohmann::json;

double now() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double thread_cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

long peak_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // kilobytes on Linux
}

struct Config {
    std::string workload = "mlp";
    int threads = 1;
    std::string dtype = "float32";
    bool smoke = false;
    std::string data_dir = "data";
    std::string write_order;
    std::string write_batches;
    double dropout = 0.1;          // transformer
    std::size_t max_vocab = 5000;  // transformer: the quick preset's vocabulary, special tokens included
    std::size_t smoke_batches = 5;
    std::string conv = "auto";
};

// GEMM FLOPs of one training step of a stack of Linear layers (in, out): forward 2·B·in·out,
// weight gradient 2·B·in·out, input gradient 2·B·in·out for every layer but the first (x needs none).
double linear_train_flops(const std::vector<std::pair<std::size_t, std::size_t>>& layers, std::size_t B,
                          bool input_grad = false) {
    double f = 0;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const double mac = double(B) * double(layers[l].first) * double(layers[l].second);
        f += 2 * mac * ((l > 0 || input_grad) ? 3 : 2);
    }
    return f;
}

std::vector<std::pair<std::size_t, std::size_t>> mlp_layers(std::size_t in, std::size_t h, std::size_t out,
                                                            std::size_t hidden) {
    std::vector<std::pair<std::size_t, std::size_t>> r;
    for (std::size_t l = 0; l <= hidden; ++l) r.push_back({l == 0 ? in : h, l == hidden ? out : h});
    return r;
}

template <class T>
void write_order(const std::string& path, const gt::data::BatchLoader<T>& loader) {
    std::vector<std::uint32_t> o(loader.order().begin(), loader.order().end());
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(o.data()), std::streamsize(o.size() * sizeof(std::uint32_t)));
    if (!f) throw gt::IoError("gt_bench: cannot write the batch order to " + path);
}

// The one epoch a workload times: the BatchLoader's first epoch (seed 0), started (and its order saved)
// before timing, limited to `limit` batches (smoke mode).
template <class T>
struct Batches {
    gt::data::BatchLoader<T> loader;
    std::size_t limit, served = 0;
    Batches(const gt::data::Dataset<T>& d, std::size_t batch, const Config& c)
        : loader(d, batch, true, 0), limit(c.smoke ? c.smoke_batches : std::size_t(-1)) {
        loader.start_epoch();
        if (!c.write_order.empty()) write_order(c.write_order, loader);
    }
    void start_epoch() { served = 0; }
    bool next(gt::Tensor<T>& x, gt::Labels& y) { return served++ < limit && loader.next(x, y); }
};

struct Result {
    double cpu_seconds = 0;  // process CPU time of the timed region (all threads)
    double seconds = 0, flops = 0, loss = 0;
    std::size_t steps = 0, samples = 0;
    gt::GemmStats gemm;  // BLAS calls inside the timed region
    json extra = json::object();
};

// Times nn::train_epoch over `batches` on make_loss(tape, x, y); `after_backward` may be empty.
// Result::loss is the mean per sample (the last batch may be short).
template <class T, class MakeLoss>
Result timed_epoch(Batches<T>& batches, gt::nn::Optimizer<T>& opt, MakeLoss&& make_loss,
                   std::function<void(gt::Tape<T>&)> after_backward = {}) {
    gt::Tape<T> tape;
    Result r;
    std::size_t batch = 0;
    double loss_sum = 0;
    gt::nn::StepHooks<T> hooks{std::move(after_backward), [&](long, double loss) {
                                   loss_sum += loss * double(batch);
                                   r.samples += batch;
                                   ++r.steps;
                               }};
    long step = 0;
    gt::reset_gemm_stats();
    const double t0 = now(), c0 = cpu_now();
    gt::nn::train_epoch(batches, tape, opt, [&](gt::Tape<T>& t, const gt::Tensor<T>& x, const gt::Labels& y) {
        batch = x.shape(0);
        return make_loss(t, x, y);
    }, {"gt_bench", 1}, step, hooks);
    r.seconds = now() - t0;
    r.gemm = gt::gemm_stats();
    r.cpu_seconds = cpu_now() - c0;
    r.loss = r.samples ? loss_sum / double(r.samples) : std::nan("");
    return r;
}

template <class T>
Result train_classifier(const Config& c, const gt::data::Split<T>& data, const std::string& kind) {
    using namespace gt;
    Rng rng(0);
    Batches<T> batches(data.train, 64, c);
    std::unique_ptr<nn::Module<T>> model;
    std::function<Var<T>(Tape<T>&, Var<T>)> logits_of;
    std::unique_ptr<nn::Optimizer<T>> opt;
    double step_flops = 0;
    Var<T> xin;  // vcs: the input leaf of the current step
    std::unique_ptr<analysis::VcsAccumulator<T>> vcs;
    T vcs_lr = T(0.05);
    if (kind == "cnn") {
        auto* m = new nn::CNN<T>(1, 28, 28, 10, rng, nn::CNNOptions{});
        model.reset(m);
        logits_of = [m](Tape<T>& t, Var<T> x) { return m->forward(t, x).logits; };
        opt = std::make_unique<nn::SGD<T>>(m->parameters(), nn::SGDOptions{0.01, 0.95});
        // conv l: Cin → 16 over L outputs (D = Cin·9); forward, ∂W, and ∂x except for conv 0; fc 784→10.
        const double B = 64;
        const double conv0 = 2 * B * 16 * 9 * 784, conv1 = 2 * B * 16 * 144 * 196, conv2 = conv1;
        step_flops = 2 * conv0 + 3 * conv1 + 3 * conv2 + 3 * 2 * B * 784 * 10;
    } else {
        std::size_t hidden = 2;
        if (kind == "mlp4") hidden = 4;
        if (kind == "vcs") hidden = 1;
        auto* m = new nn::DNN<T>(784, 256, 10, hidden, true, nn::Activation::GELU, rng);
        model.reset(m);
        logits_of = [m](Tape<T>& t, Var<T> x) { return m->forward(t, x).logits; };
        if (kind == "vcs") vcs = std::make_unique<analysis::VcsAccumulator<T>>(784);
        nn::SGDOptions so{0.01, 0.95};
        if (kind == "mlp4") so = nn::SGDOptions{0.0005, 0.8};
        if (kind == "vcs") so = nn::SGDOptions{0.05, 0.0};
        auto sgd = std::make_unique<nn::SGD<T>>(m->parameters(), so);
        if (kind == "mlp-whiten") {
            nn::GramWhitenOptions wo;
            wo.track_deviation = false;  // the paper's code does not compute it
            opt = std::make_unique<nn::GramWhiten<T>>(std::move(sgd), wo);
        } else {
            opt = std::move(sgd);
        }
        const auto layers = mlp_layers(784, 256, 10, hidden);
        step_flops = linear_train_flops(layers, 64, kind == "vcs");
        if (kind == "mlp-whiten")
            for (const auto& [in, out] : layers) {  // W1·W2ᵀ, 10 × (XᵀX, S², X·P), Q·W2 (FLOPs executed)
                const double m_ = double(out), n_ = double(in);
                step_flops += 2 * m_ * m_ * n_ * 2 + 10 * 4 * m_ * m_ * m_;  // syrk XᵀX, syrk S², GEMM X·P
            }
        if (kind == "vcs") step_flops += 2 * 2 * 64.0 * 784 * 784;  // x̃ᵀx̃ and xᵀx
    }
    std::size_t correct = 0;  // training accuracy, from each step's logits
    auto loss = [&](Tape<T>& t, const Tensor<T>& x, const Labels& y) {
        xin = t.input(x, vcs != nullptr);  // vcs needs ∂L/∂x
        const Var<T> logits = logits_of(t, xin);
        correct += nn::count_correct(logits.value(), y);
        return nn::cross_entropy_loss(logits, y);
    };
    std::function<void(Tape<T>&)> after_backward;
    if (vcs) after_backward = [&](Tape<T>& t) { vcs->add(t, xin, vcs_lr); };
    Result r = timed_epoch(batches, *opt, loss, after_backward);
    // The last batch of an epoch may be short: scale the per-step count by samples.
    r.flops = step_flops * double(r.samples) / 64.0;
    r.extra["accuracy"] = r.samples ? double(correct) / double(r.samples) : std::nan("");
    if (vcs) {
        double tr = 0;
        for (std::size_t i = 0; i < 784; ++i) tr += double(vcs->total()(i, i));
        r.extra["vcs_trace"] = tr;
    }
    return r;
}

template <class T>
Result train_vae(const Config& c, const gt::data::Split<T>& data) {
    using namespace gt;
    Rng rng(0), noise(1);
    Batches<T> batches(data.train, 128, c);
    nn::VAE<T> vae(784, rng);
    nn::AdamOptions ao;
    ao.lr = 1e-4;
    nn::Adam<T> opt(vae.parameters(), ao);
    Result r = timed_epoch(batches, opt, [&](Tape<T>& t, const Tensor<T>& x, const Labels&) {
        auto o = vae.forward(t, t.input(x), noise);
        return nn::vae_loss(o.recon, o.x, o.mu, o.logvar, T(1));
    });
    const std::vector<std::pair<std::size_t, std::size_t>> layers = {
        {784, 512}, {512, 512}, {512, 32}, {512, 32}, {32, 512}, {512, 512}, {512, 784}};
    r.flops = linear_train_flops(layers, r.samples);  // every layer but the first also gives ∂input
    return r;
}

template <class T>
Result layer_metrics(const Config& c, const gt::data::Split<T>& data) {
    using namespace gt;
    Rng rng(0);
    nn::DNN<T> model(784, 256, 10, 4, true, nn::Activation::GELU, rng);
    const data::Dataset<T>& d = data.train;
    const std::size_t N = c.smoke ? 2000 : d.size(), bs = 1000, width = 256, C = 10;
    Labels labels(d.y.begin(), d.y.begin() + std::ptrdiff_t(N));
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    Tensor<T> x, y;
    gt::reset_gemm_stats();
    const double t0 = now(), c0 = cpu_now();
    const Tensor<T> ycent = analysis::centred_one_hot<T>(labels, C);
    std::vector<analysis::LayerStatistics<T>> stats;
    for (std::size_t l = 0; l < 4; ++l) stats.emplace_back(width, C, "layer " + std::to_string(l + 1));
    for (std::size_t s = 0; s < N; s += bs) {
        const std::size_t n = std::min(bs, N - s);
        x.resize({n, 784});
        std::copy(d.x.data() + s * 784, d.x.data() + (s + n) * 784, x.data());
        y.resize({n, C});
        std::copy(ycent.data() + s * C, ycent.data() + (s + n) * C, y.data());
        tape.reset();
        auto o = model.forward(tape, tape.input(x));
        for (std::size_t l = 0; l < 4; ++l) stats[l].add(o.hidden[l].value(), y);
    }
    auto linears = model.linears();
    json tl = json::array(), sur = json::array();
    json failed = json::array();
    for (std::size_t l = 0; l < 4; ++l) {
        try {  // at initialisation the deepest float32 Gram can be numerically singular: report, keep timing
            tl.push_back(stats[l].target_linearity().tl);
        } catch (const ValueError& e) {
            tl.push_back(nullptr);
            failed.push_back(e.what());
        }
        sur.push_back(stats[l].surrogate(linears[l + 1]->weight.value).s);
    }
    Result r;
    r.seconds = now() - t0;
    r.gemm = gt::gemm_stats();
    r.cpu_seconds = cpu_now() - c0;
    r.samples = N;
    r.steps = (N + bs - 1) / bs;
    // forward GEMMs + HᵀH (general GEMM, d²) and HᵀY per layer
    r.flops = 2.0 * N * (784 * 256 + 3 * 256 * 256 + 256 * 10) + 4 * (2.0 * N * width * width + 2.0 * N * width * C);
    r.extra["tl"] = tl;
    r.extra["surrogate"] = sur;
    if (!failed.empty()) r.extra["tl_errors"] = failed;
    return r;
}

// The token batches of the transformer epoch, for the PyTorch side: int32 little-endian throughout,
//   header  magic 0x42544754 ("GTTB"), version 1, batches, vocabulary size, classes
//   batch   B, T, then B·T ids, B·T padding flags (1 = [PAD]), B labels (row-major)
void write_text_batches(const std::string& path, const std::vector<gt::experiments::TextBatch>& batches,
                        std::size_t vocab_size, std::size_t classes) {
    std::vector<std::int32_t> w{0x42544754, 1, std::int32_t(batches.size()), std::int32_t(vocab_size),
                                std::int32_t(classes)};
    for (const auto& b : batches) {
        w.push_back(std::int32_t(b.tokens.batch));
        w.push_back(std::int32_t(b.tokens.length));
        w.insert(w.end(), b.tokens.ids.begin(), b.tokens.ids.end());
        w.insert(w.end(), b.tokens.padding.begin(), b.tokens.padding.end());
        w.insert(w.end(), b.labels.begin(), b.labels.end());
    }
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(w.data()), std::streamsize(w.size() * sizeof(std::int32_t)));
    if (!f) throw gt::IoError("cannot write the token batches to " + path);
}

// GEMM FLOPs of one training step of the encoder + [CLS] classifier on a (B, T) batch. Every map also
// gives its input gradient (the embedding tables are trained), so each linear map costs 6 FLOPs per
// multiply-add of its forward:
//   maps      6·B·T·L·(4·D² + 2·D·F)          (query, key, value, output; ff1, ff2) on all B·T positions
//   attention 3 · 2 · 2·B·H·T²·dh = 12·B·T²·D per layer: S = QKᵀ and O = PV forward (2·B·H·T²·dh each),
//             dP, dV, dQ, dK backward (twice the forward)
//   head      6·B·(D² + D·C)                   (pooler and classifier on the B [CLS] rows)
// Padding positions are computed like the others on both sides (padded to the batch's longest example).
double encoder_train_flops(const gt::nn::EncoderConfig& e, std::size_t classes, std::size_t B, std::size_t T) {
    const double b = double(B), t = double(T), D = double(e.d_model), F = double(e.d_ff), L = double(e.layers);
    return 6 * b * t * L * (4 * D * D + 2 * D * F) + 12 * b * t * t * D * L + 6 * b * (D * D + D * double(classes));
}

template <class T>
Result train_transformer(const Config& c) {
    using namespace gt;
    data::TextOptions text;  // Figure 11's quick preset
    text.max_len = 64;
    text.max_vocab = c.max_vocab;
    text.min_count = 2;
    text.seed = 0;
    const data::TextCorpora corpora = data::load_text_corpora(c.data_dir, text);
    const data::TextTask task = data::spam_task(corpora, text);
    const std::size_t n = std::min<std::size_t>(2000, task.train.size()), batch = 32;
    // The figure's fine-tuning order of its first task (stream 100) in epoch 1, over the first n examples.
    const std::vector<std::size_t> order = experiments::epoch_order(n, 0, 100, 1);
    std::vector<experiments::TextBatch> batches((n + batch - 1) / batch);
    for (std::size_t i = 0; i < batches.size(); ++i)
        experiments::make_text_batch(task.train, order, i * batch, std::min(n, (i + 1) * batch), false, batches[i]);
    if (!c.write_batches.empty()) write_text_batches(c.write_batches, batches, corpora.vocab.size(), task.classes.size());

    nn::EncoderConfig ec;
    ec.vocab_size = corpora.vocab.size();
    ec.max_len = text.max_len;
    ec.d_model = 128;
    ec.heads = 4;
    ec.layers = 4;
    ec.d_ff = 512;
    ec.dropout = c.dropout;
    Rng rng(0);
    nn::TransformerEncoder<T> encoder(ec, rng);
    nn::SequenceClassifier<T> head(ec, task.classes.size(), rng);
    std::vector<nn::Parameter<T>*> params = encoder.parameters();
    for (nn::Parameter<T>* p : head.parameters()) params.push_back(p);
    // The schedule spans the whole epoch, also in smoke mode (which stops after a few of its steps).
    experiments::Recipe recipe{2e-4, 0.01, 0.1, 1.0, long(batches.size())};
    nn::AdamW<T> opt(params, nn::AdamOptions{recipe.lr, 0.9, 0.999, 1e-8, recipe.weight_decay});
    Rng draws = experiments::epoch_rng(0, 200, 1);  // dropout
    const std::size_t steps = c.smoke ? std::min(c.smoke_batches, batches.size()) : batches.size();

    Tape<T> tape;
    Result r;
    long step = 0;
    std::size_t correct = 0, tokens = 0, positions = 0;
    double loss_sum = 0;
    // Where a step's time goes (wall clock, and the part of it inside BLAS calls), split by a lap at the
    // start of the forward, after the loss, after clipping and after the update: forward (encoder, head,
    // loss) | backward and clipping | AdamW update (with the tape reset, zero_grad and the schedule that
    // come before the next forward).
    enum Phase { kForward, kBackward, kUpdate, kPhases };
    double phase_s[kPhases] = {}, phase_gemm_s[kPhases] = {};
    double mark = 0, mark_gemm = 0;
    auto lap = [&](Phase ph) {
        const double t = now(), g = gt::gemm_stats().seconds;
        phase_s[ph] += t - mark;
        phase_gemm_s[ph] += g - mark_gemm;
        mark = t;
        mark_gemm = g;
    };
    const std::function<void(Tape<T>&)> after_clip = [&](Tape<T>&) { lap(kBackward); };
    gt::reset_gemm_stats();
    const double t0 = now(), c0 = cpu_now();
    mark = t0;
    for (std::size_t i = 0; i < steps; ++i) {
        const experiments::TextBatch& b = batches[i];
        const double loss = experiments::recipe_step<T>(tape, opt, recipe, [&](Tape<T>& t) {
            lap(kUpdate);
            const nn::EncoderOutput<T>& out = encoder.forward(t, b.tokens, &draws);
            const Var<T> logits = head.forward(t, out.hidden.back(), &draws);
            correct += nn::count_correct(logits.value(), b.labels);
            const Var<T> loss = cross_entropy(logits, b.labels);
            lap(kForward);
            return loss;
        }, {"gt_bench", 1}, step, after_clip);
        lap(kUpdate);
        loss_sum += loss * double(b.tokens.batch);
        r.samples += b.tokens.batch;
        for (std::uint8_t pad : b.tokens.padding) tokens += pad == 0;
        positions += b.tokens.batch * b.tokens.length;
        r.flops += encoder_train_flops(ec, task.classes.size(), b.tokens.batch, b.tokens.length);
    }
    r.seconds = now() - t0;
    r.gemm = gt::gemm_stats();
    r.cpu_seconds = cpu_now() - c0;
    r.steps = steps;
    r.loss = r.samples ? loss_sum / double(r.samples) : std::nan("");
    r.extra["accuracy"] = r.samples ? double(correct) / double(r.samples) : std::nan("");
    r.extra["tokens"] = tokens;        // non-padding tokens, [CLS] included
    r.extra["positions"] = positions;  // B·T summed over the steps (padding included)
    r.extra["vocab_size"] = ec.vocab_size;
    r.extra["dropout"] = ec.dropout;
    const char* names[kPhases] = {"forward", "backward_clip", "update"};
    for (int ph = 0; ph < kPhases; ++ph) {
        r.extra["phase_seconds"][names[ph]] = phase_s[ph];
        r.extra["phase_gemm_seconds"][names[ph]] = phase_gemm_s[ph];
    }
    return r;
}

// FMA peak: K independent accumulator vectors per thread, all in registers (the loop body is pure
// vfmadd: the empty asm keeps each chain in a register without adding instructions). Timed in thread
// CPU time, so other processes on a loaded machine do not lower the ceiling.
// Explicit FMA intrinsics: in ISO C++ mode GCC does not contract a*b + c into one FMA instruction.
#define GT_FMA_LOOP(NAME, TARGET, VEC, T, W, SET1, FMA, GET0)                               \
    __attribute__((target(TARGET))) double NAME(double seconds) {                        \
        constexpr int K = 12; /* independent chains, named so they stay in registers */   \
        const VEC a = SET1(T(0.999999)), b = SET1(T(1e-7));                               \
        VEC c0 = SET1(T(0)), c1 = SET1(T(1)), c2 = SET1(T(2)), c3 = SET1(T(3));           \
        VEC c4 = SET1(T(4)), c5 = SET1(T(5)), c6 = SET1(T(6)), c7 = SET1(T(7));           \
        VEC c8 = SET1(T(8)), c9 = SET1(T(9)), c10 = SET1(T(10)), c11 = SET1(T(11));       \
        const long iters = 1 << 20;                                                       \
        long reps = 0;                                                                    \
        const double t0 = thread_cpu_now();                                               \
        double t1;                                                                        \
        do {                                                                              \
            for (long it = 0; it < iters; ++it) {                                         \
                c0 = FMA(c0, a, b); c1 = FMA(c1, a, b); c2 = FMA(c2, a, b);               \
                c3 = FMA(c3, a, b); c4 = FMA(c4, a, b); c5 = FMA(c5, a, b);               \
                c6 = FMA(c6, a, b); c7 = FMA(c7, a, b); c8 = FMA(c8, a, b);               \
                c9 = FMA(c9, a, b); c10 = FMA(c10, a, b); c11 = FMA(c11, a, b);           \
                asm volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4),      \
                             "+v"(c5), "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), \
                             "+v"(c11));                                                   \
            }                                                                             \
            ++reps;                                                                       \
            t1 = thread_cpu_now();                                                        \
        } while (t1 - t0 < seconds);                                                      \
        const T sink = GET0(c0) + GET0(c1) + GET0(c2) + GET0(c3) + GET0(c4) + GET0(c5) +  \
                       GET0(c6) + GET0(c7) + GET0(c8) + GET0(c9) + GET0(c10) + GET0(c11); \
        if (sink == T(42)) std::puts("");                                                 \
        return 2.0 * W * K * double(iters) * double(reps) / (t1 - t0);                    \
    }
GT_FMA_LOOP(fma512_f32, "avx512f,fma", __m512, float, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_cvtss_f32)
GT_FMA_LOOP(fma512_f64, "avx512f,fma", __m512d, double, 8, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_cvtsd_f64)
GT_FMA_LOOP(fma256_f32, "avx2,fma", __m256, float, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_cvtss_f32)
GT_FMA_LOOP(fma256_f64, "avx2,fma", __m256d, double, 4, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_cvtsd_f64)
#undef GT_FMA_LOOP

template <class T>
double fma_peak_thread(double seconds) {
    const bool avx512 = gt::has_avx512f();
    if constexpr (sizeof(T) == 4) return avx512 ? fma512_f32(seconds) : fma256_f32(seconds);
    else return avx512 ? fma512_f64(seconds) : fma256_f64(seconds);
}

template <class T>
Result fma_peak(const Config& c) {
    const double secs = c.smoke ? 0.05 : 1.0;
    std::vector<double> per(c.threads);
    std::vector<std::thread> ts;
    for (int i = 0; i < c.threads; ++i) ts.emplace_back([&per, i, secs] { per[i] = fma_peak_thread<T>(secs); });
    for (auto& t : ts) t.join();
    Result r;
    double total = 0;
    for (double p : per) total += p;
    r.seconds = secs;
    r.flops = total * secs;
    r.extra["per_thread_gflops"] = per;
    return r;
}

template <class T>
Result run(const Config& c) {
    if (c.workload == "peak") return fma_peak<T>(c);
    if (c.workload == "transformer") return train_transformer<T>(c);
    gt::data::LoadOptions lo;
    lo.data_dir = c.data_dir;
    const gt::data::Split<T> data = gt::data::load<T>("mnist", lo);
    if (c.workload == "vae") return train_vae<T>(c, data);
    if (c.workload == "metrics") return layer_metrics<T>(c, data);
    return train_classifier<T>(c, data, c.workload);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string kernel = gt::select_blas_kernel(argv);
    Config c;
    CLI::App app{"gt_bench: time one gramtape workload, print JSON"};
    app.add_option("--workload", c.workload, "mlp | mlp-whiten | mlp4 | cnn | vae | metrics | vcs | transformer | peak")
        ->check(CLI::IsMember({"mlp", "mlp-whiten", "mlp4", "cnn", "vae", "metrics", "vcs", "transformer", "peak"}));
    app.add_option("--threads", c.threads, "threads: the GEMM wrapper's block split and the direct convolution's batch split")->check(CLI::Range(1, 256));
    app.add_option("--dtype", c.dtype, "float32 | float64")->check(CLI::IsMember({"float32", "float64"}));
    app.add_flag("--smoke", c.smoke, "a few batches only (keeps the benchmark working in the test suite)");
    app.add_option("--smoke-batches", c.smoke_batches, "batches per workload in smoke mode");
    app.add_option("--data-dir", c.data_dir, "folder holding mnist/ (transformer: brown/ and spam-assassin/)");
    app.add_option("--write-order", c.write_order, "write the epoch's sample order (uint32) to this file");
    app.add_option("--write-batches", c.write_batches,
                   "transformer: write the epoch's token batches (all of them, also in smoke mode) to this file");
    app.add_option("--dropout", c.dropout, "transformer: dropout probability (the figure's 0.1)")->check(CLI::Range(0.0, 0.99));
    app.add_option("--max-vocab", c.max_vocab, "transformer: vocabulary size limit (the quick preset's 5000)")
        ->check(CLI::Range(std::size_t(5), std::size_t(1) << 24));
    app.add_option("--conv", c.conv, "conv2d implementation: auto | im2col | direct (gt::set_conv_algorithm)")
        ->check(CLI::IsMember({"auto", "im2col", "direct"}));
    CLI11_PARSE(app, argc, argv);
    try {
        gt::set_num_threads(c.threads);
        gt::set_conv_algorithm(c.conv == "im2col"   ? gt::ConvAlgorithm::Im2col
                               : c.conv == "direct" ? gt::ConvAlgorithm::Direct
                                                    : gt::ConvAlgorithm::Auto);
        gt::set_gemm_accounting(true);  // two clock reads per BLAS call
        const long rss0 = peak_rss_kb();
        const Result r = c.dtype == "float64" ? run<double>(c) : run<float>(c);
        json j;
        j["impl"] = "gramtape";
        j["workload"] = c.workload;
        j["dtype"] = c.dtype;
        j["threads"] = c.threads;
        j["smoke"] = c.smoke;
        j["seconds"] = r.seconds;
        j["cpu_seconds"] = r.cpu_seconds;
        j["flops"] = r.flops;
        j["gflops_per_s"] = r.seconds > 0 ? r.flops / r.seconds / 1e9 : 0.0;
        j["gemm_flops"] = r.gemm.flops;  // as BLAS executes them (may differ from `flops`, the algorithm's count)
        j["gemm_seconds"] = r.gemm.seconds;
        j["gemm_calls"] = r.gemm.calls;
        j["steps"] = r.steps;
        j["samples"] = r.samples;
        j["loss"] = r.loss;
        j["peak_rss_kb"] = peak_rss_kb();
        j["rss_before_kb"] = rss0;
        j["blas_kernel"] = kernel;
        j["openblas_coretype_env"] = std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "";
        j["extra"] = r.extra;
        if (c.workload == "cnn") j["extra"]["conv"] = c.conv;
        std::printf("%s\n", j.dump().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gt_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
