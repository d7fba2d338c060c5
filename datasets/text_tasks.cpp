#include "datasets/text_tasks.hpp"

#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "autodiff/random.hpp"
#include "autodiff/tensor.hpp"
#include "datasets/brown_tags.hpp"

namespace gt::data {

namespace {

namespace fs = std::filesystem;

void check_options(const TextOptions& o, const char* where) {
    if (o.max_len < 2)
        throw ValueError(fmt::format("{}: expected max_len of at least 2 ([CLS] and one word), found {}", where,
                                     o.max_len));
    if (!(o.test_fraction > 0.0 && o.test_fraction < 1.0))
        throw ValueError(fmt::format("{}: expected 0 < test_fraction < 1, found {}", where, o.test_fraction));
}

// For items grouped by key (in order of the keys' first appearance), whether each is a test item.
std::vector<bool> stratified_test_items(const std::vector<std::string>& keys, double test_fraction, Rng& rng) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::size_t>> members;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto& m = members[keys[i]];
        if (m.empty()) order.push_back(keys[i]);
        m.push_back(i);
    }
    std::vector<bool> test(keys.size(), false);
    for (const std::string& k : order) {
        const std::vector<std::size_t>& m = members[k];
        const std::size_t n = m.size();
        // ceil with a margin for products such as 0.2 · 5 that round just above an integer
        const std::size_t n_test =
            std::min(static_cast<std::size_t>(std::ceil(test_fraction * double(n) - 1e-9)), n - 1);
        const std::vector<std::size_t> perm = rng.permutation(n);
        for (std::size_t j = 0; j < n_test; ++j) test[m[perm[j]]] = true;
    }
    return test;
}

std::vector<std::string> lower_words(const BrownSentence& s, std::size_t max_words) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < s.words.size() && i < max_words; ++i) {
        std::string w = s.words[i];
        for (char& ch : w)
            if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
        out.push_back(std::move(w));
    }
    return out;
}

std::string group_of(const Email& e) { return e.file.substr(0, e.file.find('/')); }

std::string split_text(const TextCorpora& c) {
    return fmt::format("(seed {}, test fraction {})", c.options.seed, c.options.test_fraction);
}

// "ham 3320/829, spam 1517/380" — train/test counts of each class.
std::string counts_text(const TextTask& t) {
    const std::vector<std::size_t> tr = class_counts(t, t.train), te = class_counts(t, t.test);
    std::string out;
    for (std::size_t k = 0; k < t.classes.size(); ++k)
        out += fmt::format("{}{} {}/{}", k ? ", " : "", t.classes[k], tr[k], te[k]);
    return out;
}

// Token-level examples of every Brown sentence: label_words gives one label per word.
template <class LabelWords>
void brown_token_examples(const TextCorpora& c, const TextOptions& opts, TextTask& t, LabelWords&& label_words) {
    for (auto [from, to] : {std::pair{&c.brown_train, &t.train}, std::pair{&c.brown_test, &t.test}})
        for (const BrownSentence& s : *from) {
            TextExample e;
            e.ids = text_ids(lower_words(s, opts.max_len - 1), c.vocab, opts.max_len);
            const std::vector<int> labels = label_words(s);
            e.token_labels.push_back(kIgnoreLabel);
            e.token_labels.insert(e.token_labels.end(), labels.begin(), labels.begin() + (e.ids.size() - 1));
            to->push_back(std::move(e));
        }
}

}  // namespace

std::vector<int> text_ids(const std::vector<std::string>& lower_words, const Vocabulary& vocab,
                          std::size_t max_len) {
    std::vector<int> ids{Vocabulary::kCls};
    for (std::size_t i = 0; i < lower_words.size() && ids.size() < max_len; ++i) ids.push_back(vocab.id(lower_words[i]));
    return ids;
}

