#include "experiments/text_encoder.hpp"

#include <algorithm>


namespace gt::experiments {

namespace {

/// Pads `n` rows of the given lengths into out (ids [PAD], padding flags 1).
void shape_batch(std::size_t n, std::size_t length, nn::TokenBatch& out) {
    out.batch = n;
    out.length = length;
    out.ids.assign(n * length, data::Vocabulary::kPad);
    out.padding.assign(n * length, 1);
}

}  // namespace

void make_text_batch(const std::vector<data::TextExample>& examples, const std::vector<std::size_t>& order,
                     std::size_t begin, std::size_t end, bool token_level, TextBatch& out) {
    std::size_t length = 1;
    for (std::size_t i = begin; i < end; ++i) length = std::max(length, examples.at(order.at(i)).ids.size());
    shape_batch(end - begin, length, out.tokens);
    out.labels.assign(token_level ? (end - begin) * length : end - begin, -100);
    for (std::size_t r = 0; r < end - begin; ++r) {
        const data::TextExample& ex = examples[order[begin + r]];
        for (std::size_t j = 0; j < ex.ids.size(); ++j) {
            out.tokens.ids[r * length + j] = ex.ids[j];
            out.tokens.padding[r * length + j] = 0;
            if (token_level) out.labels[r * length + j] = ex.token_labels.at(j);
        }
        if (!token_level) out.labels[r] = ex.label;
    }
}

void make_token_batch(const std::vector<std::vector<int>>& sequences, const std::vector<std::size_t>& order,
                      std::size_t begin, std::size_t end, nn::TokenBatch& out) {
    std::size_t length = 1;
    for (std::size_t i = begin; i < end; ++i) length = std::max(length, sequences.at(order.at(i)).size());
    shape_batch(end - begin, length, out);
    for (std::size_t r = 0; r < end - begin; ++r) {
        const std::vector<int>& s = sequences[order[begin + r]];
        std::copy(s.begin(), s.end(), out.ids.begin() + static_cast<std::ptrdiff_t>(r * length));
        std::fill_n(out.padding.begin() + static_cast<std::ptrdiff_t>(r * length), s.size(), std::uint8_t(0));
    }
}

Rng epoch_rng(std::uint64_t seed, std::uint64_t stream, long epoch) {
    // Distinct, well-mixed seeds per (seed, stream, epoch) (SplitMix64's finaliser).
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + stream * 0xBF58476D1CE4E5B9ull + static_cast<std::uint64_t>(epoch) + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return Rng(z ^ (z >> 31));
}

std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, std::uint64_t stream, long epoch) {
    Rng r = epoch_rng(seed, stream, epoch);
    return r.permutation(n);
}

