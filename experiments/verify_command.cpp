#include "experiments/verify_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <optional>

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "analysis/feature_learning.hpp"
#include "analysis/gram_shift.hpp"
#include "autodiff/autodiff.hpp"
#include "autodiff/gemm.hpp"
#include "experiments/figure.hpp"
#include "experiments/memory_budget.hpp"
#include "experiments/text_encoder.hpp"
#include "nn/conv.hpp"
#include "nn/dnn.hpp"
#include "nn/transformer.hpp"

namespace gt::experiments {

namespace {

const char* model_name(VerifyModel m) {
    return m == VerifyModel::MLP ? "mlp" : m == VerifyModel::CNN ? "cnn" : "transformer";
}
const char* dtype_name(VerifyDtype d) { return d == VerifyDtype::Float ? "float" : "double"; }

/// A flag taking one of the named values (any other is refused with CLI11's "x not in {...}").
template <class E>
void add_choice(CLI::App* app, const std::string& flag, E& out, const std::vector<std::pair<std::string, E>>& choices,
                const std::string& help) {
    std::vector<std::string> names;
    std::string shown;
    for (const auto& [name, e] : choices) {
        names.push_back(name);
        if (e == out) shown = name;
    }
    auto set = [&out, choices](const std::string& v) {
        for (const auto& [name, e] : choices)
            if (name == v) out = e;
    };
    app->add_option_function<std::string>(flag, set, help)->check(CLI::IsMember(names))->default_str(shown);
}

}  // namespace

void add_verify_flags(CLI::App* app, VerifySettings& s) {
    using nn::Activation;
    add_choice<VerifyModel>(app, "--model", s.model,
                            {{"mlp", VerifyModel::MLP}, {"cnn", VerifyModel::CNN}, {"transformer", VerifyModel::Transformer}},
                            "mlp, cnn or transformer");
    app->add_option("--depth", s.depth, "weight layers, classifier included (transformer: encoder layers)")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    app->add_option("--width", s.width, "hidden units (mlp), channels (cnn) or d_model (transformer)")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    app->add_option("--heads", s.heads, "transformer: attention heads (must divide --width)")->check(CLI::Range(1, 64))->capture_default_str();
    app->add_option("--seq-len", s.seq_len, "transformer: tokens per sequence, [CLS] included")->check(CLI::Range(3, 512))->capture_default_str();
    add_choice<Activation>(app, "--activation", s.activation,
                           {{"gelu", Activation::GELU}, {"relu", Activation::ReLU}, {"tanh", Activation::Tanh},
                            {"sigmoid", Activation::Sigmoid}},
                           "gelu, relu, tanh or sigmoid");
    app->add_option("--batch", s.batch, "batch size")->check(CLI::Range(1, 65536))->capture_default_str();
    add_choice<VerifyDtype>(app, "--dtype", s.dtype, {{"float", VerifyDtype::Float}, {"double", VerifyDtype::Double}},
                            "float or double");
    app->add_option("--lr", s.lr, "step size γ of Theorem 1")->check(CLI::PositiveNumber)->capture_default_str();
    app->add_option("--seed", s.seed, "random seed")->capture_default_str();
    app->add_option("--threads", s.threads, "BLAS threads")->check(CLI::Range(1, 256))->capture_default_str();
}

namespace {

// One weight layer whose identities are checked: h is the node the weight multiplies (for a conv, the
// unfold node), w the weight.
template <class T>
struct Checked {
    Var<T> h;
    const nn::Parameter<T>* w;
    bool conv;
};

template <class T>
double frobenius(const Tensor<T>& t) {
    double n = 0;
    for (auto v : t) n += double(v) * double(v);
    return std::sqrt(n);
}

template <class T>
std::vector<VerifyRow> run_transformer(const VerifySettings& s) {
    Rng rng(s.seed);
    nn::EncoderConfig cfg;
    cfg.vocab_size = s.vocab;
    cfg.max_len = s.seq_len;
    cfg.d_model = s.width;
    cfg.heads = s.heads;
    cfg.layers = s.depth;
    cfg.d_ff = 2 * s.width;
    cfg.dropout = 0.0;
    nn::TransformerEncoder<T> encoder(cfg, rng);
    nn::SequenceClassifier<T> head(cfg, s.classes, rng);
    nn::TokenBatch batch;
    batch.batch = s.batch;
    batch.length = s.seq_len;
    batch.ids.resize(s.batch * s.seq_len);
    batch.padding.assign(s.batch * s.seq_len, 0);
    for (std::size_t i = 0; i < batch.ids.size(); ++i) batch.ids[i] = int(rng.below(s.vocab));
    for (std::size_t j = s.seq_len - 2; j < s.seq_len; ++j) batch.padding[(s.batch - 1) * s.seq_len + j] = 1;  // padded keys
    Tape<T> tape;
    const nn::EncoderOutput<T>& out = encoder.forward(tape, batch, nullptr, true);
    Labels y(s.batch);
    for (auto& v : y) v = int(rng.below(s.classes));
    tape.backward(cross_entropy(head.forward(tape, out.hidden.back()), y));

    std::vector<VerifyRow> rows;
    const auto& names = nn::encoder_map_names();
    for (std::size_t l = 0; l < cfg.layers; ++l)
        for (std::size_t m = 0; m < names.size(); ++m) {
            const Var<T> h = out.map_inputs[l][m];
            const nn::Linear<T>& map = encoder.map(l, static_cast<nn::EncoderMap>(m));
            const Tensor<T> hv = token_rows(h.value()), hg = token_rows(h.grad());
            const analysis::FlSides<T> fl = analysis::feature_learning(hv, hg, map.weight.value, map.weight.grad);
            const analysis::GramShift<T> gs = analysis::gram_shift(hv, hg, map.weight.value, map.weight.grad, T(s.lr));
            rows.push_back({l + 1, names[m], frobenius(fl.lhs), frobenius(fl.rhs), fl.residual, frobenius(gs.delta_gram),
                            gs.residual_first, gs.residual_exact});
        }
    return rows;
}

template <class T>
std::vector<VerifyRow> run(const VerifySettings& s) {
    if (s.model == VerifyModel::Transformer) return run_transformer<T>(s);
    Rng rng(s.seed);
    Tape<T> tape;
    const std::size_t B = s.batch, S = s.image_size, L = S * S;
    const bool mlp = s.model == VerifyModel::MLP;
    Tensor<T> x = mlp ? Tensor<T>::from_shape({B, s.input_dim}) : Tensor<T>::from_shape({B, 3, S, S});
    for (auto& e : x) e = T(rng.normal());
    Var<T> h = tape.input(std::move(x), true, "x");
    std::vector<Checked<T>> layers;
    std::optional<nn::DNN<T>> dnn;
    std::deque<nn::Conv2d<T>> convs;
    std::optional<nn::Linear<T>> classifier;
    if (mlp && s.depth > 1) {
        dnn.emplace(s.input_dim, s.width, s.classes, s.depth - 1, s.bias, s.activation, rng);
        const nn::MLPOutput<T> out = dnn->forward(tape, h);
        const auto linears = dnn->linears();
        for (std::size_t l = 0; l < linears.size(); ++l) layers.push_back({out.layer_inputs[l], &linears[l]->weight, false});
        h = out.logits;
    } else {  // cnn: convs as unfold → GEMM on patch rows → reshape; then (and for a depth-1 mlp, only) the classifier
        for (std::size_t l = 0; !mlp && l + 1 < s.depth; ++l) {
            nn::Conv2d<T>& conv = convs.emplace_back(l == 0 ? 3 : s.width, s.width, 3, 1, 1, s.bias, rng);
            const std::size_t D = conv.in_channels() * 9, cout = s.width;
            Var<T> u = unfold(h, Conv2dGeometry{3, 3, 1, 1});  // (B, D, L)
            layers.push_back({u, &conv.weight, true});
            Var<T> rows = reshape(permute(u, {0, 2, 1}), {B * L, D});
            Var<T> w = reshape(conv.weight.enter(tape), {cout, D});
            Var<T> z = linear(rows, w, s.bias ? conv.bias.enter(tape) : Var<T>{});
            h = nn::activate(s.activation, reshape(permute(reshape(z, {B, L, cout}), {0, 2, 1}), {B, cout, S, S}));
        }
        h = nn::flatten_batch(h);
        classifier.emplace(h.value().shape()[1], s.classes, s.bias, rng);
        layers.push_back({h, &classifier->weight, false});
        h = classifier->forward(tape, h);
    }
    Labels y(B);
    for (auto& v : y) v = int(rng.below(s.classes));
    tape.backward(cross_entropy(h, y));

    std::vector<VerifyRow> rows;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const Checked<T>& k = layers[l];
        const Tensor<T>&hv = k.h.value(), &hg = k.h.grad(), &wv = k.w->value, &wg = k.w->grad;
        const analysis::FlSides<T> fl =
            k.conv ? analysis::feature_learning_conv(hv, hg, wv, wg) : analysis::feature_learning(hv, hg, wv, wg);
        const analysis::GramShift<T> gs = k.conv ? analysis::gram_shift_conv(hv, hg, wv, wg, T(s.lr))
                                                 : analysis::gram_shift(hv, hg, wv, wg, T(s.lr));
        rows.push_back({l, k.conv ? "conv" : "linear", frobenius(fl.lhs), frobenius(fl.rhs), fl.residual, frobenius(gs.delta_gram),
                        gs.residual_first, gs.residual_exact});
    }
    return rows;
}

/// The peak of verify: the tape (inputs, activations and their gradients; a conv layer also keeps its
/// unfolded patches and their row copies) and one layer's FL/Gram matrices (fan_in² each).
MemoryEstimate verify_estimate(const VerifySettings& c) {
    const double b = c.dtype == VerifyDtype::Double ? 8 : 4, B = double(c.batch), w = double(c.width), d = double(c.depth);
    const double k = double(c.classes);
    MemoryEstimate e;
    double params, acts, analysis;
    if (c.model == VerifyModel::Transformer) {
        const double T = double(c.seq_len), h = double(c.heads);
        params = double(c.vocab + c.seq_len) * w + d * 8 * w * w + w * w + w * k;
        acts = B * T * d * (30 * w + 2 * h * T) * 2;
        analysis = 4 * (2 * w) * (2 * w) * 8;  // ff2's fan_in is 2·width
    } else if (c.model == VerifyModel::MLP) {
        const double in = double(c.input_dim);
        params = in * w + std::max(0.0, d - 2) * w * w + w * k;
        acts = B * (in + d * w) * 4;
        analysis = std::max(in, w) * std::max(in, w) * 8;
    } else {
        const double L = double(c.image_size * c.image_size);
        params = 27 * w + std::max(0.0, d - 2) * 9 * w * w + L * w * k;
        acts = B * L * (9 * w * 6 + w * 4) * std::max(1.0, d - 1);
        analysis = std::max(81 * w * w, L * w * L * w) * 8;  // the classifier's fan_in is w·L
    }
    auto bytes = [&](double n) { return n * b >= 1.8e19 ? UINT64_MAX : std::uint64_t(n * b); };
    e.parameters = bytes(params * 3);  // weights, gradients, the stepped copy
    e.activations = bytes(acts);
    e.other = bytes(analysis + 64.0 * (1 << 20) / b);  // and the program itself
    return e;
}

}  // namespace

