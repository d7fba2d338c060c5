// Reliability test helpers: scratch folders, byte files, running code in a child process (for resource
// limits and SIGKILL), and the table of docs/reliability.md.
#pragma once

#include "tests/common/bytes.hpp"
#include "tests/common/temp_dir.hpp"

#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace gt::rel {

using gt::testing::Bytes;
using gt::testing::put_be32;
using gt::testing::write_bytes;

/// A fresh folder, removed with its contents at scope exit.
struct TempDir : gt::testing::ScratchDir {
    TempDir() : ScratchDir("gt_rel_") {}
};

inline Bytes read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Replaces every occurrence of `from` in s by `to`.
inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    if (from.empty()) return s;
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
    return s;
}

/// What a child process did: its exit status and everything it wrote to the pipe.
struct ChildResult {
    int status = 0;
    std::string output;
    bool exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

/// Runs f in a forked child; f writes its report with `report` and returns the exit code.
inline ChildResult in_child(const std::function<int(const std::function<void(const std::string&)>& report)>& f) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(fds[0]);
        int code = 3;
        try {
            code = f([&](const std::string& s) { (void)!::write(fds[1], s.data(), s.size()); });
        } catch (...) {
            code = 4;
        }
        ::_exit(code);
    }
    ::close(fds[1]);
    ChildResult r;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.output.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    ::waitpid(pid, &r.status, 0);
    return r;
}

/// The rows of the malformed-input table in docs/reliability.md: id → (exception type, message).
struct DocRow {
    std::string type, message;
};
std::map<std::string, DocRow> doc_rows();

}  // namespace gt::rel
