// Brown part-of-speech tags collapsed to a small tag set (the pos task) and the name/title runs the ner
// task reads from them.
//
// A raw tag becomes its base tag in four steps:
//   1. a leading "fw-" (foreign word) is removed:           "fw-nn-tl" → "nn-tl"
//   2. a contraction keeps its first part, before '+':     "ppss+md" → "ppss", "pps+bez-hl" → "pps"
//   3. the markers '$' (possessive) and '*' (negation) are removed: "nn$" → "nn", "md*" → "md"; the tag
//      "*" alone (the word "not" / "n't") stays "*"
//   4. the trailing modifiers "-tl" (title), "-hl" (headline), "-nc" (cited) are removed: "np-tl" → "np"
// The base tag then maps to one of twelve coarse classes:
//   noun          nn nns nr nrs
//   proper noun   np nps
//   verb          vb vbd vbg vbn vbz, be bed bedz beg bem ben ber bez, do dod doz, hv hvd hvg hvn hvz, md
//   adjective     jj jjr jjs jjt
//   adverb        rb rbr rbt rn rp ql qlp wql wrb abl *
//   pronoun       pp ppl ppls ppo pps ppss pn wp wpo wps ex
//   determiner    at dt dti dts dtx abn abx ap wdt
//   preposition   in
//   conjunction   cc cs
//   number        cd od
//   punctuation   . , : ( ) `` '' ' --
//   other         to uh nil
// Any other base tag is not a Brown tag (the reader rejects it).
#pragma once

#include <string>
#include <vector>

namespace gt::data {

/// The coarse classes, in the order of their ids.
enum CoarseTag : int {
    kNoun, kProperNoun, kVerb, kAdjective, kAdverb, kPronoun, kDeterminer, kPreposition, kConjunction, kNumber,
    kPunctuation, kOtherTag, kCoarseTagCount
};
/// "noun", "proper noun", …, "other", indexed by CoarseTag.
const std::vector<std::string>& coarse_tag_names();

/// Steps 1–4 above; "" when nothing is left (e.g. "fw-").
std::string base_brown_tag(const std::string& raw_tag);
/// The coarse class of a raw tag, or −1 when its base tag is not in the table above.
int coarse_brown_tag(const std::string& raw_tag);
/// The table above in one line, from the table the code uses: "noun: nn nns nr nrs; proper noun: np nps; …".
std::string coarse_tag_mapping();

/// Named-entity stand-in labels.
enum NameTag : int { kOutside, kBeginName, kInsideName, kBeginTitle, kInsideTitle, kNameTagCount };
/// "O", "B-NAME", "I-NAME", "B-TITLE", "I-TITLE", indexed by NameTag.
const std::vector<std::string>& name_tag_names();

/// One label per word of a sentence's raw tags. A name word has the proper-noun base tag np or nps; a
/// title word has a raw tag carrying "-tl" and is not a name word. A run of consecutive name words is one
/// name: its first word B-NAME, the rest I-NAME; likewise a run of title words is B-TITLE, I-TITLE …; a
/// title run right after a name run (or the reverse) starts a new entity. Every other word is O.
std::vector<int> name_tags(const std::vector<std::string>& raw_tags);

}  // namespace gt::data
