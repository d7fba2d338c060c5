// The three engines a sweep's tasks are handed to. None schedules anything itself beyond a pool of
// worker processes: `local` runs N `gramtape sweep task` processes here, each pinned to its share of
// the CPUs; `parallel` hands the same commands to GNU parallel with a job log (so a re-run resumes
// the failed and the unstarted); `slurm` submits one job array and a report job that runs after it.
#pragma once

#include <string>
#include <vector>

#include "experiments/sweep/manifest.hpp"

namespace gt::experiments::sweep {

struct EngineOptions {
    std::string engine = "local";  // local | parallel | slurm
    int jobs = 0;                  // local/parallel: processes at once (0: one per CPU); slurm: array throttle (0: none)
    std::string slurm_args;        // passed to sbatch, split as a shell splits words (quotes kept together)
    int threads = 0;               // threads of each task (0: its share of the CPUs; on Slurm, its allocation)
};

/// The engines' names, for --engine.
const std::vector<std::string>& engine_names();

/// Runs `tasks` here, `jobs` at a time, each its own process; prints a line as each ends. Returns how
/// many failed.
int run_local(const fs::path& dir, const Manifest& m, const std::vector<std::size_t>& tasks, int jobs, int threads);

/// Runs every task through GNU parallel (tasks already complete end at once), with the job log
/// dir/parallel.joblog; when that log exists, `--resume-failed`. Returns parallel's exit status (the
/// number of failed tasks). SpawnError when `parallel` is not installed.
int run_parallel(const fs::path& dir, const Manifest& m, int jobs, int threads);

/// Submits `tasks` as one Slurm array (throttled to `jobs` when > 0) and a report job depending on it
/// with afterany; returns the submission with both job ids. UsageError with sbatch's message when
/// sbatch is missing or refuses the job.
Submission submit_slurm(const fs::path& dir, const Manifest& m, const std::vector<std::size_t>& tasks, int jobs,
                        const std::string& slurm_args, int threads);

/// "--partition=debug --time '1:00:00'" -> its words; UsageError naming --slurm-args on an open quote.
std::vector<std::string> split_words(const std::string& text);

/// `s` as one word for sh: '...' with each ' written '\''.
std::string sh_quote(const std::string& s);

}  // namespace gt::experiments::sweep
