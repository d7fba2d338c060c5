#include "datasets/vocabulary.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "autodiff/tensor.hpp"

namespace gt::data {

namespace {

bool is_word_byte(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}  // namespace

std::vector<std::string> word_tokens(const std::string& text, std::size_t max_words) {
    std::vector<std::string> out;
    const std::size_t n = text.size();
    auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    for (std::size_t i = 0; i < n && (max_words == 0 || out.size() < max_words);) {
        const unsigned char c = at(i);
        if (is_word_byte(c)) {
            std::string word;
            for (;;) {
                const unsigned char d = at(i);
                word += (d >= 'A' && d <= 'Z') ? char(d - 'A' + 'a') : char(d);
                ++i;
                if (i < n && is_word_byte(at(i))) continue;
                // an apostrophe or hyphen between two word characters joins them
                if (i + 1 < n && (at(i) == '\'' || at(i) == '-') && is_word_byte(at(i + 1))) {
                    word += text[i];
                    ++i;
                    continue;
                }
                break;
            }
            out.push_back(std::move(word));
        } else if (c <= ' ' || c == 127) {
            ++i;
        } else {
            out.emplace_back(1, char(c));
            ++i;
        }
    }
    return out;
}

Vocabulary Vocabulary::build(const std::vector<std::vector<std::string>>& texts, std::size_t min_count,
                             std::size_t max_size) {
    if (max_size != 0 && max_size < std::size_t(kFirstWord))
        throw ValueError("Vocabulary::build: expected max_size 0 (no limit) or at least " +
                         std::to_string(kFirstWord) + " (the special tokens), found " + std::to_string(max_size));
    std::unordered_map<std::string, std::size_t> counts;
    for (const auto& text : texts)
        for (const std::string& w : text) ++counts[w];
    std::vector<std::pair<std::string, std::size_t>> kept;
    for (auto& [w, c] : counts)
        if (c >= std::max<std::size_t>(min_count, 1)) kept.emplace_back(w, c);
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (max_size != 0 && kept.size() > max_size - kFirstWord) kept.resize(max_size - kFirstWord);
    Vocabulary v;
    v.words_ = {"[PAD]", "[UNK]", "[CLS]", "[MASK]"};
    for (auto& [w, c] : kept) {
        v.ids_.emplace(w, static_cast<int>(v.words_.size()));
        v.words_.push_back(w);
    }
    return v;
}

int Vocabulary::id(const std::string& lower_word) const {
    const auto it = ids_.find(lower_word);
    return it == ids_.end() ? kUnk : it->second;
}

const std::string& Vocabulary::word(int id) const {
    if (id < 0 || std::size_t(id) >= words_.size())
        throw ValueError("Vocabulary::word: expected an id in [0, " + std::to_string(words_.size()) + "), found " +
                         std::to_string(id));
    return words_[std::size_t(id)];
}

}  // namespace gt::data
