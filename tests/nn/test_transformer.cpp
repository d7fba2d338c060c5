// The BERT-style encoder and its heads (nn/transformer.hpp), the masking of tokens, gradient clipping
// and the warmup schedule (nn/schedule.hpp).
//   - PyTorch parity (tests/fixtures/make_transformer_fixtures.py: nn.TransformerEncoderLayer ×2 and the
//     three heads): every hidden state, each layer's first LayerNorm output, the heads' logits, the loss,
//     every parameter gradient and every hidden state's gradient, as ‖ours − torch‖_F/‖torch‖_F below
//     1e-10 (float64) and 1e-5 (float32); clip_grad_norm against torch.nn.utils.clip_grad_norm_.
//   - central differences of the whole loss w.r.t. every parameter of a tiny encoder with all heads.
//   - the Feature Learning Equation (paper Eq. (1)) per map, which needs separate_map_inputs.
//   - mask_tokens's statistics and rules, the schedule and clipping in closed form, init, and errors.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "autodiff/ops_attention.hpp"
#include "fixtures.hpp"
#include "nn/schedule.hpp"
#include "nn/transformer.hpp"

using namespace gt;
using namespace gt::test;
using Types = boost::mpl::list<float, double>;

namespace {

// The fixture's sizes (make_transformer_fixtures.py).
nn::EncoderConfig fixture_config() {
    nn::EncoderConfig c;
    c.vocab_size = 23;
    c.max_len = 8;
    c.d_model = 16;
    c.heads = 2;
    c.layers = 2;
    c.d_ff = 32;
    c.dropout = 0.0;
    c.layer_norm_eps = 1e-3;
    return c;
}

nn::TokenBatch fixture_batch() {
    nn::TokenBatch b;
    b.batch = 3;
    b.length = 7;
    b.ids = fixture_labels("bert__ids");
    for (int p : fixture_labels("bert__padding")) b.padding.push_back(static_cast<std::uint8_t>(p));
    return b;
}

/// An encoder with every head, the parameters in one list (encoder, mlm, cls, tok), and the loss of the
/// fixture: cross-entropy of the [CLS] classifier + of the token classifier (−100 ignored) + of the MLM head.
template <class T>
struct Bert {
    nn::EncoderConfig config;
    Rng rng{0};
    nn::TransformerEncoder<T> encoder;
    nn::MaskedLMHead<T> mlm;
    nn::SequenceClassifier<T> cls;
    nn::TokenClassifier<T> tok;
    const nn::EncoderOutput<T>* out = nullptr;  // the last forward's (lives in the encoder)
    Var<T> seq_logits, tok_logits, mlm_logits, loss_seq, loss_tok, loss_mlm;

    Bert(const nn::EncoderConfig& c, std::size_t seq_classes, std::size_t tok_classes)
        : config(c), encoder(c, rng), mlm(c, rng), cls(c, seq_classes, rng), tok(c, tok_classes, rng) {}

    std::vector<nn::Parameter<T>*> parameters() {
        std::vector<nn::Parameter<T>*> ps = encoder.parameters();
        nn::append_parameters(ps, mlm);
        nn::append_parameters(ps, cls);
        nn::append_parameters(ps, tok);
        return ps;
    }
    void zero_grad() {
        for (nn::Parameter<T>* p : parameters()) p->zero_grad();
    }
    Var<T> loss(Tape<T>& tape, const nn::TokenBatch& batch, const Labels& seq_labels, const Labels& tok_labels,
                const Labels& positions, const Labels& mlm_labels, bool separate = false, Rng* drop = nullptr) {
        out = &encoder.forward(tape, batch, drop, separate);
        const Var<T> h = out->hidden.back();
        seq_logits = cls.forward(tape, h, drop);
        tok_logits = tok.forward(tape, h, drop);
        mlm_logits = mlm.forward(tape, h, positions);
        loss_seq = cross_entropy(seq_logits, seq_labels);
        loss_tok = cross_entropy(tok_logits, tok_labels);
        loss_mlm = cross_entropy(mlm_logits, mlm_labels);
        return add(add(loss_seq, loss_tok), loss_mlm);
    }
};

template <class T>
Bert<T> fixture_bert() {
    Bert<T> m(fixture_config(), 3, 4);
    load_params(m.parameters(), "bert");
    return m;
}

template <class T>
Var<T> fixture_loss(Bert<T>& m, Tape<T>& tape, bool separate = false) {
    return m.loss(tape, fixture_batch(), fixture_labels("bert__seq_labels"), fixture_labels("bert__tok_labels"),
                  fixture_labels("bert__mlm_positions"), fixture_labels("bert__mlm_labels"), separate);
}

/// rel_err, reported, and checked against `tolerance`; returns it.
template <class A>
double check_close(const A& ours, const std::string& fixture_name, double tolerance) {
    const double e = rel_err(ours, fixture<double>(fixture_name));
    BOOST_TEST(e < tolerance, fixture_name << ": relative error " << e);
    return e;
}

/// Rows (B·T, last) of a tensor (B, T, last).
template <class T>
Tensor<double> as_rows(const Tensor<T>& t) {
    const std::size_t last = t.shape().back(), n = t.size() / last;
    Tensor<double> r = Tensor<double>::from_shape({n, last});
    std::copy(t.begin(), t.end(), r.begin());
    return r;
}

Tensor<double> randn(const Shape& s, double sd, Rng& rng) {
    Tensor<double> t = Tensor<double>::from_shape(s);
    for (double& v : t) v = rng.normal(0.0, sd);
    return t;
}

/// Weights as the fixture draws them: N(0, 1.5²/fan_in) for matrices (embeddings 1.5² per entry · D),
/// γ = 1 + N(0, 0.1²), biases and β N(0, 0.1²): far from BERT's tiny init, so every path matters.
void randomize(const std::vector<nn::Parameter<double>*>& ps, Rng& rng) {
    for (nn::Parameter<double>* p : ps) {
        const auto& s = p->value.shape();
        const bool norm_weight = p->name.find("norm") != std::string::npos && p->name.find(".weight") != std::string::npos;
        if (s.size() == 2) {
            const bool table = p->name.rfind("embeddings.", 0) == 0;
            p->value = randn(to_shape(s), table ? 1.5 : 1.5 / std::sqrt(double(s[1])), rng);
        } else {
            p->value = randn(to_shape(s), 0.1, rng);
            if (norm_weight) p->value += 1.0;
        }
    }
}

/// ‖g − ĝ‖/‖g + ĝ‖ of one parameter's gradient against central differences of `loss` (step h).
double central_difference_error(nn::Parameter<double>& p, const std::function<double()>& loss, double h = 1e-6) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < p.value.size(); ++i) {
        double& w = p.value.data()[i];
        const double w0 = w;
        w = w0 + h;
        const double up = loss();
        w = w0 - h;
        const double down = loss();
        w = w0;
        const double fd = (up - down) / (2 * h), g = p.grad.data()[i];
        num += (g - fd) * (g - fd);
        den += (g + fd) * (g + fd);
    }
    return den > 0 ? std::sqrt(num / den) : 0.0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transformer)

