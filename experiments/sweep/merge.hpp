// `gramtape sweep report`: merges the finished tasks of a sweep into SWEEPDIR/merged/ (every task's
// metrics.csv rows behind task columns; per setting, mean ± std over the seeds of every numeric summary
// row, claim and final metric value) and draws SWEEPDIR/report/ (index.html, README.md, one plot per
// metric of interest with one mean ± std curve per setting). Unfinished tasks are listed, not merged.
#pragma once

#include <string>
#include <vector>

#include "experiments/sweep/manifest.hpp"

namespace gt::experiments::sweep {

struct MissingTask {
    std::size_t index = 0;
    std::string name;
    std::string state;  // "pending (never started)", "failed: exit 1: ...", "not finished (...)"
};

struct MergeResult {
    std::size_t merged = 0;   // tasks whose run folder is complete
    std::size_t missing = 0;  // the others
    std::vector<MissingTask> missing_tasks;  // in task order
    std::size_t rows = 0;     // data rows of merged/metrics.csv
    fs::path metrics_csv, settings_json, report_html, report_md;
    std::vector<std::string> plot_failures;  // "plot1.png: <reason>" per plot gnuplot could not draw
};

/// Merges and reports the sweep in `sweep_dir`. A malformed metrics.csv or summary.json of a finished
/// task is an IoError naming the file (and line) and leaves merged/ as it was. merged/metrics.csv and
/// merged/settings.json are pure functions of the manifest and the finished tasks' files (no times,
/// hosts or absolute paths), so two engines that ran the same sweep merge to the same bytes.
MergeResult write_sweep_report(const fs::path& sweep_dir);

// The pieces, for the tests.

/// The run name without its seed components: "seed0/whiten" -> "whiten", "w1024/seed3" -> "w1024",
/// "seed2" -> "". A component is a seed when it is "seed" followed by digits only.
std::string strip_seed(const std::string& run);
/// The N of a "seedN" component of `run`, or -1.
long run_seed(const std::string& run);
/// One CSV field: quoted ("..." with "" for ") when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& s);
/// The number `text` starts with ("97.5%" -> 97.5, "-1e-3 s" -> -0.001; U+2212 counts as a minus);
/// false when it does not start with one. `rest` receives what follows it.
bool leading_number(const std::string& text, double& value, std::string* rest = nullptr);

/// The metrics the report plots for a figure, most important first (at most 6 panels are drawn; a
/// listed metric absent from the data is skipped). Unknown figures get an empty list: the report
/// then plots test_acc and the first metrics it finds.
const std::vector<std::string>& plot_metrics(const std::string& figure);

}  // namespace gt::experiments::sweep
