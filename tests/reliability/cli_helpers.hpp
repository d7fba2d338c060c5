// Running the real `gramtape` binary (its path is the first argument after `--`) as a child process
// for the CLI tests: start, wait, read its output, and compare with the rows of docs/reliability.md.
#pragma once

#include <cstdlib>
#include <fcntl.h>
#include <sys/resource.h>

#include <boost/test/unit_test.hpp>

#include "platform/npy.hpp"
#include "tests/reliability/helpers.hpp"

namespace gt::rel {

namespace fs = std::filesystem;

inline std::string gramtape() {
    const auto& m = boost::unit_test::framework::master_test_suite();
    for (int i = 1; i < m.argc; ++i)
        if (fs::exists(m.argv[i])) return m.argv[i];
    return "";
}

inline std::string data_dir() {
    const char* root = std::getenv("GT_SOURCE_ROOT");
    return std::string(root ? root : ".") + "/data";
}

struct Run {
    pid_t pid = -1;
    std::string log;
};

/// More resource limits for the child only: {RLIMIT_AS, bytes}, {RLIMIT_STACK, bytes}, ...
using Limits = std::vector<std::pair<decltype(RLIMIT_AS), rlim_t>>;

/// More environment for the child only: {"PATH", "/some/dir"}, ...
using Env = std::vector<std::pair<std::string, std::string>>;

/// Starts gramtape with `args`; stdout and stderr go to `log`. fsize_limit > 0 sets RLIMIT_FSIZE
/// (bytes) in the child only, with SIGXFSZ ignored so a write past it fails with EFBIG.
inline Run start(const std::vector<std::string>& args, const std::string& log, rlim_t fsize_limit = 0,
                 const Limits& limits = {}, const Env& env = {}) {
    Run r;
    r.log = log;
    r.pid = ::fork();
    if (r.pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
        for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
        if (fsize_limit) {
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit lim{fsize_limit, fsize_limit};
            ::setrlimit(RLIMIT_FSIZE, &lim);
        }
        for (const auto& [resource, value] : limits) {
            const rlimit lim{value, value};
            ::setrlimit(resource, &lim);
        }
        std::vector<char*> argv;
        static std::string exe;
        exe = gramtape();
        argv.push_back(exe.data());
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    return r;
}

struct Done {
    int status = -1;  // exit code, or 128 + signal
    std::string output;
};

inline Done finish(const Run& r) {
    int st = 0;
    ::waitpid(r.pid, &st, 0);
    Done d;
    d.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    const Bytes b = read_bytes(r.log);
    d.output.assign(b.begin(), b.end());
    return d;
}

inline Done run(const std::vector<std::string>& args, const TempDir& dir, rlim_t fsize_limit = 0, const Limits& limits = {},
                const Env& env = {}) {
    return finish(start(args, dir.file("gramtape.log"), fsize_limit, limits, env));
}

/// The last non-empty line of the output (progress lines use \r).
inline std::string last_line(const std::string& out) {
    std::string s = out;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    const std::size_t p = s.find_last_of("\n\r");
    return p == std::string::npos ? s : s.substr(p + 1);
}

inline std::string text(const fs::path& p) {
    const Bytes b = read_bytes(p.string());
    return std::string(b.begin(), b.end());
}

/// Every file under `folder` that looks unfinished: a leftover temporary, or a .npy that does not
/// parse (truncated, wrong length) with the validating reader.
inline std::vector<std::string> broken_files(const fs::path& folder) {
    std::vector<std::string> bad;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
        if (!e.is_regular_file()) continue;
        const std::string name = e.path().filename().string();
        if (name.find(".tmp") != std::string::npos) bad.push_back(e.path().string() + " (temporary left behind)");
        if (e.path().extension() == ".npy") {
            try {
                const Bytes b = read_bytes(e.path().string());
                const gt::NpyHeader h = gt::parse_npy_header(b, e.path().string());
                if (h.descr == "<f4") gt::parse_npy<float>(b, e.path().string());
                else if (h.descr == "<f8") gt::parse_npy<double>(b, e.path().string());
            } catch (const Error& err) {
                bad.push_back(err.what());
            }
        }
    }
    return bad;
}

inline void check_cli_row(const std::string& id, const Done& d, int status, const TempDir& dir) {
    BOOST_TEST_CONTEXT("row " << id) {
        const auto rows = doc_rows();
        const auto it = rows.find(id);
        BOOST_TEST_REQUIRE((it != rows.end()), "docs/reliability.md has no row " << id);
        BOOST_TEST(d.status == status, "output: " << d.output);
        BOOST_TEST(replace_all(last_line(d.output), dir.str(), "<tmp>") == it->second.message);
    }
}

}  // namespace gt::rel
