// What became of each task of a sweep, read from its folders (and, for Slurm submissions, from the
// scheduler): done (the run folder is complete), running (its attempt's process is alive, or Slurm
// runs it), failed (its last attempt ended badly; with that attempt's last error line), or pending.
#pragma once

#include <string>
#include <vector>

#include "experiments/sweep/manifest.hpp"

namespace gt::experiments::sweep {

enum class State { done, running, failed, pending };
const char* state_name(State s);

struct TaskStatus {
    State state = State::pending;
    std::string detail;  // "exit 1: gramtape: error: ...", "slurm 41_3 RUNNING", "" when nothing to add
};

/// The last attempt of a task, tasks/<name>/attempt.json (written by `gramtape sweep task`).
struct Attempt {
    bool exists = false;
    std::string started, ended;  // UTC; ended "" while it runs (or when it was killed without a trace)
    int exit = -1;               // exit status, 128 + signal when killed; -1 while running
    std::string error;           // the last "error" line of the task's log, "" when none
    long pid = 0;
    std::string host, job;       // job: Slurm's "ARRAYID_INDEX", "" elsewhere
    int number = 0;              // 1 for the first attempt
    json to_json() const;
    static Attempt read(const fs::path& file);  // exists = false when there is no file
};

/// True when the task's run folder holds a finished run (summary.json and progress "complete").
bool task_done(const fs::path& dir, const Manifest& m, const Task& t);

/// Every task's status; `ask_scheduler`: also run squeue for the Slurm submissions (a scheduler that
/// cannot be asked is said in `scheduler_note`, not an error).
std::vector<TaskStatus> task_states(const fs::path& dir, const Manifest& m, bool ask_scheduler,
                                    std::string* scheduler_note = nullptr);

}  // namespace gt::experiments::sweep
