// One run folder per run: config.json, meta.json, progress.json, metrics.csv, arrays, plots,
// summary.json and checkpoints/. A folder is never silently overwritten: reopening it with the same
// config resumes it, with another config is refused. One process writes it at a time (.lock).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gt::experiments {

class RunFolder {
   public:
    /// Config keys that may differ between a run and its resumption (they do not change results).
    static const std::vector<std::string>& volatile_keys();

    /// Creates root/name, or reopens it when its config.json equals `config` (up to volatile keys), and
    /// holds its writer's lock while the RunFolder (or a copy) lives. Throws UsageError naming the folder
    /// and the first differing key, or the pid of another process writing it; IoError naming
    /// progress.json and the key when that file is malformed; UsageError (naming `flag`) when the folder
    /// cannot be created.
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

    /// Checks the data a run trains on against the fingerprint recorded for `key` when the run began,
    /// and records it when there is none yet. IoError naming the data folder and both fingerprints
    /// when they differ (the files under --data-dir changed since the run began).
    void check_data_fingerprint(const std::string& key, const std::string& fingerprint, const std::string& data_dir);

    /// Writes meta.json (commit, compiler, library versions, seed, dtype, threads, times).
    void write_meta(const nlohmann::json& config, const std::string& start, const std::string& end,
                    double seconds, const std::string& command) const;

   private:
    std::filesystem::path path_;
    nlohmann::json progress_ = nlohmann::json::object();
    bool resumed_ = false;
    double base_seconds_ = 0.0;  // seconds of earlier sessions
    std::shared_ptr<class RunLock> lock_;
    std::chrono::steady_clock::time_point session_start_ = std::chrono::steady_clock::now();
};

/// Throws IoError naming `file` and the key unless `p` has the form of a progress record.
void check_progress_record(const nlohmann::json& p, const std::filesystem::path& file);

/// The first key whose value differs between a and b (ignoring volatile keys), or "".
std::string first_config_difference(const nlohmann::json& a, const nlohmann::json& b);

/// `git rev-parse HEAD` of the source tree, or "unknown".
std::string git_commit();
/// Compiler and library versions compiled into this binary.
nlohmann::json build_versions();

}  // namespace gt::experiments
