// A BERT-style encoder (post-LN, as nn.TransformerEncoderLayer with norm_first=False, GELU) and its
// three heads: masked-LM, sequence classification on [CLS], token classification.
//
//   embeddings:  e = dropout(LayerNorm(token[ids] + position[0..T)))                → hidden[0] (B, T, D)
//   layer l:     a = LayerNorm(x + dropout(output(MHA(query(x), key(x), value(x), padding))))
//                y = LayerNorm(a + dropout(ff2(dropout(gelu(ff1(a))))))              → hidden[l] (B, T, D)
// Every Var of the forward pass stays on the tape, so after one backward each hidden state, each map's
// input and output, and every gradient can be read (the Feature Learning Equation per map).
// Dropout sits where nn.TransformerEncoderLayer puts it, except on the attention probabilities:
// multi_head_attention has no dropout of its own, so that one (BERT's attention_probs_dropout) is absent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/linear.hpp"
#include "nn/parameter.hpp"
#include "nn/var_list.hpp"

namespace gt::nn {

struct EncoderConfig {
    std::size_t vocab_size = 0;
    std::size_t max_len = 64;  // longest sequence, [CLS] included (size of the position table)
    std::size_t d_model = 128;
    std::size_t heads = 4;     // must divide d_model
    std::size_t layers = 4;
    std::size_t d_ff = 512;
    double dropout = 0.1;           // on the embeddings, the attention output and the feed-forward block
    double layer_norm_eps = 1e-12;  // BERT's; PyTorch's layers default to 1e-5
};

/// B sequences of length T, row-major ids (B·T) and padding flags (1 = [PAD], never attended to;
/// B·T flags, or none at all for a batch without padding).
struct TokenBatch {
    std::size_t batch = 0, length = 0;
    std::vector<int> ids;
    std::vector<std::uint8_t> padding;
};

/// The six linear maps of one encoder layer, in this order (names as in `encoder_map_names()`).
enum class EncoderMap { Query, Key, Value, Output, FeedForward1, FeedForward2 };
constexpr std::size_t kEncoderMaps = 6;
const std::vector<std::string>& encoder_map_names();  // {"query", "key", "value", "output", "ff1", "ff2"}

template <class T>
struct EncoderOutput {
    VarList<T> hidden;  // [0] = embeddings (after LayerNorm and dropout), [l] = output of layer l (1..L), (B, T, D)
    /// map_inputs[l][m] and map_outputs[l][m]: the input and output (B, T, ·) of map m of layer l (0-based
    /// l, m as EncoderMap). With `separate_map_inputs`, each map reads its own copy of its input, so the
    /// gradient at map_inputs[l][m] is the gradient through that map alone (Eq. (1) per map); otherwise
    /// map_inputs[l][m] is the Var the layer uses (the three projections share one: the layer input x).
    std::vector<std::vector<Var<T>>> map_inputs, map_outputs;
};

template <class T>
class TransformerEncoder : public Module<T> {
   public:
    /// BERT init from `rng`, in parameter order: every weight (maps and both embedding tables) N(0, 0.02²),
    /// biases 0, LayerNorm γ = 1, β = 0. ValueError for a zero size, heads not dividing d_model, dropout
    /// outside [0, 1) or eps ≤ 0.
    /// Names: embeddings.token.weight, embeddings.position.weight, embeddings.norm.{weight,bias}, then per
    /// layer layers.<l>.{query,key,value,output,ff1,ff2}.{weight,bias}, layers.<l>.{norm1,norm2}.{weight,bias}.
    TransformerEncoder(const EncoderConfig& config, Rng& rng);
    ~TransformerEncoder() override;
    TransformerEncoder(TransformerEncoder&&) noexcept;
    TransformerEncoder& operator=(TransformerEncoder&&) noexcept;

    /// ValueError naming the batch when ids or padding are not B·T long, B or T is 0, T > max_len, an id
    /// is outside the vocabulary, or a row is all padding.
    /// Dropout is drawn from `dropout_rng` when training() and it is non-null; identity otherwise.
    /// The result lives in the encoder (its vectors are reused, so a steady step allocates nothing) and is
    /// overwritten by the next forward: bind it as `const auto&`, copy it to keep it longer.
    const EncoderOutput<T>& forward(Tape<T>& tape, const TokenBatch& batch, Rng* dropout_rng = nullptr,
                                    bool separate_map_inputs = false);
    std::vector<Parameter<T>*> parameters() override;
    /// ValueError when layer ≥ config().layers.
    Linear<T>& map(std::size_t layer, EncoderMap m);
    const EncoderConfig& config() const { return config_; }

