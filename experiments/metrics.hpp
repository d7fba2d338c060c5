// metrics.csv in long format: run,epoch,step,layer,metric,value. Rows stay in memory and the whole
// file is rewritten atomically on flush(), so the file on disk is always complete and parseable.
// A non-finite value (NaN, +Inf or -Inf) is recorded as NaN and written `nan` (never `-nan`).
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace gt::experiments {

struct MetricRow {
    std::string run;    // e.g. "seed0/whiten", "w1024"
    long epoch = 0;
    long step = 0;
    std::string layer;  // "" when the metric is not per layer
    std::string metric;
    double value = 0.0;
};

class MetricsLog {
   public:
    /// figure: named in warnings ("fig4"); run_one sets it.
    explicit MetricsLog(std::filesystem::path path, std::string figure = "")
        : path_(std::move(path)), figure_(std::move(figure)) {}
    void set_figure(const std::string& figure) { figure_ = figure; }

    /// A non-finite value is stored as NaN; the first one of each (run, layer, metric) series prints
    /// one warning on stderr naming figure, run, layer, epoch, step and metric.
    void add(const std::string& run, long epoch, long step, const std::string& layer, const std::string& metric,
             double value);
    void add(const std::string& run, long epoch, long step, int layer, const std::string& metric, double value) {
        add(run, epoch, step, std::to_string(layer), metric, value);
    }
    /// Rewrites metrics.csv atomically.
    void flush() const;
    /// Reads an existing metrics.csv (resume); IoError naming the file and line if malformed.
    void load();
    /// Drops every row of `run` with epoch > `epoch` (rows written after the last checkpoint).
    void drop_after(const std::string& run, long epoch);
    /// Drops every row of `run`.
    void drop_run(const std::string& run);

    const std::vector<MetricRow>& rows() const { return rows_; }
    /// Rows of `run` with epoch <= max_epoch (all its rows by default).
    std::size_t count(const std::string& run, long max_epoch = -1) const;
    /// Values of one (run, layer, metric) in insertion order, with their epochs.
    std::vector<std::pair<long, double>> series(const std::string& run, const std::string& metric,
                                                const std::string& layer = "") const;
    /// The last value of one series; NaN when absent.
    double last(const std::string& run, const std::string& metric, const std::string& layer = "") const;
    const std::filesystem::path& path() const { return path_; }

    /// Parses CSV text in this format (used by load() and by the tests).
    static std::vector<MetricRow> parse(const std::string& text, const std::string& where);

   private:
    std::filesystem::path path_;
    std::string figure_;
    std::vector<MetricRow> rows_;
    std::set<std::string> warned_;  // series already reported non-finite
};

}  // namespace gt::experiments
