#include "datasets/brown_tags.hpp"

#include <map>

namespace gt::data {

namespace {

bool ends_with(const std::string& s, const char* suffix) {
    const std::string x(suffix);
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

const std::map<std::string, int>& coarse_table() {
    static const std::map<std::string, int> table = [] {
        std::map<std::string, int> t;
        auto put = [&t](int cls, std::initializer_list<const char*> tags) {
            for (const char* tag : tags) t.emplace(tag, cls);
        };
        put(kNoun, {"nn", "nns", "nr", "nrs"});
        put(kProperNoun, {"np", "nps"});
        put(kVerb, {"vb", "vbd", "vbg", "vbn", "vbz", "be", "bed", "bedz", "beg", "bem", "ben", "ber", "bez", "do",
                    "dod", "doz", "hv", "hvd", "hvg", "hvn", "hvz", "md"});
        put(kAdjective, {"jj", "jjr", "jjs", "jjt"});
        put(kAdverb, {"rb", "rbr", "rbt", "rn", "rp", "ql", "qlp", "wql", "wrb", "abl", "*"});
        put(kPronoun, {"pp", "ppl", "ppls", "ppo", "pps", "ppss", "pn", "wp", "wpo", "wps", "ex"});
        put(kDeterminer, {"at", "dt", "dti", "dts", "dtx", "abn", "abx", "ap", "wdt"});
        put(kPreposition, {"in"});
        put(kConjunction, {"cc", "cs"});
        put(kNumber, {"cd", "od"});
        put(kPunctuation, {".", ",", ":", "(", ")", "``", "''", "'", "--"});
        put(kOtherTag, {"to", "uh", "nil"});
        return t;
    }();
    return table;
}

}  // namespace

const std::vector<std::string>& coarse_tag_names() {
    static const std::vector<std::string> names = {"noun",        "proper noun", "verb",        "adjective",
                                                   "adverb",      "pronoun",     "determiner",  "preposition",
                                                   "conjunction", "number",      "punctuation", "other"};
    return names;
}

std::string base_brown_tag(const std::string& raw_tag) {
    std::string s = raw_tag.compare(0, 3, "fw-") == 0 ? raw_tag.substr(3) : raw_tag;
    s = s.substr(0, s.find('+'));
    std::string core;
    bool negation = false;
    for (char c : s) {
        if (c == '*') negation = true;
        else if (c != '$') core += c;
    }
    for (bool stripped = true; stripped;) {
        stripped = false;
        for (const char* modifier : {"-tl", "-hl", "-nc"})
            if (ends_with(core, modifier)) {
                core.resize(core.size() - 3);
                stripped = true;
            }
    }
    if (core.empty() && negation) return "*";
    return core;
}

int coarse_brown_tag(const std::string& raw_tag) {
    const auto it = coarse_table().find(base_brown_tag(raw_tag));
    return it == coarse_table().end() ? -1 : it->second;
}

std::string coarse_tag_mapping() {
    std::string out;
    for (int cls = 0; cls < kCoarseTagCount; ++cls) {
        out += (cls ? "; " : "") + coarse_tag_names()[std::size_t(cls)] + ":";
        for (const auto& [tag, c] : coarse_table())
            if (c == cls) out += " " + tag;
    }
    return out;
}

const std::vector<std::string>& name_tag_names() {
    static const std::vector<std::string> names = {"O", "B-NAME", "I-NAME", "B-TITLE", "I-TITLE"};
    return names;
}

std::vector<int> name_tags(const std::vector<std::string>& raw_tags) {
    std::vector<int> out(raw_tags.size(), kOutside);
    int previous = kOutside;  // the entity kind of the word before: kBeginName, kBeginTitle or kOutside
    for (std::size_t i = 0; i < raw_tags.size(); ++i) {
        const std::string base = base_brown_tag(raw_tags[i]);
        int kind = kOutside;
        if (base == "np" || base == "nps") kind = kBeginName;
        else if (raw_tags[i].find("-tl") != std::string::npos) kind = kBeginTitle;
        if (kind != kOutside) out[i] = kind == previous ? kind + 1 : kind;  // I-X follows B-X in the enum
        previous = kind;
    }
    return out;
}

}  // namespace gt::data
