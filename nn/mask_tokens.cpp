// BERT's masked-LM corruption of a batch (nn/transformer.hpp, mask_tokens).
#include <string>

#include "nn/transformer.hpp"

namespace gt::nn {

namespace {

// The 80/10/10 rule for one chosen token: [MASK], a random word, or unchanged.
int corrupt(int id, int mask_id, int first_word_id, int vocab_size, Rng& rng) {
    const double r = rng.uniform();
    if (r < 0.8) return mask_id;
    if (r < 0.9) return first_word_id + static_cast<int>(rng.below(static_cast<std::uint64_t>(vocab_size - first_word_id)));
    return id;
}

}  // namespace

MaskedTokens mask_tokens(TokenBatch& batch, int mask_id, int first_word_id, int vocab_size, double rate, Rng& rng) {
    const std::size_t n = batch.batch * batch.length;
    const std::string where = "mask_tokens: batch (B " + std::to_string(batch.batch) + ", T " +
                              std::to_string(batch.length) + ")";
    if (batch.ids.size() != n)
        throw ValueError(where + ": expected B·T = " + std::to_string(n) + " ids, got " + std::to_string(batch.ids.size()));
    if (!batch.padding.empty() && batch.padding.size() != n)
        throw ValueError(where + ": expected B·T = " + std::to_string(n) + " padding flags (or none), got " +
                         std::to_string(batch.padding.size()));
    if (!(rate > 0.0 && rate <= 1.0)) throw ValueError("mask_tokens: expected rate in (0, 1], got " + std::to_string(rate));
    if (first_word_id < 0 || first_word_id >= vocab_size || mask_id < 0 || mask_id >= vocab_size)
        throw ValueError("mask_tokens: expected 0 <= first_word_id < vocab_size and 0 <= mask_id < vocab_size, got "
                         "first_word_id " + std::to_string(first_word_id) + ", mask_id " + std::to_string(mask_id) +
                         ", vocab_size " + std::to_string(vocab_size));

    auto candidate = [&](std::size_t i) {
        return batch.ids[i] >= first_word_id && (batch.padding.empty() || batch.padding[i] == 0);
    };
    MaskedTokens m;
    std::size_t candidates = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!candidate(i)) continue;
        ++candidates;
        if (rng.uniform() < rate) m.positions.push_back(static_cast<int>(i));
    }
    if (candidates == 0)
        throw ValueError(where + ": no token to mask (every token is padding or a special id below " +
                         std::to_string(first_word_id) + ")");
    if (m.positions.empty()) {  // none chosen: take one candidate uniformly, so the loss is defined
        std::size_t pick = rng.below(candidates);
        for (std::size_t i = 0; i < n; ++i)
            if (candidate(i) && pick-- == 0) {
                m.positions.push_back(static_cast<int>(i));
                break;
            }
    }
    for (int p : m.positions) {
        m.labels.push_back(batch.ids[p]);
        batch.ids[p] = corrupt(batch.ids[p], mask_id, first_word_id, vocab_size, rng);
    }
    return m;
}

}  // namespace gt::nn
