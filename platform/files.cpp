#include "platform/files.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/durable.hpp"

namespace gt {

fs::path temp_path_for(const fs::path& path) {
    static std::atomic<unsigned> counter{0};
    const std::string name = fmt::format(".{}.tmp.{}.{}", path.filename().string(), static_cast<long>(::getpid()),
                                         counter.fetch_add(1));
    return path.parent_path() / name;
}

void commit_temp(const fs::path& tmp, const fs::path& path) {
    std::error_code ec;
    // The temporary's bytes reach the disk before the rename publishes them (power loss).
    if (const int err = sync_path(tmp.string())) {
        fs::remove(tmp, ec);
        throw IoError("cannot write " + path.string() + ": flushing " + tmp.filename().string() +
                      " to disk failed (fsync: " + std::strerror(err) + ")");
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
    }
    sync_parent_folder(path.string());
}

void write_text_atomic(const fs::path& path, const std::string& text) {
    const fs::path tmp = temp_path_for(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw IoError("cannot write " + path.string() + ": folder missing or not writable (" + std::strerror(errno) + ")");
    int err = 0;
    for (std::size_t done = 0; done < text.size() && !err;) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno != EINTR) err = errno;
        } else {
            done += static_cast<std::size_t>(n);
        }
    }
    const bool write_failed = err != 0;
    if (!err) err = sync_file(fd);
    if (::close(fd) != 0 && !err) err = errno;
    if (err) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw IoError("cannot write " + path.string() + ": " + (write_failed ? "write failed (" : "flushing to disk failed (fsync: ") +
                      std::strerror(err) + ")");
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
    }
    sync_parent_folder(path.string());
}

void write_json_atomic(const fs::path& path, const json& j) { write_text_atomic(path, j.dump(2) + "\n"); }

namespace {

std::string file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "a special file";
}

std::string mib(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", double(bytes) / (1 << 20)); }

}  // namespace

std::string read_text(const fs::path& path, std::uint64_t max_bytes) {
    const std::string p = path.string();
    auto fail = [&](const std::string& why) { throw IoError("cannot read " + p + ": " + why); };
    auto check = [&](const struct stat& st) {
        if (!S_ISREG(st.st_mode)) fail("expected a regular file, found " + file_kind(st.st_mode));
        if (std::uint64_t(st.st_size) > max_bytes)
            fail(fmt::format("expected at most {} ({} bytes), found {} bytes", mib(max_bytes), max_bytes, st.st_size));
    };
    struct stat st{};
    if (::stat(p.c_str(), &st) != 0) fail(std::string("no such file or not readable (") + std::strerror(errno) + ")");
    check(st);
    // O_NONBLOCK: should a FIFO replace the file after stat, open and read return instead of waiting.
    const int fd = ::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) fail(std::string("cannot open it (") + std::strerror(errno) + ")");
    std::string out;
    try {
        if (::fstat(fd, &st) != 0) fail(std::string("fstat failed (") + std::strerror(errno) + ")");
        check(st);
        out.resize(std::size_t(st.st_size));
        std::size_t done = 0;
        for (;;) {  // the file may grow or shrink while read: read to EOF, never past the cap
            if (done == out.size()) {
                if (out.size() >= max_bytes + 1) break;
                out.resize(std::size_t(std::min<std::uint64_t>(max_bytes + 1, out.size() + 65536)));
            }
            const ssize_t n = ::read(fd, &out[done], out.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail(std::string("read failed (") + std::strerror(errno) + ")");
            if (n == 0) break;
            done += std::size_t(n);
        }
        if (done > max_bytes) fail(fmt::format("expected at most {} ({} bytes), found more (the file grew while read)", mib(max_bytes), max_bytes));
        out.resize(done);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return out;
}

namespace {

/// Refuses nesting deeper than kJsonMaxDepth with a scan that builds nothing (so no recursion later).
void check_json_depth(const std::string& text, const std::string& where) {
    int depth = 0;
    std::size_t line = 1;
    bool in_string = false, escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') ++line;
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kJsonMaxDepth)
                throw IoError(fmt::format("{}: expected JSON nested at most {} deep, found deeper nesting at line {}, byte offset {}",
                                          where, kJsonMaxDepth, line, i));
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

}  // namespace

json parse_json_checked(const std::string& text, const std::string& where) {
    check_json_depth(text, where);
    std::vector<std::set<std::string>> keys;  // the keys seen so far in each open object
    auto no_duplicates = [&](int, json::parse_event_t ev, json& parsed) {
        if (ev == json::parse_event_t::object_start) keys.emplace_back();
        else if (ev == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
        else if (ev == json::parse_event_t::key && !keys.empty()) {
            const std::string k = parsed.get<std::string>();
            if (!keys.back().insert(k).second)
                throw IoError(fmt::format("{}: expected each key once per object, found '{}' twice", where, k));
        }
        return true;
    };
    try {
        return json::parse(text, no_duplicates);
    } catch (const json::exception& e) {
        throw IoError("cannot parse " + where + " as JSON: " + e.what());
    }
}

json read_json(const fs::path& path) { return parse_json_checked(read_text(path, kJsonCap), path.string()); }

}  // namespace gt
