// Running one figure on one dataset into its run folder, as `gramtape FIGURE` does: the flags, the
// effective config (preset defaults, then --config, then flags; every setting checked before a run
// folder exists) and the run itself. The CLI (cli.cpp) and the sweep (sweep/) both run figures here.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/figure.hpp"
#include "platform/cpu_budget.hpp"

namespace CLI {
class App;
class Option;
}

namespace gt::experiments {

/// The default thread count: the CPUs this process may use (platform/cpu_budget.hpp), at most 256.
CpuBudget default_threads();

/// The flags of `gramtape FIGURE` (and of reproduce and sweep, which run figures).
struct Flags {
    std::string preset = "quick";
    std::string dataset;
    std::string seeds;
    long epochs = 0;
    double lr = 0.0, momentum = 0.0;
    long batch_size = 0;
    std::string dtype = "float";
    int threads = default_threads().cpus;
    std::string out = "runs";
    std::string config;
    nlohmann::json config_object;  // when not null: the --config contents, already read (`config` names them)
    std::string data_dir = "data";
    std::string report_dir = "report";
    // Which optional flags the user gave.
    CLI::Option *o_dataset = nullptr, *o_seeds = nullptr, *o_epochs = nullptr, *o_lr = nullptr,
                *o_momentum = nullptr, *o_batch = nullptr, *o_dtype = nullptr, *o_threads = nullptr;
};

/// Adds the run flags to a subcommand: --preset, --threads, --out, --data-dir and, for a figure, its
/// settings' flags (--dataset, --seeds, --epochs, --lr, --momentum, --batch-size, --dtype, --config)
/// with each preset's defaults in the help.
void add_run_flags(CLI::App* app, Flags& f, const Figure* fig);
/// True when the user gave the flag.
bool given(const CLI::Option* o);
/// What decided the thread count, for meta.json.
std::string threads_source(const Flags& f);
std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");
/// "0,1,2" or "0-4" (at most 1000 seeds); UsageError naming --seeds otherwise.
std::vector<int> parse_seeds(const std::string& text);
/// Checks one setting against a figure's defaults as a --config entry is checked: the figure must use
/// the key, the JSON type must match the default's, the value must be in the key's range. `where`
/// names the source in the UsageError ("--grid 'lr'").
void check_setting(const nlohmann::json& defaults, const std::string& key, const nlohmann::json& value,
                   const std::string& where, const std::string& figure);
/// The effective config of one run; UsageError for any invalid setting.
nlohmann::json effective_config(const Figure& fig, const Flags& f, const std::string& dataset);
/// The datasets this invocation runs (one run folder each); "" for synthetic-data figures. `skipped`
/// gets the preset's datasets whose files are missing.
std::vector<std::string> datasets_to_run(const Figure& fig, const Flags& f, std::vector<std::string>* skipped);
/// CPU seconds of this process so far, all threads (user + system).
double process_cpu_seconds();
/// Runs one figure on one dataset into its run folder (resuming it, or refusing a changed config).
std::filesystem::path run_one(const Figure& fig, const Flags& f, const std::string& dataset);

}  // namespace gt::experiments
