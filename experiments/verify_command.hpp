// `gramtape verify`: builds a random model, runs one step and prints analysis' per-layer table
// (Feature Learning equation and Theorem 1 residuals).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace gt::experiments {

struct VerifyFlags {
    std::string model = "mlp";
    int depth = 3;
    int width = 64;
    std::string activation = "gelu";
    int batch = 32;
    std::string dtype = "double";
    double lr = 1e-3;
    unsigned long seed = 0;
    int threads = 1;
};

void add_verify_flags(CLI::App* app, VerifyFlags& f);
int run_verify(const VerifyFlags& f);

}  // namespace gt::experiments
