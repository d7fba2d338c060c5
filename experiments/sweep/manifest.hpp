// A sweep's manifest, SWEEPDIR/sweep.json: what was asked (figure, preset, the settings every task
// shares, the grid, the seeds), the tasks it expands to (one run root each under tasks/) and every
// submission to an engine with its job ids. The folder layout of a sweep is fixed here.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gt::experiments::sweep {

using json = nlohmann::json;
namespace fs = std::filesystem;

/// One grid point × seed × dataset: one ordinary figure run.
struct Task {
    std::size_t index = 0;
    std::string name;      // "t003-lr0.05-seed2": folder and log name
    std::string figure;    // "fig2"
    std::string dataset;   // "" for synthetic-data figures
    json setting = json::object();  // the grid values of this task, seed excluded ({"lr": 0.05})
    long seed = -1;        // -1: the task keeps the preset's seeds (no --seeds)
    json config = json::object();   // the --config file the task runs with (tasks/<name>/task.json)
    std::string dtype;     // --dtype for the task ("" = the figure's default)

    /// "lr=0.05, width=64": the setting without the seed, as the report groups by it.
    std::string setting_label() const;
};

/// One hand-over of tasks to an engine.
struct Submission {
    std::string engine;    // local | parallel | slurm
    std::string submitted; // UTC
    std::vector<std::size_t> tasks;
    std::string job_id;        // slurm: the array job; "" otherwise
    std::string merge_job_id;  // slurm: the afterany report job
};

struct Manifest {
    static constexpr const char* kFormat = "gramtape-sweep-1";
    std::string command = "sweep";  // "sweep" or "reproduce"
    std::string preset;
    std::string data_dir;   // absolute
    json request = json::object();  // figure(s), shared settings, grid, seeds: what makes two sweeps the same
    std::vector<Task> tasks;
    std::vector<Submission> submissions;

    json to_json() const;
    /// IoError naming `where` and the key when `j` is not a manifest of this format.
    static Manifest from_json(const json& j, const std::string& where);
};

// The layout of SWEEPDIR.
inline fs::path manifest_path(const fs::path& dir) { return dir / "sweep.json"; }
inline fs::path task_root(const fs::path& dir, const Task& t) { return dir / "tasks" / t.name; }
inline fs::path task_config_path(const fs::path& dir, const Task& t) { return task_root(dir, t) / "task.json"; }
inline fs::path attempt_path(const fs::path& dir, const Task& t) { return task_root(dir, t) / "attempt.json"; }
inline fs::path task_log_path(const fs::path& dir, const Task& t) { return dir / "logs" / (t.name + ".log"); }
/// The task's run folder: tasks/<name>/<figure>-<preset>[-<dataset>] (the name `gramtape FIGURE` gives).
fs::path task_run_folder(const fs::path& dir, const Manifest& m, const Task& t);

/// Reads SWEEPDIR/sweep.json (IoError naming it when missing or malformed).
Manifest load_manifest(const fs::path& dir);
/// Writes it atomically.
void save_manifest(const fs::path& dir, const Manifest& m);

}  // namespace gt::experiments::sweep
