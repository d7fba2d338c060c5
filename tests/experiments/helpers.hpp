// Shared helpers of the experiments tests: temporary folders, running the real `gramtape` binary.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

namespace gtt {

namespace fs = std::filesystem;

/// A fresh folder under the system temp dir, removed at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() / ("gramtape-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// The gramtape binary: the argument after `--` (meson passes it), else $GRAMTAPE.
inline std::string gramtape() {
    auto& m = boost::unit_test::framework::master_test_suite();
    for (int i = 1; i < m.argc; ++i)
        if (fs::exists(m.argv[i])) return m.argv[i];
    const char* e = std::getenv("GRAMTAPE");
    return e ? e : "gramtape";
}

inline std::string data_dir() {
    const char* r = std::getenv("GT_SOURCE_ROOT");
    return std::string(r ? r : ".") + "/data";
}

struct Result {
    int status = -1;
    std::string output;  // stdout and stderr together
};

/// Runs `gramtape <args>` through the shell and collects its output.
inline Result run(const std::string& args, const std::string& env = "") {
    const std::string cmd = env + (env.empty() ? "" : " ") + "'" + gramtape() + "' " + args + " 2>&1";
    Result r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    BOOST_REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

inline std::size_t count_lines(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace gtt
