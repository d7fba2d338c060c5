// The encoder's three heads (nn/transformer.hpp): masked-LM, sequence and token classification.
#include <string>

#include "autodiff/ops_activation.hpp"
#include "autodiff/ops_linalg.hpp"
#include "autodiff/ops_misc.hpp"
#include "autodiff/ops_norm.hpp"
#include "autodiff/ops_shape.hpp"
#include "nn/transformer.hpp"
#include "nn/transformer_init.hpp"

namespace gt::nn {

namespace {

/// (B, T, D) of a last hidden state, or ShapeError naming the head.
template <class T>
void hidden_shape(Var<T> h, std::size_t d_model, const char* who, std::size_t& B, std::size_t& L) {
    const auto& s = tape_of(h, who).value(h).shape();
    if (s.size() != 3 || s[2] != d_model)
        throw ShapeError(std::string(who) + ": expected the last hidden state (B, T, " + std::to_string(d_model) +
                         "), got " + shape_str(to_shape(s)));
    B = s[0];
    L = s[1];
}

void check_classes(std::size_t classes, const char* who) {
    if (classes == 0) throw ValueError(std::string(who) + ": expected classes > 0, got 0");
}

template <class T>
Var<T> head_dropout(const Module<T>& m, Var<T> x, double p, Rng* rng) {
    if (!m.training() || rng == nullptr || p == 0.0) return x;
    return gt::dropout(x, p, *rng, true);
}

}  // namespace

// ---- masked LM ----------------------------------------------------------------------------------

template <class T>
MaskedLMHead<T>::MaskedLMHead(const EncoderConfig& config, Rng& rng)
    : config_(config),
      dense_(make_bert_linear<T>(config.d_model, config.d_model, "mlm.dense", rng)),
      decoder_(make_bert_linear<T>(config.d_model, config.vocab_size, "mlm.decoder", rng)),
      norm_w_(layer_norm_weight<T>("mlm.norm", config.d_model)),
      norm_b_(layer_norm_bias<T>("mlm.norm", config.d_model)) {}

template <class T>
Var<T> MaskedLMHead<T>::forward(Tape<T>& tape, Var<T> last_hidden, const Labels& positions) {
    std::size_t B = 0, L = 0;
    hidden_shape(last_hidden, config_.d_model, "MaskedLMHead::forward", B, L);
    if (positions.empty()) throw ValueError("MaskedLMHead::forward: expected at least one position, got none");
    for (std::size_t i = 0; i < positions.size(); ++i)
        if (positions[i] < 0 || static_cast<std::size_t>(positions[i]) >= B * L)
            throw ValueError("MaskedLMHead::forward: position " + std::to_string(positions[i]) + " (entry " +
                             std::to_string(i) + ") is outside the " + std::to_string(B * L) + " tokens of the batch");
    const Var<T> picked = embedding(reshape(last_hidden, B * L, config_.d_model), positions);  // (K, D)
    const Var<T> z = layer_norm(gelu(dense_.forward(tape, picked)), norm_w_.enter(tape), norm_b_.enter(tape),
                                config_.layer_norm_eps);
    return decoder_.forward(tape, z);
}

template <class T>
std::vector<Parameter<T>*> MaskedLMHead<T>::parameters() {
    return {&dense_.weight, &dense_.bias, &norm_w_, &norm_b_, &decoder_.weight, &decoder_.bias};
}

// ---- sequence classification --------------------------------------------------------------------

template <class T>
SequenceClassifier<T>::SequenceClassifier(const EncoderConfig& config, std::size_t classes, Rng& rng)
    : config_(config),
      pooler_(make_bert_linear<T>(config.d_model, config.d_model, "cls.pooler", rng)),
      classifier_((check_classes(classes, "SequenceClassifier"),
                   make_bert_linear<T>(config.d_model, classes, "cls.classifier", rng))) {}

template <class T>
Var<T> SequenceClassifier<T>::forward(Tape<T>& tape, Var<T> last_hidden, Rng* dropout_rng) {
    std::size_t B = 0, L = 0;
    hidden_shape(last_hidden, config_.d_model, "SequenceClassifier::forward", B, L);
    first_rows_.resize(B);
    for (std::size_t b = 0; b < B; ++b) first_rows_[b] = static_cast<int>(b * L);
    const Var<T> cls = embedding(reshape(last_hidden, B * L, config_.d_model), first_rows_);  // h[:, 0], (B, D)
    const Var<T> pooled = gt::tanh(pooler_.forward(tape, cls));
    return classifier_.forward(tape, head_dropout(*this, pooled, config_.dropout, dropout_rng));
}

template <class T>
std::vector<Parameter<T>*> SequenceClassifier<T>::parameters() {
    return {&pooler_.weight, &pooler_.bias, &classifier_.weight, &classifier_.bias};
}

// ---- token classification -----------------------------------------------------------------------

template <class T>
TokenClassifier<T>::TokenClassifier(const EncoderConfig& config, std::size_t classes, Rng& rng)
    : config_(config),
      classifier_((check_classes(classes, "TokenClassifier"),
                   make_bert_linear<T>(config.d_model, classes, "tok.classifier", rng))) {}

template <class T>
Var<T> TokenClassifier<T>::forward(Tape<T>& tape, Var<T> last_hidden, Rng* dropout_rng) {
    std::size_t B = 0, L = 0;
    hidden_shape(last_hidden, config_.d_model, "TokenClassifier::forward", B, L);
    const Var<T> rows = reshape(last_hidden, B * L, config_.d_model);
    return classifier_.forward(tape, head_dropout(*this, rows, config_.dropout, dropout_rng));
}

template <class T>
std::vector<Parameter<T>*> TokenClassifier<T>::parameters() {
    return {&classifier_.weight, &classifier_.bias};
}

template class MaskedLMHead<float>;
template class MaskedLMHead<double>;
template class SequenceClassifier<float>;
template class SequenceClassifier<double>;
template class TokenClassifier<float>;
template class TokenClassifier<double>;

}  // namespace gt::nn
