// One run folder per run: config.json, meta.json, progress.json, metrics.csv, arrays, plots,
// summary.json and checkpoints/. A folder is never silently overwritten: reopening it with the same
// config resumes it, with another config is refused.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gt::experiments {

class RunFolder {
   public:
    /// Config keys that may differ between a run and its resumption (they do not change results).
    static const std::vector<std::string>& volatile_keys();

    /// Creates root/name, or reopens it when its config.json equals `config` (up to volatile keys).
    /// Throws UsageError naming the folder and the first differing key otherwise, and IoError (naming
    /// `flag`) when the folder cannot be created.
    static RunFolder open(const std::filesystem::path& root, const std::string& name, const nlohmann::json& config,
                          const std::string& flag = "--out");

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path file(const std::string& name) const { return path_ / name; }
    std::filesystem::path checkpoint_dir() const;

    bool resumed() const { return resumed_; }
    /// True when a previous run finished (summary.json present and progress says done).
    bool complete() const;

    /// progress.json: the last completed unit of work ({} when starting afresh).
    nlohmann::json progress() const { return progress_; }
    /// Writes progress.json atomically; also records the run's total seconds so far (all sessions).
    void save_progress(const nlohmann::json& p);
    /// Seconds spent on this run over every session, the current one included.
    double total_seconds() const;
    void mark_complete();

    /// Writes meta.json (commit, compiler, library versions, seed, dtype, threads, times).
    void write_meta(const nlohmann::json& config, const std::string& start, const std::string& end,
                    double seconds, const std::string& command) const;

   private:
    std::filesystem::path path_;
    nlohmann::json progress_ = nlohmann::json::object();
    bool resumed_ = false;
    double base_seconds_ = 0.0;  // seconds of earlier sessions
    std::chrono::steady_clock::time_point session_start_ = std::chrono::steady_clock::now();
};

/// The first key whose value differs between a and b (ignoring volatile keys), or "".
std::string first_config_difference(const nlohmann::json& a, const nlohmann::json& b);

/// `git rev-parse HEAD` of the source tree, or "unknown".
std::string git_commit();
/// Compiler and library versions compiled into this binary.
nlohmann::json build_versions();

}  // namespace gt::experiments
