// The figure registry: every paper figure is one Figure subclass in experiments/figures/, registered
// with GT_REGISTER_FIGURE. The CLI, `reproduce` and the report only talk to this interface.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autodiff/tensor.hpp"
#include "experiments/memory_budget.hpp"
#include "experiments/metrics.hpp"
#include "experiments/run_folder.hpp"

namespace gt::experiments {

using json = nlohmann::json;

/// A bad flag, flag value or config key: the CLI prints the message (which names the flag and the
/// valid choices) and exits with status 2.
struct UsageError : ValueError {
    using ValueError::ValueError;
};

inline const std::vector<std::string>& presets() {
    static const std::vector<std::string> p{"smoke", "quick", "paper"};
    return p;
}

/// One line of the report's "ours vs paper" table.
struct SummaryRow {
    std::string quantity;
    std::string ours;
    std::string paper;   // the paper's number, "—" when it reports none
    std::string source;  // "paper text", "read from the paper's plot", "notebook output", ...
};

/// One claim of the figure, checked on our run.
struct ClaimCheck {
    std::string claim;
    bool pass = false;
    std::string detail;  // the numbers behind the verdict
};

/// What a finished run tells the report; written as summary.json in the run folder.
struct Summary {
    std::string figure, title, preset, dataset, command, setup;
    std::vector<std::string> images;       // file names inside the run folder
    std::vector<SummaryRow> rows;
    std::vector<ClaimCheck> claims;
    std::vector<std::string> differences;  // setup differences from the paper, stated plainly
    double seconds = 0.0;      // wall time of the run, all sessions
    double cpu_seconds = 0.0;  // CPU time (all threads) of the invocation that finished it
    std::vector<std::string> plot_failures;  // "fig1.png: <reason>" per plot gnuplot could not draw

    json to_json() const;
    static Summary from_json(const json& j, const std::string& where);
};

struct FigureInfo {
    std::string id;      // "fig2"
    std::string title;   // "Gram whitening vs plain SGD"
    std::string shows;   // one sentence for `gramtape list`
    std::vector<std::string> datasets;  // accepted --dataset values; empty = synthetic data only
    std::map<std::string, std::vector<std::string>> preset_datasets;  // default datasets per preset
    std::map<std::string, std::string> estimate;                       // per preset, e.g. "~2 min"
};

/// Everything a figure's run needs; the CLI builds it.
struct RunContext {
    json config;         // the effective config (also in config.json)
    RunFolder* folder = nullptr;
    MetricsLog* metrics = nullptr;
    std::string command;  // a command line that reproduces this run
    std::string figure;   // "fig1", for messages
    std::vector<std::string> plot_failures;  // filled by plot() (plot.hpp); the run's data stay complete

    template <class V>
    V get(const std::string& key) const {
        if (!config.contains(key)) throw ValueError("config: missing key '" + key + "'");
        return config.at(key).get<V>();
    }
    const std::string& dataset() const { return config.at("dataset").get_ref<const std::string&>(); }
    std::string data_dir() const { return config.value("data_dir", std::string("data")); }
    bool use_double() const { return config.value("dtype", std::string("float")) == "double"; }
};

class Figure {
   public:
    virtual ~Figure() = default;
    virtual FigureInfo info() const = 0;
    /// The complete default config of a preset; every key a user may set must appear here.
    /// Common keys: seeds, epochs, lr, momentum, batch_size (only those the figure uses).
    /// `dataset` is "" for synthetic-data figures (and when --help lists the defaults).
    virtual json defaults(const std::string& preset, const std::string& dataset) const = 0;
    /// Checks the figure's own settings in the effective config before any run folder exists; throws
    /// UsageError naming the setting, the value found and what is valid. The CLI has already checked
    /// the types of every key and the ranges of the common keys (seeds, epochs, lr, momentum, batch_size).
    virtual void check(const json& config) const { (void)config; }
    /// The peak memory of a run with this effective config, refused up front when over the limit
    /// (memory_budget.hpp). Default: generic_memory_estimate; override where a figure keeps more.
    virtual MemoryEstimate memory_estimate(const json& config) const;
    /// Trains, measures, writes arrays/plots into ctx.folder, returns the summary. Must resume from
    /// the folder's progress record when it is set.
    virtual Summary run(RunContext& ctx) const = 0;
};

/// A figure declared as data: what `gramtape list` shows, the settings of the paper preset and what each
/// smaller preset changes, the figure's own checks and its run function per dtype. Figures that need
/// more (a memory estimate of their own, shared state) derive from Figure.
struct FigureSpec {
    FigureInfo info;
    json paper;                           // every setting a user may change, at the paper's values
    std::map<std::string, json> presets;  // "smoke", "quick": the settings that differ from `paper`
    void (*for_dataset)(json& defaults, const std::string& dataset) = nullptr;  // dataset-specific values
    void (*check)(const json& config) = nullptr;
    Summary (*run_float)(RunContext&) = nullptr;
    Summary (*run_double)(RunContext&) = nullptr;
    MemoryEstimate (*memory)(const json& config) = nullptr;  // generic_memory_estimate when null
};

/// The Figure a FigureSpec declares.
class DeclaredFigure : public Figure {
   public:
    explicit DeclaredFigure(FigureSpec spec) : spec_(std::move(spec)) {}
    FigureInfo info() const override { return spec_.info; }
    json defaults(const std::string& preset, const std::string& dataset) const override;
    void check(const json& config) const override {
        if (spec_.check) spec_.check(config);
    }
    Summary run(RunContext& ctx) const override { return (ctx.use_double() ? spec_.run_double : spec_.run_float)(ctx); }
    MemoryEstimate memory_estimate(const json& config) const override {
        return spec_.memory ? spec_.memory(config) : Figure::memory_estimate(config);
    }

   private:
    FigureSpec spec_;
};

/// Registers a figure (called by GT_REGISTER_FIGURE at static-initialisation time).
bool register_figure(std::unique_ptr<Figure> f);
/// All registered figures, sorted by paper number.
std::vector<const Figure*> figures();
/// The figure with this id, or nullptr.
const Figure* find_figure(const std::string& id);
/// "fig1, fig2, ..." for error messages.
std::string figure_ids();

#define GT_REGISTER_FIGURE(Class) \
    static const bool gt_registered_##Class = ::gt::experiments::register_figure(std::make_unique<Class>())
/// Registers the figure a FigureSpec `name` declares.
#define GT_DECLARE_FIGURE(name) \
    static const bool gt_declared_##name = ::gt::experiments::register_figure(std::make_unique<::gt::experiments::DeclaredFigure>(name))

}  // namespace gt::experiments
