// Running an external program (gnuplot, git) without a shell: posix_spawnp with an argument vector,
// so no byte of an argument or path (quote, space, ';', '$', newline) is ever interpreted. Used by
// experiments/ and tour/; depends on nothing but libc.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace gt {

/// The program could not be started: not found on PATH, not executable, no such working directory.
struct SpawnError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SpawnOptions {
    std::string cwd;               // the child's working directory; "" = ours
    std::string output_file;       // stdout and stderr go to this file (created or truncated)
    bool capture = true;           // without output_file: true = into RunResult::output, false = ours
    std::vector<std::string> env;  // "NAME=value" entries added to (or replacing in) our environment
    std::string hint;              // appended to the not-found message, e.g. "install gnuplot-nox"
};

struct RunResult {
    int status = -1;     // exit status, or 128 + signal number
    std::string output;  // stdout and stderr, when captured
};

/// Runs argv[0] (searched on PATH unless it contains a '/') with the arguments argv, stdin from
/// /dev/null, and waits for it. Throws SpawnError ("gnuplot not found on PATH (install gnuplot-nox)")
/// when it cannot start; a program that starts and fails is a non-zero status, not an exception.
RunResult run_program(const std::vector<std::string>& argv, const SpawnOptions& options = {});

}  // namespace gt