   private:
    struct Layer;
    Var<T> drop(Var<T> x, Rng* rng) const;
    Var<T> map_input(Var<T> x, bool separate, const Shape& shape) const;

    EncoderConfig config_;
    Parameter<T> token_, position_, norm_w_, norm_b_;
    std::vector<std::unique_ptr<Layer>> layers_;
    // Per-forward buffers, kept so a steady step allocates nothing.
    Labels position_ids_;          // 0..T−1 for every row
    Shape btd_, btf_;              // (B, T, D) and (B, T, d_ff)
    EncoderOutput<T> out_;
};

/// Masked-LM head (BERT's): logits = decoder(LayerNorm(gelu(dense(h)))) on the rows picked by `positions`
/// (indices into the B·T tokens, row-major), so only masked tokens pay for the D×V product; the decoder
/// is not tied to the token embedding. Names mlm.{dense,norm,decoder}.*.
template <class T>
class MaskedLMHead : public Module<T> {
   public:
    MaskedLMHead(const EncoderConfig& config, Rng& rng);
    /// last_hidden (B, T, D) → (K, V) for the K positions; ValueError when positions is empty or one is
    /// outside [0, B·T).
    Var<T> forward(Tape<T>& tape, Var<T> last_hidden, const Labels& positions);
    std::vector<Parameter<T>*> parameters() override;

   private:
    EncoderConfig config_;
    Linear<T> dense_, decoder_;
    Parameter<T> norm_w_, norm_b_;
};

/// Sequence classification on [CLS] (position 0), as BERT's pooler + classifier:
/// logits = classifier(dropout(tanh(pooler(h[:, 0])))). Names cls.{pooler,classifier}.*.
template <class T>
class SequenceClassifier : public Module<T> {
   public:
    SequenceClassifier(const EncoderConfig& config, std::size_t classes, Rng& rng);
    Var<T> forward(Tape<T>& tape, Var<T> last_hidden, Rng* dropout_rng = nullptr);  // (B, classes)
    std::vector<Parameter<T>*> parameters() override;

   private:
    EncoderConfig config_;
    Linear<T> pooler_, classifier_;
    Labels first_rows_;  // b·T for each row b, kept across steps
};

/// Token classification: logits = classifier(dropout(h)) for every token, (B·T, classes); the labels of
/// padding and unlabelled tokens are −100 (cross_entropy's ignore index). Names tok.classifier.*.
template <class T>
class TokenClassifier : public Module<T> {
   public:
    TokenClassifier(const EncoderConfig& config, std::size_t classes, Rng& rng);
    Var<T> forward(Tape<T>& tape, Var<T> last_hidden, Rng* dropout_rng = nullptr);
    std::vector<Parameter<T>*> parameters() override;

   private:
    EncoderConfig config_;
    Linear<T> classifier_;
};

/// BERT's masking of a batch for the masked-LM loss: each non-special, non-padding token is chosen with
/// probability `rate`; a chosen token becomes [MASK] with p 0.8, a uniformly random non-special id
/// with p 0.1, and stays with p 0.1. Ids below `first_word_id` are the special tokens.
/// When no token of the batch is chosen, one candidate is chosen uniformly (and masked by the same
/// 80/10/10 rule), so the loss is always defined. Deterministic for a given state of `rng`: one
/// uniform draw per candidate in row-major order, then the draws of each chosen token.
/// Returns the chosen positions (ascending indices into the B·T tokens) and their original ids (the
/// labels), and rewrites batch.ids in place. ValueError when the batch has no candidate token, ids or
/// padding are not B·T long (padding may be empty), rate is outside (0, 1], or unless
/// 0 ≤ first_word_id < vocab_size and 0 ≤ mask_id < vocab_size.
struct MaskedTokens {
    Labels positions, labels;
};
MaskedTokens mask_tokens(TokenBatch& batch, int mask_id, int first_word_id, int vocab_size, double rate, Rng& rng);

extern template class TransformerEncoder<float>;
extern template class TransformerEncoder<double>;
extern template class MaskedLMHead<float>;
extern template class MaskedLMHead<double>;
extern template class SequenceClassifier<float>;
extern template class SequenceClassifier<double>;
extern template class TokenClassifier<float>;
extern template class TokenClassifier<double>;

}  // namespace gt::nn