template <class T>
std::vector<analysis::LayerStatistics<double>> layer_statistics(nn::TransformerEncoder<T>& encoder,
                                                                const data::TextTask& task,
                                                                const std::vector<data::TextExample>& examples,
                                                                const std::vector<std::size_t>& order,
                                                                std::size_t n, std::size_t batch) {
    const std::size_t layers = encoder.config().layers, d = encoder.config().d_model, classes = task.classes.size();
    std::vector<analysis::LayerStatistics<double>> stats;
    for (std::size_t l = 1; l <= layers; ++l) stats.emplace_back(d, classes, "encoder layer " + std::to_string(l));
    // The rows TL reads: [CLS] (position 0) of each sequence, or each labelled token; Y is their one-hot
    // centred over all rows (TL has no intercept, so Y is centred once, as in the one-shot function).
    TextBatch b;
    std::vector<Labels> rows, labels;
    std::vector<double> class_mean(classes, 0.0);
    std::size_t total = 0;
    for (std::size_t s = 0; s < n; s += batch) {
        make_text_batch(examples, order, s, std::min(n, s + batch), task.token_level, b);
        Labels r, y;
        const std::size_t len = b.tokens.length;
        for (std::size_t i = 0; i < b.tokens.batch; ++i)
            for (std::size_t j = 0; j < (task.token_level ? len : 1); ++j) {
                const int label = b.labels[task.token_level ? i * len + j : i];
                if (label == -100) continue;
                r.push_back(static_cast<int>(i * len + j));
                y.push_back(label);
                class_mean.at(static_cast<std::size_t>(label)) += 1.0;
                ++total;
            }
        rows.push_back(std::move(r));
        labels.push_back(std::move(y));
    }
    for (double& m : class_mean) m /= static_cast<double>(std::max<std::size_t>(total, 1));

    const bool was_training = encoder.training();
    encoder.eval();
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    Tensor<double> h, y;
    for (std::size_t s = 0, k = 0; s < n; s += batch, ++k) {
        if (rows[k].empty()) continue;
        make_text_batch(examples, order, s, std::min(n, s + batch), task.token_level, b);
        tape.reset();
        const nn::EncoderOutput<T>& out = encoder.forward(tape, b.tokens);
        const std::size_t m = rows[k].size();
        y = Tensor<double>::from_shape({m, classes});
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t c = 0; c < classes; ++c)
                y(i, c) = (static_cast<std::size_t>(labels[k][i]) == c ? 1.0 : 0.0) - class_mean[c];
        h = Tensor<double>::from_shape({m, d});
        for (std::size_t l = 1; l <= layers; ++l) {
            const T* hv = tape.value(out.hidden[l]).data();
            for (std::size_t i = 0; i < m; ++i)
                for (std::size_t c = 0; c < d; ++c)
                    h(i, c) = static_cast<double>(hv[static_cast<std::size_t>(rows[k][i]) * d + c]);
            stats[l - 1].add(h, y);
        }
    }
    encoder.train(was_training);
    return stats;
}

template <class T, class Head>
double text_accuracy(nn::TransformerEncoder<T>& encoder, Head& head, const data::TextTask& task,
                     const std::vector<data::TextExample>& examples, const std::vector<std::size_t>& order,
                     std::size_t n, std::size_t batch) {
    const bool was_training = encoder.training();
    encoder.eval();
    head.eval();
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    TextBatch b;
    std::size_t correct = 0, total = 0;
    for (std::size_t s = 0; s < n; s += batch) {
        const std::size_t e = std::min(n, s + batch);
        make_text_batch(examples, order, s, e, task.token_level, b);
        tape.reset();
        const nn::EncoderOutput<T>& out = encoder.forward(tape, b.tokens);
        const Tensor<T>& logits = head.forward(tape, out.hidden.back()).value();
        const std::size_t classes = logits.shape()[1];
        for (std::size_t r = 0; r < b.labels.size(); ++r) {
            if (b.labels[r] == -100) continue;
            const T* row = logits.data() + r * classes;
            const std::size_t pred = static_cast<std::size_t>(std::max_element(row, row + classes) - row);
            correct += pred == static_cast<std::size_t>(b.labels[r]);
            ++total;
        }
    }
    encoder.train(was_training);
    head.train(was_training);
    return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
}

#define GT_TEXT_ENCODER(T)                                                                                          \
    template std::vector<analysis::LayerStatistics<double>> layer_statistics(                                     \
        nn::TransformerEncoder<T>&, const data::TextTask&, const std::vector<data::TextExample>&,                  \
        const std::vector<std::size_t>&, std::size_t, std::size_t);                                               \
    template double text_accuracy(nn::TransformerEncoder<T>&, nn::SequenceClassifier<T>&, const data::TextTask&,  \
                                  const std::vector<data::TextExample>&, const std::vector<std::size_t>&,          \
                                  std::size_t, std::size_t);                                                       \
    template double text_accuracy(nn::TransformerEncoder<T>&, nn::TokenClassifier<T>&, const data::TextTask&,     \
                                  const std::vector<data::TextExample>&, const std::vector<std::size_t>&,          \
                                  std::size_t, std::size_t);
GT_TEXT_ENCODER(float)
GT_TEXT_ENCODER(double)
#undef GT_TEXT_ENCODER

}  // namespace gt::experiments
