// The report: report/index.html and report/README.md, rebuilt from the summary.json files of the run
// folders. Data-driven: every figure's rows, paper numbers, claims and differences come from its summary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "experiments/figure.hpp"

namespace gt::experiments {

struct FoundRun {
    std::filesystem::path folder;
    Summary summary;
};

/// Every run folder under `runs` that holds a summary.json, in paper order (then preset, dataset).
std::vector<FoundRun> find_runs(const std::filesystem::path& runs);

/// The grid sweeps directly under `runs` (folders with a sweep.json of `gramtape sweep`), by name;
/// the report links their own reports.
std::vector<std::filesystem::path> sweep_folders(const std::filesystem::path& runs);

/// Writes index.html and README.md into `out`; returns the number of runs reported.
/// `preset` filters runs ("" = all presets).
/// `data_dir` is only used to list which datasets could not be run on this machine.
std::size_t write_report(const std::filesystem::path& runs, const std::filesystem::path& out,
                         const std::string& preset = "", const std::string& data_dir = "data");

}  // namespace gt::experiments
