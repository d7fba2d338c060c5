// The corpora of the transformer figure read once and split, their vocabulary, and the four tasks built
// on them (each task's description states how its labels are made and how many examples each class has).
//
// Split: deterministic from TextOptions::seed, one gt::Rng drawn in a fixed order. Brown is split by
// FILE within each genre, so the sentences of one text never straddle train and test; the e-mails by
// message within each group. In a stratum of n items (files of a genre, messages of a group),
// min(ceil(test_fraction · n), n − 1) of them are test: the first ones of rng.permutation(n).
// Sentences and e-mails keep their corpus order inside each part.
//
// Ids: [CLS] then one id per word, at most max_len ids in all (longer texts are cut at max_len − 1
// words). A Brown sentence's words are its corpus words lower-cased (one id per tagged word, so token
// labels align); an e-mail's words are word_tokens(body). The vocabulary counts exactly these training
// words (Brown train sentences and train e-mails, each cut at max_len − 1 words).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/brown.hpp"
#include "datasets/spam_assassin.hpp"
#include "datasets/vocabulary.hpp"

namespace gt::data {

/// One example: ids begin with [CLS] and hold at most max_len ids; sequence tasks set `label`, token
/// tasks set `token_labels` (one per id: −100 for [CLS], the word's class for every other id).
struct TextExample {
    std::vector<int> ids;
    int label = -1;
    std::vector<int> token_labels;
};

struct TextTask {
    std::string name;                  // "spam", "genre", "pos", "ner"
    bool token_level = false;
    std::vector<std::string> classes;  // label names
    std::vector<TextExample> train, test;
    std::string description;           // how the labels were made, one paragraph, for the report
};

/// The label −100 of positions that no loss or accuracy counts ([CLS]).
constexpr int kIgnoreLabel = -100;
/// Genre examples need at least this many tokens (punctuation marks count as tokens).
constexpr std::size_t kMinGenreTokens = 5;

struct TextOptions {
    std::size_t max_len = 64;        // ids per example, [CLS] included; longer texts are cut (at least 2)
    double test_fraction = 0.2;      // deterministic split from `seed`, 0 < test_fraction < 1
    std::uint64_t seed = 0;
    std::size_t min_count = 2;       // vocabulary
    std::size_t max_vocab = 20000;   // ids in all, special tokens included (0 = no limit)
};

/// The corpora read once, split, and the vocabulary built from the training split of both.
struct TextCorpora {
    std::vector<BrownSentence> brown_train, brown_test;
    std::vector<Email> mail_train, mail_test;
    Vocabulary vocab;
    TextOptions options;  // those it was loaded with (the split and the vocabulary depend on them)
};
/// Reads data_dir/brown and data_dir/spam-assassin, splits and builds the vocabulary (rules above).
/// ValueError for options out of range; the readers' IoErrors for missing or malformed files.
TextCorpora load_text_corpora(const std::string& data_dir, const TextOptions& opts);

/// [CLS] and the ids of the first max_len − 1 words (lower-cased by the caller, or Brown words as read).
std::vector<int> text_ids(const std::vector<std::string>& lower_words, const Vocabulary& vocab,
                          std::size_t max_len);

/// The four tasks of the transformer figure. opts.max_len cuts the examples; the split is c's.
/// spam: e-mail body → ham / spam; e-mails whose body has no word token are dropped (counted).
TextTask spam_task(const TextCorpora& c, const TextOptions& opts);
/// genre: Brown sentence → its file's genre (15 classes); sentences under kMinGenreTokens are dropped.
TextTask genre_task(const TextCorpora& c, const TextOptions& opts);
/// pos: every word of a Brown sentence → its coarse tag (brown_tags.hpp, 12 classes).
TextTask pos_task(const TextCorpora& c, const TextOptions& opts);
/// ner: every word → O / B-NAME / I-NAME / B-TITLE / I-TITLE from the tags (name_tags, brown_tags.hpp).
TextTask ner_task(const TextCorpora& c, const TextOptions& opts);

/// How many examples (sequence tasks) or labelled tokens (token tasks) each class has.
std::vector<std::size_t> class_counts(const TextTask& task, const std::vector<TextExample>& examples);

/// Unlabelled id sequences for masked-LM pre-training: every training sentence (none dropped), then
/// every training e-mail body with at least one word, as text_ids cut at opts.max_len.
std::vector<std::vector<int>> pretraining_sequences(const TextCorpora& c, const TextOptions& opts);

}  // namespace gt::data