// ---- PyTorch parity -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(encoder_and_heads_match_torch, T, Types) {
    const double tolerance = tol<T>();
    for (const bool separate : {false, true}) {
        BOOST_TEST_CONTEXT("separate_map_inputs " << separate) {
            Bert<T> m = fixture_bert<T>();
            Tape<T> tape;
            const Var<T> loss = fixture_loss(m, tape, separate);
            tape.backward(loss);
            const nn::EncoderOutput<T>& out = *m.out;
            BOOST_TEST(out.hidden.size() == 3u);
            double values = 0, grads = 0, key_bias = 0;
            for (std::size_t l = 0; l < out.hidden.size(); ++l) {
                BOOST_TEST(shape_str(out.hidden[l].shape()) == "(3, 7, 16)");
                values = std::max(values, check_close(out.hidden[l].value(), "bert__hidden" + std::to_string(l), tolerance));
                grads = std::max(grads, check_close(tape.grad(out.hidden[l]), "bert__grad.hidden" + std::to_string(l), tolerance));
            }
            // The first LayerNorm's output is the input of ff1; its gradient is the torch one only when the
            // map reads the shared Var (with separate inputs it is the gradient through ff1 alone).
            for (std::size_t l = 0; l < 2; ++l) {
                const Var<T> a = out.map_inputs[l][std::size_t(nn::EncoderMap::FeedForward1)];
                values = std::max(values, check_close(a.value(), "bert__attn_norm" + std::to_string(l), tolerance));
                if (!separate)
                    grads = std::max(grads, check_close(tape.grad(a), "bert__grad.attn_norm" + std::to_string(l), tolerance));
            }
            values = std::max(values, check_close(m.seq_logits.value(), "bert__seq_logits", tolerance));
            values = std::max(values, check_close(m.tok_logits.value(), "bert__tok_logits", tolerance));
            values = std::max(values, check_close(m.mlm_logits.value(), "bert__mlm_logits", tolerance));
            for (auto [v, name] : {std::pair{m.loss_seq, "loss_seq"}, {m.loss_tok, "loss_tok"}, {m.loss_mlm, "loss_mlm"}, {loss, "loss"}}) {
                const double ref = fixture<double>(std::string("bert__") + name)(0);
                const double e = std::abs(double(v.item()) - ref) / std::abs(ref);
                BOOST_TEST(e < tolerance, name << ": relative error " << e);
                values = std::max(values, e);
            }
            for (nn::Parameter<T>* p : m.parameters()) {
                if (p->name.find(".key.bias") != std::string::npos) {
                    // Exactly zero (softmax ignores the shift q·b shared by a query's scores): both sides are
                    // round-off, so check that it vanishes on both.
                    const double ours = xt::amax(xt::abs(p->grad))(),
                                 torch = xt::amax(xt::abs(fixture<double>("bert__grad." + p->name)))();
                    const double bound = std::is_same<T, double>::value ? 1e-13 : 1e-6;
                    BOOST_TEST(ours < bound, p->name << ": max |gradient| " << ours << " should vanish");
                    BOOST_TEST(torch < 1e-13, p->name << ": torch's max |gradient| " << torch);
                    key_bias = std::max(key_bias, ours);
                    continue;
                }
                grads = std::max(grads, check_close(p->grad, "bert__grad." + p->name, tolerance));
            }
            BOOST_TEST_MESSAGE("bert parity (" << (sizeof(T) * 8) << "-bit, separate " << separate
                                               << "): worst value error " << values << ", worst gradient error " << grads
                                               << ", max |key-bias gradient| " << key_bias);
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(clip_grad_norm_matches_torch, T, Types) {
    Bert<T> m = fixture_bert<T>();
    Tape<T> tape;
    tape.backward(fixture_loss(m, tape));
    const double total = nn::clip_grad_norm(m.parameters(), fixture<double>("bert__clip_max_norm")(0));
    const double ref = fixture<double>("bert__clip_total")(0);
    BOOST_TEST(std::abs(total - ref) / ref < tol<T>(), "total norm " << total << " vs torch " << ref);
    std::size_t checked = 0;
    for (nn::Parameter<T>* p : m.parameters())
        if (p->name == "embeddings.token.weight" || p->name == "layers.1.key.weight" || p->name == "cls.classifier.bias") {
            check_close(p->grad, "bert__clipped." + p->name, tol<T>());
            ++checked;
        }
    BOOST_TEST(checked == 3u);
}

// ---- gradients by central differences -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(whole_model_gradcheck_float64) {
    nn::EncoderConfig c;
    c.vocab_size = 11;
    c.max_len = 6;
    c.d_model = 8;
    c.heads = 2;
    c.layers = 2;
    c.d_ff = 12;
    c.dropout = 0.0;
    c.layer_norm_eps = 1e-5;
    Bert<double> m(c, 3, 4);
    Rng rng(21);
    randomize(m.parameters(), rng);
    nn::TokenBatch batch;
    batch.batch = 2;
    batch.length = 5;
    batch.ids = {2, 5, 9, 4, 7, 2, 10, 6, 0, 0};
    batch.padding = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    const Labels seq = {2, 0}, tok = {-100, 1, 3, 0, 2, -100, 2, 1, -100, -100}, positions = {1, 3, 6},
                 mlm_labels = {8, 4, 10};
    Tape<double> tape;
    auto loss = [&]() {
        tape.reset();
        return m.loss(tape, batch, seq, tok, positions, mlm_labels).item();
    };
    m.zero_grad();
    tape.reset();
    tape.backward(m.loss(tape, batch, seq, tok, positions, mlm_labels));
    double worst = 0;
    for (nn::Parameter<double>* p : m.parameters()) {
        if (p->name.find(".key.bias") != std::string::npos) {
            // Softmax ignores a shift shared by a query's scores, and the key bias shifts them all by q·b:
            // the exact gradient is zero, so check that instead of a ratio of two round-off noises.
            const double g = xt::amax(xt::abs(p->grad))();
            BOOST_TEST(g < 1e-12, p->name << ": gradient " << g << " should vanish");
            continue;
        }
        const double e = central_difference_error(*p, loss);
        BOOST_TEST(e < 1e-6, p->name << ": ‖g − ĝ‖/‖g + ĝ‖ = " << e);
        worst = std::max(worst, e);
    }
    BOOST_TEST_MESSAGE("whole-model gradcheck: worst relative error " << worst);
}

BOOST_AUTO_TEST_CASE(heads_gradcheck_wrt_the_hidden_state_float64) {
    // gt::gradcheck on the three heads as functions of the last hidden state (B, T, D): the row gathers
    // ([CLS], masked positions) and the reshapes send every gradient to the right token.
    nn::EncoderConfig c;
    c.vocab_size = 9;
    c.d_model = 6;
    c.heads = 2;
    c.dropout = 0.0;
    c.layer_norm_eps = 1e-5;
    Rng rng(8);
    nn::MaskedLMHead<double> mlm(c, rng);
    nn::SequenceClassifier<double> cls(c, 3, rng);
    nn::TokenClassifier<double> tok(c, 2, rng);
    std::vector<nn::Parameter<double>*> ps = mlm.parameters();
    nn::append_parameters(ps, cls);
    nn::append_parameters(ps, tok);
    randomize(ps, rng);
    const Tensor<double> H = randn({2, 4, 6}, 1.0, rng);
    const GradcheckResult r = gradcheck(
        [&](Tape<double>& t, const std::vector<Var<double>>& x) {
            const Var<double> a = cross_entropy(mlm.forward(t, x[0], {1, 6, 7}), {3, 8, 5});
            const Var<double> b = cross_entropy(cls.forward(t, x[0]), {2, 0});
            const Var<double> d = cross_entropy(tok.forward(t, x[0]), {1, 0, -100, 1, 0, 1, -100, -100});
            return add(add(a, b), d);
        },
        {H});
    BOOST_TEST(r.max_rel_error < 1e-6, "heads: ‖g − ĝ‖/‖g + ĝ‖ = " << r.max_rel_error);
    BOOST_TEST_MESSAGE("heads gradcheck w.r.t. the hidden state: " << r.max_rel_error);
}

// ---- the Feature Learning Equation per map ------------------------------------------------------

namespace {

struct FleResidual {
    double residual, scale;  // max |Wᵀ∂W − (∂x)ᵀx| and max |Wᵀ∂W|
};

/// Eq. (1) for map m of layer l, over all B·T tokens.
FleResidual fle(nn::TransformerEncoder<double>& enc, const nn::EncoderOutput<double>& out, Tape<double>& tape,
                std::size_t l, std::size_t m) {
    const nn::Linear<double>& map = enc.map(l, static_cast<nn::EncoderMap>(m));
    const Var<double> x = out.map_inputs[l][m];
    const Tensor<double> lhs = matmul_plain(map.weight.value, map.weight.grad, true);
    const Tensor<double> rhs = matmul_plain(as_rows(tape.grad(x)), as_rows(x.value()), true);
    return {xt::amax(xt::abs(lhs - rhs))(), xt::amax(xt::abs(lhs))()};
}

struct FleRun {
    Bert<double> m;
    Tape<double> tape;
    explicit FleRun(bool separate) : m(config(), 3, 5) {
        Rng init(4), drop(9);
        randomize(m.parameters(), init);
        nn::TokenBatch b;
        b.batch = 3;
        b.length = 6;
        b.ids = {2, 7, 9, 12, 5, 16, 2, 4, 4, 11, 0, 0, 2, 15, 8, 0, 0, 0};
        b.padding = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1};
        m.zero_grad();
        tape.backward(m.loss(tape, b, {1, 0, 2}, {-100, 1, 4, 0, 2, 3, -100, 2, 2, 1, -100, -100, -100, 0, 3, -100, -100, -100},
                             {1, 4, 9, 14}, {7, 5, 11, 8}, separate, &drop));
    }
    static nn::EncoderConfig config() {
        nn::EncoderConfig c;
        c.vocab_size = 17;
        c.max_len = 6;
        c.d_model = 12;
        c.heads = 3;
        c.layers = 2;
        c.d_ff = 20;
        c.dropout = 0.1;  // Eq. (1) holds for any loss; dropout stays on to show it
        c.layer_norm_eps = 1e-5;
        return c;
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(feature_learning_equation_holds_per_map_with_separate_inputs) {
    FleRun run(true);
    const nn::EncoderOutput<double>& out = *run.m.out;
    double worst = 0;
    for (std::size_t l = 0; l < 2; ++l) {
        std::set<int> distinct{out.hidden[l].index};
        for (std::size_t m = 0; m < nn::kEncoderMaps; ++m) {
            distinct.insert(out.map_inputs[l][m].index);
            const FleResidual r = fle(run.m.encoder, out, run.tape, l, m);
            BOOST_TEST(r.scale > 1e-6, "layer " << l << " " << nn::encoder_map_names()[m] << ": Wᵀ∂W vanishes");
            BOOST_TEST(r.residual <= 1e-12 * std::max(1.0, r.scale),
                       "layer " << l << " " << nn::encoder_map_names()[m] << ": residual " << r.residual << " (scale "
                                << r.scale << ")");
            worst = std::max(worst, r.residual / std::max(1.0, r.scale));
        }
        BOOST_TEST(distinct.size() == 1 + nn::kEncoderMaps, "every map reads its own copy of its input");
    }
    BOOST_TEST_MESSAGE("Eq. (1) per map, separate inputs: worst max|residual|/max(1, max|Wᵀ∂W|) = " << worst);
}

BOOST_AUTO_TEST_CASE(feature_learning_equation_fails_with_shared_inputs) {
    FleRun run(false);
    const nn::EncoderOutput<double>& out = *run.m.out;
    for (std::size_t l = 0; l < 2; ++l) {
        const auto& in = out.map_inputs[l];
        BOOST_TEST(in[0].index == out.hidden[l].index);  // query, key and value read the layer input itself
        BOOST_TEST(in[1].index == out.hidden[l].index);
        BOOST_TEST(in[2].index == out.hidden[l].index);
        for (std::size_t m = 0; m < nn::kEncoderMaps; ++m) {
            const FleResidual r = fle(run.m.encoder, out, run.tape, l, m);
            const std::string& name = nn::encoder_map_names()[m];
            // The output map and ff2 are their input's only reader, so Eq. (1) still holds for them; the
            // gradient at a shared input adds the other readers' (the other projections, the residual).
            const bool sole_reader = m == std::size_t(nn::EncoderMap::Output) || m == std::size_t(nn::EncoderMap::FeedForward2);
            if (sole_reader)
                BOOST_TEST(r.residual <= 1e-12 * std::max(1.0, r.scale), "layer " << l << " " << name << ": " << r.residual);
            else
                BOOST_TEST(r.residual > 1e-2 * r.scale, "layer " << l << " " << name << ": residual " << r.residual
                                                                << " should be large (scale " << r.scale << ")");
            BOOST_TEST_MESSAGE("shared inputs, layer " << l << " " << name << ": residual/scale " << r.residual / r.scale);
        }
    }
}

// ---- dropout, init, structure -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(dropout_only_in_training_with_an_rng) {
    nn::EncoderConfig c = FleRun::config();
    c.dropout = 0.5;
    Rng init(0);
    nn::TransformerEncoder<double> enc(c, init);
    nn::SequenceClassifier<double> cls(c, 2, init);
    nn::TokenBatch b;
    b.batch = 2;
    b.length = 6;
    b.ids = {2, 5, 6, 7, 8, 9, 2, 10, 11, 12, 13, 14};
    auto run = [&](Rng* drop, Tensor<double>* first = nullptr) {
        Tape<double> tape;
        const auto& out = enc.forward(tape, b, drop);
        if (first) *first = out.hidden[0].value();
        const Tensor<double> logits = cls.forward(tape, out.hidden.back(), drop).value();
        std::size_t dropouts = 0;
        for (std::size_t i = 0; i < tape.size(); ++i) dropouts += std::string(tape.op(Var<double>{&tape, int(i)})) == "dropout";
        return std::pair{logits, dropouts};
    };
    const auto [plain, n_plain] = run(nullptr);
    BOOST_TEST(n_plain == 0u);
    Rng d1(5), d2(5);
    Tensor<double> e1;
    const auto [a, n_a] = run(&d1, &e1);
    const auto [b2, n_b] = run(&d2);
    // embeddings, then per layer the attention output, the activation and the feed-forward output; the pooler
    BOOST_TEST(n_a == 1 + 3 * c.layers + 1);
    BOOST_TEST(n_b == n_a);
    BOOST_TEST(rel_err(a, b2) == 0.0, "the same dropout seed gives the same output");
    BOOST_TEST(rel_err(a, plain) > 1e-3, "dropout changes the output");
    const double zeros = double(std::count(e1.begin(), e1.end(), 0.0)) / double(e1.size());
    BOOST_TEST(std::abs(zeros - 0.5) < 0.1, "fraction of embedding entries dropped " << zeros);
    enc.eval();
    cls.eval();
    Rng d3(5);
    const auto [ev, n_ev] = run(&d3);
    BOOST_TEST(n_ev == 0u);
    BOOST_TEST(rel_err(ev, plain) == 0.0, "eval ignores the rng");
}

BOOST_AUTO_TEST_CASE(bert_init_and_parameter_names) {
    nn::EncoderConfig c;
    c.vocab_size = 300;
    c.max_len = 40;
    c.d_model = 32;
    c.heads = 4;
    c.layers = 1;
    c.d_ff = 64;
    Rng rng(3);
    nn::TransformerEncoder<double> enc(c, rng);
    std::vector<std::string> names;
    for (auto* p : enc.parameters()) names.push_back(p->name);
    std::vector<std::string> want = {"embeddings.token.weight", "embeddings.position.weight", "embeddings.norm.weight",
                                     "embeddings.norm.bias"};
    for (const char* m : {"query", "key", "value", "output", "ff1", "ff2"})
        for (const char* leaf : {"weight", "bias"}) want.push_back(std::string("layers.0.") + m + "." + leaf);
    for (const char* n : {"norm1", "norm2"})
        for (const char* leaf : {"weight", "bias"}) want.push_back(std::string("layers.0.") + n + "." + leaf);
    BOOST_TEST(names == want, boost::test_tools::per_element());
    BOOST_TEST(enc.num_parameters() == 300u * 32 + 40 * 32 + 2 * 32 + 4 * (32 * 32 + 32) + 2 * 32 * 64 + 64 + 32 + 4 * 32);
    double sq = 0;
    std::size_t n = 0;
    for (auto* p : enc.parameters()) {
        const bool norm = p->name.find("norm") != std::string::npos;
        if (p->value.dimension() == 2) {
            for (double v : p->value) sq += v * v;
            n += p->value.size();
        } else if (norm && p->name.find("weight") != std::string::npos) {
            BOOST_TEST(xt::amax(xt::abs(p->value - 1.0))() == 0.0, p->name);
        } else {
            BOOST_TEST(xt::amax(xt::abs(p->value))() == 0.0, p->name);
        }
    }
    const double sd = std::sqrt(sq / double(n));  // ~ N(0, 0.02²): the sample sd is within 1 % for n ≈ 27 000
    BOOST_TEST(std::abs(sd - 0.02) < 0.02 * 0.03, "weight sd " << sd);
    Rng again(3);
    nn::TransformerEncoder<double> enc2(c, again);
    BOOST_TEST(rel_err(enc2.map(0, nn::EncoderMap::FeedForward2).weight.value,
                       enc.map(0, nn::EncoderMap::FeedForward2).weight.value) == 0.0);
    BOOST_TEST(enc.map(0, nn::EncoderMap::FeedForward1).out_features() == 64u);
    BOOST_CHECK_THROW(enc.map(1, nn::EncoderMap::Query), ValueError);
    nn::MaskedLMHead<double> mlm(c, rng);
    nn::SequenceClassifier<double> cls(c, 5, rng);
    nn::TokenClassifier<double> tok(c, 7, rng);
    std::vector<std::string> heads;
    for (nn::Module<double>* m : std::initializer_list<nn::Module<double>*>{&mlm, &cls, &tok})
        for (auto* p : m->parameters()) heads.push_back(p->name);
    const std::vector<std::string> want_heads = {"mlm.dense.weight", "mlm.dense.bias", "mlm.norm.weight", "mlm.norm.bias",
                                                 "mlm.decoder.weight", "mlm.decoder.bias", "cls.pooler.weight",
                                                 "cls.pooler.bias", "cls.classifier.weight", "cls.classifier.bias",
                                                 "tok.classifier.weight", "tok.classifier.bias"};
    BOOST_TEST(heads == want_heads, boost::test_tools::per_element());
    BOOST_TEST(shape_str(shape_of(mlm.parameter("mlm.decoder.weight").value)) == "(300, 32)");
    BOOST_TEST(shape_str(shape_of(cls.parameter("cls.classifier.weight").value)) == "(5, 32)");
}

// ---- mask_tokens --------------------------------------------------------------------------------

namespace {

// B rows of T tokens: [CLS], words with a few [UNK]s, then padding ([PAD]) of a random length.
nn::TokenBatch word_batch(std::size_t B, std::size_t T, int vocab, std::uint64_t seed) {
    Rng rng(seed);
    nn::TokenBatch b;
    b.batch = B;
    b.length = T;
    for (std::size_t r = 0; r < B; ++r) {
        const std::size_t n = 2 + rng.below(T - 1);  // real tokens, [CLS] included
        for (std::size_t j = 0; j < T; ++j) {
            const bool pad = j >= n;
            int id = j == 0 ? 2 : pad ? 0 : rng.uniform() < 0.05 ? 1 : 4 + int(rng.below(std::uint64_t(vocab - 4)));
            b.ids.push_back(id);
            b.padding.push_back(pad ? 1 : 0);
        }
    }
    return b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(mask_tokens_follows_bert_statistics) {
    const int vocab = 1000, mask = 3, first = 4;
    const nn::TokenBatch original = word_batch(400, 50, vocab, 1);
    nn::TokenBatch b = original;
    Rng rng(17);
    const nn::MaskedTokens m = nn::mask_tokens(b, mask, first, vocab, 0.15, rng);
    std::size_t candidates = 0;
    for (std::size_t i = 0; i < original.ids.size(); ++i) candidates += original.ids[i] >= first && !original.padding[i];
    BOOST_REQUIRE(m.positions.size() == m.labels.size());
    BOOST_TEST(std::is_sorted(m.positions.begin(), m.positions.end()));
    std::size_t masked = 0, random = 0, kept = 0;
    std::set<int> chosen(m.positions.begin(), m.positions.end());
    BOOST_TEST(chosen.size() == m.positions.size(), "no position twice");
    for (std::size_t k = 0; k < m.positions.size(); ++k) {
        const std::size_t p = std::size_t(m.positions[k]);
        BOOST_TEST(original.ids[p] >= first, "a special id was chosen at " << p);
        BOOST_TEST(!original.padding[p], "padding was chosen at " << p);
        BOOST_TEST(m.labels[k] == original.ids[p]);
        const int now = b.ids[p];
        if (now == mask) ++masked;
        else if (now == original.ids[p]) ++kept;
        else {
            ++random;
            BOOST_TEST((now >= first && now < vocab), "random replacement " << now << " is not a word id");
        }
    }
    for (std::size_t i = 0; i < original.ids.size(); ++i)
        if (!chosen.count(int(i))) BOOST_TEST(b.ids[i] == original.ids[i], "unchosen token " << i << " changed");
    // Binomial fractions within 4 standard deviations (n: ≈ 15 000 candidates, ≈ 2 200 chosen).
    auto within = [](double count, double n, double p, const char* what) {
        const double f = count / n, sd = std::sqrt(p * (1 - p) / n);
        BOOST_TEST(std::abs(f - p) < 4 * sd, what << ": " << f << " (expected " << p << " ± " << 4 * sd << ")");
    };
    const double k = double(m.positions.size());
    within(k, double(candidates), 0.15, "chosen fraction");
    within(double(masked), k, 0.8, "[MASK] fraction");
    // a random word equal to the original (p 1/996) counts as kept
    within(double(random), k, 0.1 * (1 - 1.0 / (vocab - first)), "random-word fraction");
    within(double(kept), k, 0.1 + 0.1 / (vocab - first), "unchanged fraction");
    BOOST_TEST_MESSAGE("mask_tokens: " << candidates << " candidates, " << k << " chosen; mask/random/kept "
                                       << masked << "/" << random << "/" << kept);
}

BOOST_AUTO_TEST_CASE(mask_tokens_is_deterministic_and_always_chooses_one) {
    const nn::TokenBatch original = word_batch(8, 12, 50, 2);
    nn::TokenBatch a = original, b = original, c = original;
    Rng r1(5), r2(5), r3(6);
    const nn::MaskedTokens ma = nn::mask_tokens(a, 3, 4, 50, 0.15, r1);
    const nn::MaskedTokens mb = nn::mask_tokens(b, 3, 4, 50, 0.15, r2);
    const nn::MaskedTokens mc = nn::mask_tokens(c, 3, 4, 50, 0.15, r3);
    BOOST_TEST(ma.positions == mb.positions, boost::test_tools::per_element());
    BOOST_TEST(a.ids == b.ids, boost::test_tools::per_element());
    BOOST_TEST((ma.positions != mc.positions || a.ids != c.ids), "another seed gives another masking");

    // A rate so small that nothing is chosen: exactly one candidate is, uniformly over the candidates.
    nn::TokenBatch one;
    one.batch = 2;
    one.length = 4;
    one.ids = {2, 7, 1, 9, 2, 8, 0, 0};  // candidates at 1, 3, 5 ([UNK] at 2, [CLS], padding)
    one.padding = {0, 0, 0, 0, 0, 0, 1, 1};
    std::set<int> picked;
    for (std::uint64_t seed = 0; seed < 60; ++seed) {
        nn::TokenBatch t = one;
        Rng r(seed);
        const nn::MaskedTokens m = nn::mask_tokens(t, 3, 4, 12, 1e-12, r);
        BOOST_REQUIRE(m.positions.size() == 1u);
        picked.insert(m.positions[0]);
        BOOST_TEST(m.labels[0] == one.ids[std::size_t(m.positions[0])]);
    }
    BOOST_TEST((picked == std::set<int>{1, 3, 5}), "every candidate, and only candidates, can be the forced choice");

    nn::TokenBatch none = one;
    none.ids = {2, 1, 1, 3, 2, 0, 0, 0};
    Rng r(0);
    BOOST_CHECK_THROW(nn::mask_tokens(none, 3, 4, 12, 0.15, r), ValueError);
    nn::TokenBatch t = one;
    BOOST_CHECK_THROW(nn::mask_tokens(t, 3, 4, 12, 0.0, r), ValueError);
    BOOST_CHECK_THROW(nn::mask_tokens(t, 3, 4, 12, 1.5, r), ValueError);
    BOOST_CHECK_THROW(nn::mask_tokens(t, 3, 12, 12, 0.15, r), ValueError);
    BOOST_CHECK_THROW(nn::mask_tokens(t, 12, 4, 12, 0.15, r), ValueError);
    t.ids.pop_back();
    BOOST_CHECK_THROW(nn::mask_tokens(t, 3, 4, 12, 0.15, r), ValueError);
}

// ---- schedule and clipping in closed form --------------------------------------------------------

BOOST_AUTO_TEST_CASE(linear_warmup_decay_closed_form) {
    // warmup 10 of 110 steps: step/10, then (110 − step)/100
    const std::vector<std::pair<long, double>> cases = {{0, 0.0},   {1, 0.1},   {5, 0.5},  {9, 0.9},  {10, 1.0},
                                                        {11, 0.99}, {60, 0.5},  {109, 0.01}, {110, 0.0}, {500, 0.0}};
    for (auto [step, want] : cases)
        BOOST_TEST(std::abs(nn::linear_warmup_decay(step, 10, 110) - want) < 1e-15, "step " << step);
    BOOST_TEST(nn::linear_warmup_decay(0, 0, 4) == 1.0);   // no warmup: decay from the first step
    BOOST_TEST(nn::linear_warmup_decay(3, 0, 4) == 0.25);
    BOOST_TEST(nn::linear_warmup_decay(4, 4, 4) == 0.0);   // total = warmup: max(1, 0) in the denominator
    BOOST_TEST(nn::linear_warmup_decay(2, 4, 4) == 0.5);
    BOOST_CHECK_THROW(nn::linear_warmup_decay(-1, 10, 110), ValueError);
    BOOST_CHECK_THROW(nn::linear_warmup_decay(1, -10, 110), ValueError);
    BOOST_CHECK_THROW(nn::linear_warmup_decay(1, 10, -110), ValueError);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(clip_grad_norm_closed_form, T, Types) {
    // gradients (3, 4) and (12): total norm 13
    auto make = [] {
        std::vector<nn::Parameter<T>> ps;
        ps.emplace_back("a", Tensor<T>::from_shape({2}));
        ps.emplace_back("b", Tensor<T>::from_shape({1, 1}));
        ps[0].grad = Tensor<T>{T(3), T(4)};
        ps[1].grad.fill(T(12));
        return ps;
    };
    auto ptrs = [](std::vector<nn::Parameter<T>>& ps) {
        std::vector<nn::Parameter<T>*> r;
        for (auto& p : ps) r.push_back(&p);
        return r;
    };
    const double eps = std::is_same<T, float>::value ? 1e-7 : 1e-15;
    {
        auto ps = make();
        BOOST_TEST(nn::clip_grad_norm(ptrs(ps), 6.5) == 13.0);
        const double c = 6.5 / (13.0 + 1e-6);
        BOOST_TEST(std::abs(double(ps[0].grad(0)) - 3 * c) < 3 * eps);
        BOOST_TEST(std::abs(double(ps[0].grad(1)) - 4 * c) < 4 * eps);
        BOOST_TEST(std::abs(double(ps[1].grad(0, 0)) - 12 * c) < 12 * eps);
    }
    {  // max_norm = total: coef = 13/(13 + 1e-6) < 1, so torch scales (by 1 − 7.7e-8)
        auto ps = make();
        nn::clip_grad_norm(ptrs(ps), 13.0);
        BOOST_TEST(std::abs(double(ps[1].grad(0, 0)) - 12 * 13.0 / (13.0 + 1e-6)) < 12 * eps);
    }
    {  // max_norm above the total: untouched
        auto ps = make();
        nn::clip_grad_norm(ptrs(ps), 13.1);
        BOOST_TEST(ps[0].grad(1) == T(4));
        BOOST_TEST(ps[1].grad(0, 0) == T(12));
    }
    {  // a non-finite total leaves the gradients as they are
        auto ps = make();
        ps[0].grad(0) = std::numeric_limits<T>::quiet_NaN();
        BOOST_TEST(std::isnan(nn::clip_grad_norm(ptrs(ps), 1.0)));
        BOOST_TEST(ps[1].grad(0, 0) == T(12));
    }
    auto ps = make();
    BOOST_CHECK_THROW(nn::clip_grad_norm(ptrs(ps), -1.0), ValueError);
    BOOST_CHECK_THROW(nn::clip_grad_norm(ptrs(ps), std::nan("")), ValueError);
}

// ---- errors -------------------------------------------------------------------------------------

namespace {

/// The exception's message contains every one of `parts`.
template <class E>
std::function<bool(const E&)> says(std::initializer_list<std::string> parts) {
    std::vector<std::string> ps(parts);
    return [ps](const E& e) {
        const std::string w = e.what();
        for (const std::string& p : ps)
            if (w.find(p) == std::string::npos) {
                BOOST_TEST_MESSAGE("message '" << w << "' lacks '" << p << "'");
                return false;
            }
        return true;
    };
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_input_is_refused_with_a_message) {
    nn::EncoderConfig c = fixture_config();
    Rng rng(0);
    nn::TransformerEncoder<double> enc(c, rng);
    Tape<double> tape;
    const nn::TokenBatch good = fixture_batch();
    BOOST_CHECK_NO_THROW(enc.forward(tape, good));
    auto refuse = [&](nn::TokenBatch b, std::initializer_list<std::string> parts) {
        tape.reset();
        BOOST_CHECK_EXCEPTION(enc.forward(tape, b), ValueError, says<ValueError>(parts));
    };
    nn::TokenBatch b = good;
    b.ids[9] = 23;
    refuse(b, {"id 23", "row 1, position 2", "vocabulary [0, 23)"});
    b.ids[9] = -1;
    refuse(b, {"id -1", "row 1, position 2"});
    b = good;
    b.length = 9;
    b.batch = 1;
    b.ids.assign(9, 5);
    b.padding.assign(9, 0);
    refuse(b, {"T 9", "max_len 8"});
    b = good;
    b.ids.pop_back();
    refuse(b, {"21 ids", "got 20"});
    b = good;
    b.padding.pop_back();
    refuse(b, {"21 padding flags", "got 20"});
    b = good;
    for (std::size_t j = 0; j < 7; ++j) b.padding[7 + j] = 1;
    refuse(b, {"row 1 is all padding"});
    b = good;
    b.batch = 0;
    b.ids.clear();
    b.padding.clear();
    refuse(b, {"B > 0"});
    tape.reset();
    nn::TokenBatch no_padding = good;
    no_padding.padding.clear();  // no flags: nothing is padding
    BOOST_CHECK_NO_THROW(enc.forward(tape, no_padding));

    auto bad_config = [&](nn::EncoderConfig cc, const std::string& part) {
        Rng r(0);
        BOOST_CHECK_EXCEPTION(nn::TransformerEncoder<double>(cc, r), ValueError, says<ValueError>({part}));
    };
    nn::EncoderConfig cc = c;
    cc.heads = 3;
    bad_config(cc, "heads to divide d_model, got d_model 16 and heads 3");
    cc = c;
    cc.vocab_size = 0;
    bad_config(cc, "vocab_size > 0");
    cc = c;
    cc.dropout = 1.0;
    bad_config(cc, "dropout in [0, 1)");
    cc = c;
    cc.layer_norm_eps = 0;
    bad_config(cc, "layer_norm_eps > 0");

    tape.reset();
    const Var<double> h = enc.forward(tape, good).hidden.back();
    nn::MaskedLMHead<double> mlm(c, rng);
    BOOST_CHECK_EXCEPTION(mlm.forward(tape, h, {0, 21}), ValueError, says<ValueError>({"position 21", "21 tokens"}));
    BOOST_CHECK_EXCEPTION(mlm.forward(tape, h, {}), ValueError, says<ValueError>({"at least one position"}));
    nn::SequenceClassifier<double> cls(c, 2, rng);
    const Var<double> flat = reshape(h, 21, 16);
    BOOST_CHECK_EXCEPTION(cls.forward(tape, flat), ShapeError, says<ShapeError>({"(B, T, 16)", "(21, 16)"}));
    nn::TokenClassifier<double> tok(c, 2, rng);
    BOOST_CHECK_EXCEPTION(tok.forward(tape, flat), ShapeError, says<ShapeError>({"TokenClassifier", "(21, 16)"}));
    BOOST_CHECK_EXCEPTION(nn::SequenceClassifier<double>(c, 0, rng), ValueError, says<ValueError>({"classes > 0"}));
}

BOOST_AUTO_TEST_SUITE_END()
