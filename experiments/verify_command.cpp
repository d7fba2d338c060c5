#include "experiments/verify_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "analysis/verify.hpp"
#include "autodiff/gemm.hpp"
#include "experiments/figure.hpp"
#include "experiments/memory_budget.hpp"

namespace gt::experiments {

void add_verify_flags(CLI::App* app, VerifyFlags& f) {
    app->add_option("--model", f.model, "mlp or cnn")->check(CLI::IsMember({"mlp", "cnn"}))->capture_default_str();
    app->add_option("--depth", f.depth, "weight layers, classifier included")->check(CLI::Range(1, 64))->capture_default_str();
    app->add_option("--width", f.width, "hidden units (mlp) or channels (cnn)")->check(CLI::Range(1, 4096))->capture_default_str();
    app->add_option("--activation", f.activation, "gelu, relu, tanh or sigmoid")
        ->check(CLI::IsMember({"gelu", "relu", "tanh", "sigmoid"}))
        ->capture_default_str();
    app->add_option("--batch", f.batch, "batch size")->check(CLI::Range(1, 65536))->capture_default_str();
    app->add_option("--dtype", f.dtype, "float or double")->check(CLI::IsMember({"float", "double"}))->capture_default_str();
    app->add_option("--lr", f.lr, "step size γ of Theorem 1")->check(CLI::PositiveNumber)->capture_default_str();
    app->add_option("--seed", f.seed, "random seed")->capture_default_str();
    app->add_option("--threads", f.threads, "BLAS threads")->check(CLI::Range(1, 256))->capture_default_str();
}

namespace {

/// The peak of analysis::verify: the tape (inputs, activations and their gradients; a conv layer also
/// keeps its unfolded patches and their row copies) and one layer's FL/Gram matrices (fan_in² each).
MemoryEstimate verify_estimate(const analysis::VerifyConfig& c) {
    const double b = c.dtype == "double" ? 8 : 4, B = double(c.batch), w = double(c.width), d = double(c.depth);
    const double k = double(c.classes);
    MemoryEstimate e;
    double params, acts, analysis;
    if (c.arch == "mlp") {
        const double in = double(c.input_dim);
        params = in * w + std::max(0.0, d - 2) * w * w + w * k;
        acts = B * (in + d * w) * 4;
        analysis = std::max(in, w) * std::max(in, w) * 8;
    } else {
        const double L = double(c.image_size * c.image_size);
        params = 27 * w + std::max(0.0, d - 2) * 9 * w * w + L * w * k;
        acts = B * L * (9 * w * 6 + w * 4) * std::max(1.0, d - 1);
        analysis = std::max(81 * w * w, L * w * L * w) * 8;  // the classifier's fan_in is w·L
    }
    auto bytes = [&](double n) { return n * b >= 1.8e19 ? UINT64_MAX : std::uint64_t(n * b); };
    e.parameters = bytes(params * 3);  // weights, gradients, the stepped copy
    e.activations = bytes(acts);
    e.other = bytes(analysis + 64.0 * (1 << 20) / b);  // and the program itself
    return e;
}

}  // namespace

int run_verify(const VerifyFlags& f) {
    gt::set_num_threads(f.threads);
    if (!std::isfinite(f.lr) || f.lr >= 1e4)
        throw UsageError(fmt::format("--lr {}: expected a number in (0, 1e4)", f.lr));
    analysis::VerifyConfig c;
    c.arch = f.model;
    c.depth = static_cast<std::size_t>(f.depth);
    c.width = static_cast<std::size_t>(f.width);
    c.activation = f.activation;
    c.batch = static_cast<std::size_t>(f.batch);
    c.dtype = f.dtype;
    c.gamma = f.lr;
    c.seed = f.seed;
    require_memory(verify_estimate(c),
                   fmt::format("verify ({}, depth {}, width {}, batch {}, {})", f.model, f.depth, f.width, f.batch, f.dtype),
                   "lower --width, --depth or --batch");
    const auto rows = analysis::verify(c);
    std::printf("verify: %s, depth %d, width %d, %s, batch %d, %s, γ = %g, seed %lu\n", f.model.c_str(), f.depth,
                f.width, f.activation.c_str(), f.batch, f.dtype.c_str(), f.lr, f.seed);
    std::printf("%s", analysis::verify_table(rows).c_str());
    return 0;
}

}  // namespace gt::experiments
