// `gramtape sweep ...`: start or resume a sweep on an engine, and its status, report and task
// subcommands. `gramtape reproduce --engine E` runs the whole paper through start_sweep as well.
#pragma once

#include <filesystem>

#include "experiments/sweep/engines.hpp"
#include "experiments/sweep/plan.hpp"

namespace gt::experiments::sweep {

/// Plans the request (refusing any invalid setting before anything is written), then creates or
/// reopens the sweep folder `dir` under its lock: the same sweep resumes (only unfinished tasks go to
/// the engine), another sweep there is refused. local/parallel run the tasks and write the merged
/// report; slurm submits them. Returns the exit status (1 when a task failed).
int start_sweep(const Request& r, const EngineOptions& e, const std::filesystem::path& dir);

/// argv[1] == "sweep": parses the rest and runs it; returns the exit status (2: bad usage).
int sweep_main(int argc, char** argv);

}  // namespace gt::experiments::sweep
