// What every tour program shares: its start (the BLAS kernel, the --check flag), the Swiss roll, a
// verdict line, random tensors, and gnuplot output
// (an ASCII plot on the terminal, so it works over SSH, and the same picture as a PNG file).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/core.h>
#include <xtensor/xbuilder.hpp>

#include "autodiff/gemm.hpp"
#include "autodiff/random.hpp"
#include "autodiff/tensor.hpp"
#include "datasets/registry.hpp"
#include "platform/blas_kernel.hpp"
#include "platform/subprocess.hpp"

namespace tour {

inline bool has_flag(int argc, char** argv, const char* flag) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], flag) == 0) return true;
    return false;
}

/// What every chapter does first: picks the BLAS kernel (may re-execute once), then reads --check.
inline bool start(int argc, char** argv) {
    gt::select_blas_kernel(argv);
    return has_flag(argc, argv, "--check");
}

/// n points of the Swiss roll: x (n, 2) and its target t (n, 1).
inline gt::data::Dataset<double> swissroll(std::size_t n) {
    gt::data::LoadOptions opts;
    opts.n = n;
    return gt::data::load<double>("swissroll", opts).train;
}

/// The first argument that is not a flag, or `fallback`.
inline std::string positional(int argc, char** argv, const char* fallback) {
    for (int i = 1; i < argc; ++i)
        if (argv[i][0] != '-') return argv[i];
    return fallback;
}

/// The k-th argument (from 0) that is not a flag, read as a number in [lo, hi]; `fallback` when there
/// are fewer. A malformed or out-of-range value is a usage error: the message says what was expected.
inline double number_arg(int argc, char** argv, int k, double fallback, double lo, double hi, const char* what) {
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-' || k-- > 0) continue;
        char* end = nullptr;
        const double v = std::strtod(argv[i], &end);
        if (end == argv[i] || *end != '\0' || !(v >= lo && v <= hi)) {
            fmt::print(stderr, "{}: {} '{}': expected a number in [{}, {}]\n", argv[0], what, argv[i], lo, hi);
            std::exit(2);
        }
        return v;
    }
    return fallback;
}

/// Prints whether the chapter's claim holds. The exit code is non-zero only under --check.
inline int verdict(bool check, bool ok, const std::string& claim) {
    fmt::print("\n{} {}\n", ok ? "HOLDS:" : "DOES NOT HOLD:", claim);
    return check && !ok ? 1 : 0;
}

/// A tensor of standard normals drawn from rng.
inline gt::Tensor<double> randn(gt::Rng& rng, const gt::Shape& shape) {
    gt::Tensor<double> t = xt::zeros<double>(shape);
    for (double& v : t) v = rng.normal();
    return t;
}

/// Where the data sets live: $GT_DATA_DIR, else "data" (run from the repository root).
inline std::string data_dir() {
    const char* d = std::getenv("GT_DATA_DIR");
    return d ? d : "data";
}

/// Writes `data` to <name>.dat and runs gnuplot on `script`, in which the variable `datafile` names
/// that file: once with `set terminal dumb` (printed here) and once to <name>.png (pngcairo); the PNG's
/// script stays in <name>.gp. `png_script`, when given, replaces `script` for the PNG (e.g. colours an
/// ASCII plot cannot show). gnuplot runs without a shell (platform/subprocess.hpp).
inline void plot(const std::string& name, const std::string& data, const std::string& script,
                 const std::string& png_script = "") {
    std::ofstream(name + ".dat") << data;
    auto quoted = [](const std::string& s) {  // a gnuplot single-quoted string: '' stands for '
        std::string q = "'";
        for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
        return q + "'";
    };
    const std::string head = "datafile = " + quoted(name + ".dat") + "\n";
    std::fflush(stdout);
    gt::SpawnOptions inherit;  // the ASCII plot goes to our terminal
    inherit.capture = false;
    inherit.hint = "install gnuplot-nox";
    for (int png = 0; png < 2; ++png) {
        const std::string term = png ? "set terminal pngcairo size 900,480\nset output " + quoted(name + ".png") + "\n"
                                     : "set terminal dumb size 100,28\n";
        std::ofstream(name + ".gp") << term << head << (png && !png_script.empty() ? png_script : script) << "\n";
        try {
            const gt::RunResult r = gt::run_program({"gnuplot", name + ".gp"}, inherit);
            if (r.status != 0) return (void)fmt::print("(gnuplot failed with exit status {}: no plot)\n", r.status);
        } catch (const gt::SpawnError& e) {
            return (void)fmt::print("({}: no plot)\n", e.what());
        }
        std::fflush(stdout);
    }
    fmt::print("(picture: {}.png, data: {}.dat, script: {}.gp)\n", name, name, name);
}

}  // namespace tour
