#include "experiments/verify_command.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "analysis/verify.hpp"
#include "autodiff/gemm.hpp"

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

int run_verify(const VerifyFlags& f) {
    gt::set_num_threads(f.threads);
    analysis::VerifyConfig c;
    c.arch = f.model;
    c.depth = static_cast<std::size_t>(f.depth);
    c.width = static_cast<std::size_t>(f.width);
    c.activation = f.activation;
    c.batch = static_cast<std::size_t>(f.batch);
    c.dtype = f.dtype;
    c.gamma = f.lr;
    c.seed = f.seed;
    const auto rows = analysis::verify(c);
    std::printf("verify: %s, depth %d, width %d, %s, batch %d, %s, γ = %g, seed %lu\n", f.model.c_str(), f.depth,
                f.width, f.activation.c_str(), f.batch, f.dtype.c_str(), f.lr, f.seed);
    std::printf("%s", analysis::verify_table(rows).c_str());
    return 0;
}

}  // namespace gt::experiments