TextCorpora load_text_corpora(const std::string& data_dir, const TextOptions& opts) {
    check_options(opts, "load_text_corpora");
    TextCorpora c;
    c.options = opts;
    const std::vector<BrownSentence> brown = read_brown((fs::path(data_dir) / "brown").string());
    const std::vector<Email> mail = read_spam_assassin((fs::path(data_dir) / "spam-assassin").string());

    Rng rng(opts.seed);
    // Brown by file, stratified by genre: one key per file, files in corpus order.
    std::vector<std::string> files, genres;
    for (const BrownSentence& s : brown)
        if (files.empty() || files.back() != s.file) {
            files.push_back(s.file);
            genres.push_back(std::to_string(s.genre));
        }
    const std::vector<bool> test_file = stratified_test_items(genres, opts.test_fraction, rng);
    std::map<std::string, bool> is_test;
    for (std::size_t f = 0; f < files.size(); ++f) is_test[files[f]] = test_file[f];
    for (const BrownSentence& s : brown) (is_test[s.file] ? c.brown_test : c.brown_train).push_back(s);

    std::vector<std::string> groups;
    for (const Email& e : mail) groups.push_back(group_of(e));
    const std::vector<bool> test_mail = stratified_test_items(groups, opts.test_fraction, rng);
    for (std::size_t i = 0; i < mail.size(); ++i) (test_mail[i] ? c.mail_test : c.mail_train).push_back(mail[i]);

    std::vector<std::vector<std::string>> texts;
    texts.reserve(c.brown_train.size() + c.mail_train.size());
    for (const BrownSentence& s : c.brown_train) texts.push_back(lower_words(s, opts.max_len - 1));
    for (const Email& e : c.mail_train) texts.push_back(word_tokens(e.body, opts.max_len - 1));
    c.vocab = Vocabulary::build(texts, opts.min_count, opts.max_vocab);
    return c;
}

std::vector<std::size_t> class_counts(const TextTask& task, const std::vector<TextExample>& examples) {
    std::vector<std::size_t> n(task.classes.size(), 0);
    auto add = [&](int label) {
        if (label == kIgnoreLabel) return;
        if (label < 0 || std::size_t(label) >= n.size())
            throw ValueError(fmt::format("class_counts({}): expected labels in [0, {}) or {}, found {}", task.name,
                                         n.size(), kIgnoreLabel, label));
        ++n[std::size_t(label)];
    };
    for (const TextExample& e : examples) {
        if (task.token_level)
            for (int l : e.token_labels) add(l);
        else
            add(e.label);
    }
    return n;
}

TextTask spam_task(const TextCorpora& c, const TextOptions& opts) {
    check_options(opts, "spam_task");
    TextTask t;
    t.name = "spam";
    t.classes = {"ham", "spam"};
    std::size_t dropped = 0, total = 0;
    for (auto [from, to] : {std::pair{&c.mail_train, &t.train}, std::pair{&c.mail_test, &t.test}})
        for (const Email& m : *from) {
            ++total;
            const std::vector<std::string> words = word_tokens(m.body, opts.max_len - 1);
            if (words.empty()) {
                ++dropped;
                continue;
            }
            TextExample e;
            e.ids = text_ids(words, c.vocab, opts.max_len);
            e.label = m.spam;
            to->push_back(std::move(e));
        }
    t.description = fmt::format(
        "spam: SpamAssassin public corpus, one example per message: the body (the text after the first empty "
        "line; the header block, whose senders, relays and filter fields would give the label away, is removed) as lower-cased word tokens, "
        "[CLS] first, at most {} ids. Label spam for the groups spam-1 and spam-2, ham for easy-ham-1, easy-ham-2 "
        "and hard-ham-1; the class balance is the corpus's. Split by message within each group {}. Examples "
        "train/test: {}. Dropped: {} of {} messages whose body has no word token.",
        opts.max_len, split_text(c), counts_text(t), dropped, total);
    return t;
}

