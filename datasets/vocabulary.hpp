// Word-level tokens of free text, and the vocabulary that maps words to ids.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace gt::data {

/// Lower-cased word tokens of free text, at most `max_words` of them (0 = all). A word is a run of
/// letters and digits, where a ' or - between two of them joins ("don't", "e-mail"); bytes of 0x80 and
/// above (UTF-8 sequences) count as letters and are kept as they are; ASCII letters are lower-cased.
/// Every other printable ASCII character is a token of its own ("<", "$", "!"); spaces and control
/// characters (\t, \r, \n …) only separate.
std::vector<std::string> word_tokens(const std::string& text, std::size_t max_words = 0);

/// Word-level vocabulary. Ids 0…3 are the special tokens [PAD], [UNK], [CLS], [MASK]; words follow by
/// descending count (ties in lexicographic byte order), those seen at least `min_count` times (0 counts
/// as 1), at most `max_size` ids in all, the four special ones included (0 = no limit; otherwise at
/// least 4, else ValueError). The special tokens are not words: id("[CLS]") is kUnk.
class Vocabulary {
   public:
    static constexpr int kPad = 0, kUnk = 1, kCls = 2, kMask = 3, kFirstWord = 4;

    Vocabulary() = default;
    /// From lower-cased words (of the training split only, so that test words may be unknown).
    static Vocabulary build(const std::vector<std::vector<std::string>>& texts, std::size_t min_count,
                            std::size_t max_size);
    int id(const std::string& lower_word) const;  // kUnk when unknown
    /// The word of an id ("[PAD]" … "[MASK]" for the special ones); ValueError outside [0, size()).
    const std::string& word(int id) const;
    std::size_t size() const { return words_.size(); }

   private:
    std::vector<std::string> words_;
    std::map<std::string, int> ids_;
};

}  // namespace gt::data
