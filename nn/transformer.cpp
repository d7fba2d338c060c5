#include "nn/transformer.hpp"

#include <string>

#include "autodiff/ops_activation.hpp"
#include "autodiff/ops_attention.hpp"
#include "autodiff/ops_elementwise.hpp"
#include "autodiff/ops_linalg.hpp"
#include "autodiff/ops_misc.hpp"
#include "autodiff/ops_norm.hpp"
#include "autodiff/ops_shape.hpp"
#include "nn/transformer_init.hpp"

namespace gt::nn {

const std::vector<std::string>& encoder_map_names() {
    static const std::vector<std::string> names{"query", "key", "value", "output", "ff1", "ff2"};
    return names;
}

template <class T>
struct TransformerEncoder<T>::Layer {
    Linear<T> query, key, value, output, ff1, ff2;
    Parameter<T> norm1_w, norm1_b, norm2_w, norm2_b;

    Layer(const EncoderConfig& c, const std::string& prefix, Rng& rng)
        : query(make_bert_linear<T>(c.d_model, c.d_model, prefix + ".query", rng)),
          key(make_bert_linear<T>(c.d_model, c.d_model, prefix + ".key", rng)),
          value(make_bert_linear<T>(c.d_model, c.d_model, prefix + ".value", rng)),
          output(make_bert_linear<T>(c.d_model, c.d_model, prefix + ".output", rng)),
          ff1(make_bert_linear<T>(c.d_model, c.d_ff, prefix + ".ff1", rng)),
          ff2(make_bert_linear<T>(c.d_ff, c.d_model, prefix + ".ff2", rng)),
          norm1_w(layer_norm_weight<T>(prefix + ".norm1", c.d_model)),
          norm1_b(layer_norm_bias<T>(prefix + ".norm1", c.d_model)),
          norm2_w(layer_norm_weight<T>(prefix + ".norm2", c.d_model)),
          norm2_b(layer_norm_bias<T>(prefix + ".norm2", c.d_model)) {}