TextTask genre_task(const TextCorpora& c, const TextOptions& opts) {
    check_options(opts, "genre_task");
    TextTask t;
    t.name = "genre";
    t.classes = brown_genres();
    std::size_t dropped = 0;
    for (auto [from, to] : {std::pair{&c.brown_train, &t.train}, std::pair{&c.brown_test, &t.test}})
        for (const BrownSentence& s : *from) {
            if (s.words.size() < kMinGenreTokens) {
                ++dropped;
                continue;
            }
            TextExample e;
            e.ids = text_ids(lower_words(s, opts.max_len - 1), c.vocab, opts.max_len);
            e.label = s.genre;
            to->push_back(std::move(e));
        }
    t.description = fmt::format(
        "genre (a 15-way sentence classification in place of MNLI's 3-way one): Brown corpus, one example per "
        "sentence, its lower-cased words (the corpus's tokenisation, tags not shown), [CLS] first, at most {} ids; "
        "label the genre of the sentence's file (the file name's second letter). Sentences of fewer than {} tokens "
        "(punctuation counted) are dropped: {} of {}. Split by file within each genre, so no text straddles train "
        "and test {}. Examples train/test: {}.",
        opts.max_len, kMinGenreTokens, dropped, c.brown_train.size() + c.brown_test.size(), split_text(c),
        counts_text(t));
    return t;
}

TextTask pos_task(const TextCorpora& c, const TextOptions& opts) {
    check_options(opts, "pos_task");
    TextTask t;
    t.name = "pos";
    t.token_level = true;
    t.classes = coarse_tag_names();
    brown_token_examples(c, opts, t, [](const BrownSentence& s) {
        std::vector<int> labels;
        for (const std::string& tag : s.tags) {
            const int k = coarse_brown_tag(tag);
            if (k < 0)
                throw ValueError("pos_task: " + s.file + ": expected a Brown tag, found '" + tag +
                                 "' (base tag '" + base_brown_tag(tag) + "')");
            labels.push_back(k);
        }
        return labels;
    });
    t.description = fmt::format(
        "pos: Brown corpus, one example per sentence ([CLS] then its lower-cased words, at most {} ids), every "
        "word labelled with its Brown tag collapsed to 12 classes: a leading fw- is removed, a contraction keeps "
        "the tag before '+', the markers $ and * are removed (the tag * of 'not' stays *), the modifiers -tl, -hl, "
        "-nc are removed, and the base tag maps as {}. Split by file within each genre {}. Labelled tokens "
        "train/test: {}.",
        opts.max_len, coarse_tag_mapping(), split_text(c), counts_text(t));
    return t;
}

TextTask ner_task(const TextCorpora& c, const TextOptions& opts) {
    check_options(opts, "ner_task");
    TextTask t;
    t.name = "ner";
    t.token_level = true;
    t.classes = name_tag_names();
    brown_token_examples(c, opts, t, [](const BrownSentence& s) { return name_tags(s.tags); });
    t.description = fmt::format(
        "ner (a named-entity stand-in read from the Brown tags): Brown corpus, one example per sentence ([CLS] "
        "then its lower-cased words, at most {} ids). A word is a name when its base tag (as in pos) is np or nps "
        "(proper noun, also possessive, in titles, headlines or contractions), a title word when its raw tag "
        "carries -tl and it is not a name. Each run of consecutive name words is one name, B-NAME on its first "
        "word and I-NAME on the rest; each run of consecutive title words likewise B-TITLE, I-TITLE; a name run and "
        "a title run next to each other are two entities; every other word is O. Labels are made on the whole "
        "sentence, then cut with it. Split by file within each genre {}. Labelled tokens train/test: {}.",
        opts.max_len, split_text(c), counts_text(t));
    return t;
}

std::vector<std::vector<int>> pretraining_sequences(const TextCorpora& c, const TextOptions& opts) {
    check_options(opts, "pretraining_sequences");
    std::vector<std::vector<int>> out;
    for (const BrownSentence& s : c.brown_train) out.push_back(text_ids(lower_words(s, opts.max_len - 1), c.vocab, opts.max_len));
    for (const Email& m : c.mail_train) {
        const std::vector<std::string> words = word_tokens(m.body, opts.max_len - 1);
        if (!words.empty()) out.push_back(text_ids(words, c.vocab, opts.max_len));
    }
    return out;
}

}  // namespace gt::data
