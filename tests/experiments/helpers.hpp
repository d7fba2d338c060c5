// Shared helpers of the experiments tests: temporary folders, running the real `gramtape` binary.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "experiments/metrics.hpp"
#include "platform/subprocess.hpp"

namespace gtt {

/// The values of one (run, metric, layer) series of metrics.csv rows, in row order.
inline std::vector<double> values(const std::vector<gt::experiments::MetricRow>& rows, const std::string& run,
                                  const std::string& metric, const std::string& layer = "") {
    std::vector<double> v;
    for (const auto& r : rows)
        if (r.run == run && r.metric == metric && r.layer == layer) v.push_back(r.value);
    return v;
}

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

/// The runs root that the smoke runs of one test file share (each file holds its own, so that file's
/// report and reuse checks see only its runs), removed when the test binary exits.
struct RunsRoot : TempDir {
    /// The options every smoke run passes: one thread, the repository's data, this root as --out.
    std::string options() const { return "--threads 1 --data-dir '" + data_dir() + "' --out '" + path.string() + "'"; }
};

struct Result {
    int status = -1;
    std::string output;  // stdout and stderr together
};

/// Splits `text` into words at spaces; '...' quotes a word part literally (no shell is involved).
inline std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    std::string w;
    bool in_word = false, quoted = false;
    for (char c : text) {
        if (c == '\'') {
            quoted = !quoted;
            in_word = true;
        } else if (c == ' ' && !quoted) {
            if (in_word) words.push_back(w);
            w.clear();
            in_word = false;
        } else {
            w += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(w);
    return words;
}

/// Runs `gramtape <args>` (words as split_words makes them) with `env` ("NAME=value ...") added to
/// the environment, and collects its stdout and stderr.
inline Result run(const std::string& args, const std::string& env = "") {
    std::vector<std::string> argv = split_words(args);
    argv.insert(argv.begin(), gramtape());
    gt::SpawnOptions opt;
    opt.env = split_words(env);
    Result r;
    try {
        const gt::RunResult res = gt::run_program(argv, opt);
        r.status = res.status;
        r.output = res.output;
    } catch (const gt::SpawnError& e) {
        BOOST_FAIL(e.what());
    }
    return r;
}

inline std::size_t count_lines(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace gtt