    Linear<T>& map(EncoderMap m) {
        switch (m) {
            case EncoderMap::Query: return query;
            case EncoderMap::Key: return key;
            case EncoderMap::Value: return value;
            case EncoderMap::Output: return output;
            case EncoderMap::FeedForward1: return ff1;
            case EncoderMap::FeedForward2: break;
        }
        return ff2;
    }
};

namespace {

void check_config(const EncoderConfig& c) {
    auto positive = [](std::size_t v, const char* what) {
        if (v == 0) throw ValueError(std::string("TransformerEncoder: expected ") + what + " > 0, got 0");
    };
    positive(c.vocab_size, "vocab_size");
    positive(c.max_len, "max_len");
    positive(c.d_model, "d_model");
    positive(c.heads, "heads");
    positive(c.layers, "layers");
    positive(c.d_ff, "d_ff");
    if (c.d_model % c.heads != 0)
        throw ValueError("TransformerEncoder: expected heads to divide d_model, got d_model " +
                         std::to_string(c.d_model) + " and heads " + std::to_string(c.heads));
    if (!(c.dropout >= 0.0 && c.dropout < 1.0))
        throw ValueError("TransformerEncoder: expected dropout in [0, 1), got " + std::to_string(c.dropout));
    if (!(c.layer_norm_eps > 0.0))
        throw ValueError("TransformerEncoder: expected layer_norm_eps > 0, got " + std::to_string(c.layer_norm_eps));
}

std::string row_place(std::size_t i, std::size_t length) {
    return "row " + std::to_string(i / length) + ", position " + std::to_string(i % length);
}

void check_batch(const TokenBatch& b, const EncoderConfig& c) {
    auto fail = [&](const std::string& what) {  // the message is built only on failure: no allocation otherwise
        throw ValueError("TransformerEncoder::forward: batch (B " + std::to_string(b.batch) + ", T " +
                         std::to_string(b.length) + "): " + what);
    };
    if (b.batch == 0 || b.length == 0) fail("expected B > 0 and T > 0");
    if (b.length > c.max_len) fail("T exceeds max_len " + std::to_string(c.max_len) + " (the position table)");
    const std::size_t n = b.batch * b.length;
    if (b.ids.size() != n)
        fail("expected B·T = " + std::to_string(n) + " ids, got " + std::to_string(b.ids.size()));
    if (!b.padding.empty() && b.padding.size() != n)
        fail("expected B·T = " + std::to_string(n) + " padding flags (or none), got " + std::to_string(b.padding.size()));
    for (std::size_t i = 0; i < n; ++i)
        if (b.ids[i] < 0 || static_cast<std::size_t>(b.ids[i]) >= c.vocab_size)
            fail("id " + std::to_string(b.ids[i]) + " at " + row_place(i, b.length) + " is outside the vocabulary [0, " +
                 std::to_string(c.vocab_size) + ")");
    if (b.padding.empty()) return;
    for (std::size_t r = 0; r < b.batch; ++r) {
        std::size_t kept = 0;
        for (std::size_t j = 0; j < b.length; ++j) kept += b.padding[r * b.length + j] == 0;
        if (kept == 0) fail("row " + std::to_string(r) + " is all padding (nothing to attend to)");
    }
}

}  // namespace

template <class T>
TransformerEncoder<T>::TransformerEncoder(const EncoderConfig& config, Rng& rng) : config_(config) {
    check_config(config);
    const std::size_t D = config.d_model;
    token_ = bert_normal<T>("embeddings.token.weight", {config.vocab_size, D}, rng);
    position_ = bert_normal<T>("embeddings.position.weight", {config.max_len, D}, rng);
    norm_w_ = layer_norm_weight<T>("embeddings.norm", D);
    norm_b_ = layer_norm_bias<T>("embeddings.norm", D);
    for (std::size_t l = 0; l < config.layers; ++l)
        layers_.push_back(std::make_unique<Layer>(config, "layers." + std::to_string(l), rng));
    out_.map_inputs.assign(config.layers, std::vector<Var<T>>(kEncoderMaps));
    out_.map_outputs.assign(config.layers, std::vector<Var<T>>(kEncoderMaps));
}

template <class T>
TransformerEncoder<T>::~TransformerEncoder() = default;
template <class T>
TransformerEncoder<T>::TransformerEncoder(TransformerEncoder&&) noexcept = default;
template <class T>
TransformerEncoder<T>& TransformerEncoder<T>::operator=(TransformerEncoder&&) noexcept = default;

template <class T>
Var<T> TransformerEncoder<T>::drop(Var<T> x, Rng* rng) const {
    if (!this->training() || rng == nullptr || config_.dropout == 0.0) return x;
    return gt::dropout(x, config_.dropout, *rng, true);
}

template <class T>
Var<T> TransformerEncoder<T>::map_input(Var<T> x, bool separate, const Shape& shape) const {
    return separate ? gt::reshape(x, shape) : x;  // a reshape to the same shape is a copy: a node of its own
}

template <class T>
const EncoderOutput<T>& TransformerEncoder<T>::forward(Tape<T>& tape, const TokenBatch& batch, Rng* dropout_rng,
                                                       bool separate) {
    check_batch(batch, config_);
    const std::size_t B = batch.batch, L = batch.length, D = config_.d_model;
    position_ids_.resize(B * L);
    for (std::size_t i = 0; i < B * L; ++i) position_ids_[i] = static_cast<int>(i % L);
    btd_.assign({B, L, D});
    btf_.assign({B, L, config_.d_ff});

    // Embeddings as (B·T, D) rows: both lookups pick one row per token, so the sum needs no broadcast.
    const Var<T> tok = embedding(token_.enter(tape), batch.ids);
    const Var<T> pos = embedding(position_.enter(tape), position_ids_);
    const Var<T> e = layer_norm(add(tok, pos), norm_w_.enter(tape), norm_b_.enter(tape), config_.layer_norm_eps);
    Var<T> x = drop(reshape(e, btd_), dropout_rng);

    EncoderOutput<T>& o = out_;
    o.hidden.clear();
    o.hidden.push_back(x);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& ly = *layers_[l];
        std::vector<Var<T>>& in = o.map_inputs[l];
        std::vector<Var<T>>& out = o.map_outputs[l];
        auto apply = [&](EncoderMap m, Var<T> input, const Shape& shape) {
            const std::size_t k = static_cast<std::size_t>(m);
            in[k] = map_input(input, separate, shape);
            out[k] = ly.map(m).forward(tape, in[k]);
            return out[k];
        };
        const Var<T> q = apply(EncoderMap::Query, x, btd_);
        const Var<T> k = apply(EncoderMap::Key, x, btd_);
        const Var<T> v = apply(EncoderMap::Value, x, btd_);
        const Var<T> att = multi_head_attention(q, k, v, config_.heads, batch.padding);
        const Var<T> a = layer_norm(add(x, drop(apply(EncoderMap::Output, att, btd_), dropout_rng)),
                                    ly.norm1_w.enter(tape), ly.norm1_b.enter(tape), config_.layer_norm_eps);
        const Var<T> f = drop(gelu(apply(EncoderMap::FeedForward1, a, btd_)), dropout_rng);
        const Var<T> y = layer_norm(add(a, drop(apply(EncoderMap::FeedForward2, f, btf_), dropout_rng)),
                                    ly.norm2_w.enter(tape), ly.norm2_b.enter(tape), config_.layer_norm_eps);
        o.hidden.push_back(y);
        x = y;
    }
    return o;
}

template <class T>
std::vector<Parameter<T>*> TransformerEncoder<T>::parameters() {
    std::vector<Parameter<T>*> ps{&token_, &position_, &norm_w_, &norm_b_};
    for (auto& ly : layers_) {
        for (std::size_t m = 0; m < kEncoderMaps; ++m) append_parameters(ps, ly->map(static_cast<EncoderMap>(m)));
        for (Parameter<T>* p : {&ly->norm1_w, &ly->norm1_b, &ly->norm2_w, &ly->norm2_b}) ps.push_back(p);
    }
    return ps;
}

template <class T>
Linear<T>& TransformerEncoder<T>::map(std::size_t layer, EncoderMap m) {
    if (layer >= layers_.size())
        throw ValueError("TransformerEncoder::map: layer " + std::to_string(layer) + " out of range for " +
                         std::to_string(layers_.size()) + " layers");
    return layers_[layer]->map(m);
}

template class TransformerEncoder<float>;
template class TransformerEncoder<double>;

}  // namespace gt::nn
