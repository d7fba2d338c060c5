// Expanding a sweep request into its tasks: the grid (--grid KEY=V1,V2,...), the seeds (one task per
// seed) and the datasets, crossed. Every task's effective config is checked as `gramtape FIGURE` would
// check it, so a wrong key, type or range is refused before anything is written or submitted.
#pragma once

#include <string>
#include <vector>

#include "experiments/run_command.hpp"
#include "experiments/sweep/manifest.hpp"

namespace gt::experiments::sweep {

struct GridAxis {
    std::string key;
    std::vector<json> values;  // JSON values; a word that is not JSON is a string ("mnist")
};

/// Parses one --grid "KEY=V1,V2,..." (commas inside [...] or "..." do not split: widths=[64,64],[128]).
/// UsageError naming the flag and what was expected.
GridAxis parse_grid(const std::string& text);

struct Request {
    std::string command = "sweep";  // or "reproduce"
    std::vector<const Figure*> figures;  // one for `sweep`, every figure for `reproduce`
    Flags flags;                    // the figure flags every task shares (preset, --epochs, --config, ...)
    std::vector<GridAxis> grid;     // "dataset" is an axis like any other
    std::vector<int> seeds;         // one task per seed; empty: each task keeps the preset's seeds
    // reproduce: the main report (`gramtape report --runs R --report-dir D`) that each merge rebuilds.
    std::string main_report_runs, main_report_dir;
};

/// The manifest of a request (no submissions yet); UsageError for any invalid setting of any task.
Manifest plan(const Request& r);

/// The first difference between the tasks of two manifests ("" when they are the same sweep).
std::string first_task_difference(const Manifest& a, const Manifest& b);

}  // namespace gt::experiments::sweep
