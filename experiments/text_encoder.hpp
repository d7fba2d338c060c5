// The encoder side of the transformer figure: text examples as padded token batches, one masked-LM or
// fine-tuning step through nn::train_step (AdamW, warmup + linear decay, clipping at a global norm), and
// the per-layer hidden states that Target Linearity is measured on.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/streaming.hpp"
#include "autodiff/autodiff.hpp"
#include "datasets/text.hpp"
#include "nn/adam.hpp"
#include "nn/schedule.hpp"
#include "nn/training_loop.hpp"
#include "nn/transformer.hpp"

namespace gt::experiments {

/// One mini-batch: ids padded with [PAD] to the longest example in it, and its labels: one per sequence
/// (sequence tasks) or one per token position, B·T, with −100 on [CLS], padding and unlabelled words.
struct TextBatch {
    nn::TokenBatch tokens;
    Labels labels;
};

/// The examples order[begin, end) as a batch, reusing out's buffers.
void make_text_batch(const std::vector<data::TextExample>& examples, const std::vector<std::size_t>& order,
                     std::size_t begin, std::size_t end, bool token_level, TextBatch& out);
/// Unlabelled sequences order[begin, end) as a batch (masked-LM pre-training).
void make_token_batch(const std::vector<std::vector<int>>& sequences, const std::vector<std::size_t>& order,
                      std::size_t begin, std::size_t end, nn::TokenBatch& out);

/// The order of the n examples in epoch `epoch` of a run: a permutation drawn from (seed, stream, epoch)
/// alone, so a resumed run sees the same batches without saving a loader.
std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, std::uint64_t stream, long epoch);
/// A generator for one epoch's random draws (dropout, masking), from (seed, stream, epoch) alone.
Rng epoch_rng(std::uint64_t seed, std::uint64_t stream, long epoch);

/// The reference code's fine-tuning recipe: AdamW (PyTorch semantics, decay on every parameter),
/// the learning rate warmed up linearly over the first `warmup` fraction of the steps and then decayed
/// linearly to 0 at the last, gradients clipped to global norm `clip` before each update.
struct Recipe {
    double lr = 1e-4, weight_decay = 0.01, warmup = 0.1, clip = 1.0;
    long total_steps = 1;
};

/// Steps of a run under `recipe`: sets the scheduled learning rate, then nn::train_step with the clip in
/// after_backward (then `also`, which reads the tape's gradients before the update). `step` counts the
/// steps before this one (0-based), as nn::train_step keeps it.
template <class T, class MakeLoss>
double recipe_step(Tape<T>& tape, nn::AdamW<T>& opt, const Recipe& recipe, MakeLoss&& make_loss,
                   const nn::StepPlace& place, long& step, const std::function<void(Tape<T>&)>& also = {}) {
    const long warmup = static_cast<long>(std::ceil(recipe.warmup * static_cast<double>(recipe.total_steps)));
    opt.set_lr(recipe.lr * nn::linear_warmup_decay(step, warmup, recipe.total_steps));
    nn::StepHooks<T> hooks;
    const std::vector<nn::Parameter<T>*>& params = opt.parameters();
    const double clip = recipe.clip;
    hooks.after_backward = [&params, clip, &also](Tape<T>& t) {
        nn::clip_grad_norm(params, clip);
        if (also) also(t);
    };
    return nn::train_step(tape, opt, std::forward<MakeLoss>(make_loss), place, step, hooks);
}

/// Streams, without gradients, the hidden state of every encoder layer 1…L (the embedding output is not
/// measured, as the paper's plot drops it) at the rows the task's TL reads, against the centred one-hot
/// of their labels: the [CLS] position of each sequence, or every labelled word of each sentence.
/// Examples `order[0, n)` of `examples`, in batches of `batch`.
template <class T>
std::vector<analysis::LayerStatistics<double>> layer_statistics(nn::TransformerEncoder<T>& encoder,
                                                                const data::TextTask& task,
                                                                const std::vector<data::TextExample>& examples,
                                                                const std::vector<std::size_t>& order,
                                                                std::size_t n, std::size_t batch);

/// (B, T, d) as (B·T, d): the tokens of a batch as sample rows.
template <class T>
Tensor<T> token_rows(const Tensor<T>& x) {
    const std::size_t d = x.shape().back(), n = d ? x.size() / d : 0;
    Tensor<T> r = Tensor<T>::from_shape({n, d});
    std::copy(x.data(), x.data() + x.size(), r.data());
    return r;
}

/// Accuracy of encoder + head on examples order[0, n): per sequence, or per labelled word.
template <class T, class Head>
double text_accuracy(nn::TransformerEncoder<T>& encoder, Head& head, const data::TextTask& task,
                     const std::vector<data::TextExample>& examples, const std::vector<std::size_t>& order,
                     std::size_t n, std::size_t batch);

}  // namespace gt::experiments
