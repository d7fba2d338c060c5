// One task of a sweep, as every engine runs it (`gramtape sweep task SWEEPDIR INDEX`): writes the
// task's --config file, records the attempt (tasks/<name>/attempt.json), runs `gramtape FIGURE` as a
// child process into the task's run root with its output in logs/<name>.log, and records how it
// ended. The runner itself ignores SIGTERM, SIGINT and SIGHUP, so that when Slurm cancels the job (or
// a user presses Ctrl-C) the figure dies of the signal and the runner still writes down "killed by
// signal 15" before Slurm's final SIGKILL.
#pragma once

#include <string>
#include <vector>

#include "experiments/sweep/manifest.hpp"

namespace gt::experiments::sweep {

/// Which CPUs a task may use: slot `slot` (1-based) of `slots` equal shares of the CPUs this process
/// may use (one CPU each when there are more slots than CPUs). Empty when slots == 0.
std::vector<int> cpu_share(int slot, int slots);

/// The argument vector of the figure run of task `t` (the binary first), with `threads` threads.
std::vector<std::string> task_command(const fs::path& dir, const Manifest& m, const Task& t, int threads);

/// Runs task `index` of the sweep in `dir`; returns the figure's exit status (0 when the task was
/// already complete). Threads: `threads` when > 0; else Slurm's SLURM_CPUS_PER_TASK (1 under Slurm
/// without it); else, with `slot`/`slots` (0 = none), pinned to cpu_share(slot, slots), one thread
/// per CPU of the share.
int run_task(const fs::path& dir, std::size_t index, int slot, int slots, int threads);

/// The absolute path of this program (/proc/self/exe), which every engine runs.
std::string self_executable();

}  // namespace gt::experiments::sweep