std::vector<VerifyRow> verify(const VerifySettings& s) {
    return s.dtype == VerifyDtype::Float ? run<float>(s) : run<double>(s);
}

std::string verify_table(const std::vector<VerifyRow>& rows) {
    std::string s = fmt::format("{:>5}  {:<6}  {:>11}  {:>11}  {:>11}  {:>11}  {:>13}  {:>13}\n", "layer", "kind",
                                "|LHS|", "|RHS|", "FL resid", "|dG|", "Thm1 w/o R", "Thm1 with R");
    for (const auto& r : rows)
        s += fmt::format("{:>5}  {:<6}  {:>11.4e}  {:>11.4e}  {:>11.3e}  {:>11.4e}  {:>13.3e}  {:>13.3e}\n", r.layer,
                         r.kind, r.lhs_norm, r.rhs_norm, r.fl_residual, r.delta_gram_norm, r.thm1_first, r.thm1_exact);
    return s;
}

int run_verify(const VerifySettings& s) {
    gt::set_num_threads(s.threads);
    if (!std::isfinite(s.lr) || s.lr >= 1e4)
        throw UsageError(fmt::format("--lr {}: expected a number in (0, 1e4)", s.lr));
    if (s.model == VerifyModel::Transformer && s.width % s.heads != 0)
        throw UsageError(fmt::format("--heads {}: must divide --width {} (the model width of the transformer)", s.heads, s.width));
    require_memory(verify_estimate(s),
                   fmt::format("verify ({}, depth {}, width {}, batch {}, {})", model_name(s.model), s.depth, s.width,
                               s.batch, dtype_name(s.dtype)),
                   "lower --width, --depth or --batch");
    const auto rows = verify(s);
    if (s.model == VerifyModel::Transformer)
        std::printf("verify: transformer (post-LN, GELU), %zu encoder layers, d_model %zu, %zu heads, batch %zu x %zu tokens "
                    "(the last row's final 2 padded), %s, γ = %g, seed %llu; the %zu tokens are the samples\n",
                    s.depth, s.width, s.heads, s.batch, s.seq_len, dtype_name(s.dtype), s.lr,
                    static_cast<unsigned long long>(s.seed), s.batch * s.seq_len);
    else
        std::printf("verify: %s, depth %zu, width %zu, %s, batch %zu, %s, γ = %g, seed %llu\n", model_name(s.model), s.depth,
                    s.width, nn::to_string(s.activation).c_str(), s.batch, dtype_name(s.dtype), s.lr,
                    static_cast<unsigned long long>(s.seed));
    std::printf("%s", verify_table(rows).c_str());
    return 0;
}

}  // namespace gt::experiments
