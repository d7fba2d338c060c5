#include "experiments/sweep/command.hpp"

#include <cstdio>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "experiments/format.hpp"
#include "experiments/report.hpp"
#include "experiments/run_lock.hpp"
#include "experiments/sweep/merge.hpp"
#include "experiments/sweep/status.hpp"
#include "experiments/sweep/task_runner.hpp"
#include "platform/files.hpp"
#include "platform/subprocess.hpp"

namespace gt::experiments::sweep {

namespace {

/// "4 done, 1 running, 1 failed, 2 pending".
std::string counts(const std::vector<TaskStatus>& st) {
    std::size_t n[4] = {0, 0, 0, 0};
    for (const auto& s : st) ++n[int(s.state)];
    return fmt::format("{} done, {} running, {} failed, {} pending", n[0], n[1], n[2], n[3]);
}

void merge_report(const fs::path& dir) {
    const MergeResult r = write_sweep_report(dir);
    std::printf("report of %zu finished tasks (%zu not finished) in %s\n", r.merged, r.missing,
                (dir / "report" / "index.html").string().c_str());
    const Manifest m = load_manifest(dir);
    if (m.request.contains("main_report")) {  // reproduce: its runs stand in the main report too
        const json& mr = m.request.at("main_report");
        const std::string runs = mr.value("runs", ""), out = mr.value("report_dir", "");
        const std::size_t n = write_report(runs, out, "", m.data_dir);
        std::printf("report of %zu runs under %s in %s/index.html\n", n, runs.c_str(), out.c_str());
    }
}

int cmd_status(const fs::path& dir, bool ask_scheduler) {
    const Manifest m = load_manifest(dir);
    std::string note;
    const auto st = task_states(dir, m, ask_scheduler, &note);
    std::printf("sweep %s: %s, preset %s, %zu tasks\n", dir.string().c_str(),
                m.request.contains("figures") ? join(m.request.at("figures").get<std::vector<std::string>>()).c_str() : "?",
                m.preset.c_str(), m.tasks.size());
    if (!m.submissions.empty()) {
        const Submission& s = m.submissions.back();
        std::printf("last submission: %s engine, %s, %zu tasks%s\n", s.engine.c_str(), s.submitted.c_str(), s.tasks.size(),
                    s.job_id.empty() ? "" : fmt::format(", Slurm array job {}, report job {}", s.job_id,
                                                        s.merge_job_id.empty() ? "none" : s.merge_job_id).c_str());
    }
    std::size_t w = 4;
    for (const Task& t : m.tasks) w = std::max(w, t.name.size());
    std::printf("%-*s  %-7s  %s\n", int(w), "task", "state", "detail");
    for (std::size_t i = 0; i < m.tasks.size(); ++i)
        std::printf("%-*s  %-7s  %s\n", int(w), m.tasks[i].name.c_str(), state_name(st[i].state), st[i].detail.c_str());
    std::printf("%zu tasks: %s\n", m.tasks.size(), counts(st).c_str());
    if (!note.empty()) std::printf("note: %s\n", note.c_str());
    return 0;
}

}  // namespace

int start_sweep(const Request& r, const EngineOptions& e, const fs::path& dir) {
    Manifest m = plan(r);  // every setting checked: nothing is written before this succeeds
    if (e.engine != "slurm" && !e.slurm_args.empty())
        throw UsageError(fmt::format("--slurm-args is for --engine slurm, not {}", e.engine));
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir, ec))
        throw UsageError(fmt::format("--out '{}': cannot create the sweep folder ({})", dir.string(),
                                     ec ? ec.message() : "a file is in the way"));
    const auto lock = RunLock::acquire(dir, "sweep folder");
    if (fs::exists(manifest_path(dir), ec)) {
        const Manifest old = load_manifest(dir);
        const std::string diff = first_task_difference(old, m);
        if (!diff.empty())
            throw UsageError(fmt::format("sweep folder '{}' holds another sweep ({}); choose another --out, or delete "
                                         "the folder to start over",
                                         dir.string(), diff));
        m.submissions = old.submissions;
    } else {
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.path().filename() != ".lock")
                throw UsageError(fmt::format("--out '{}': the folder is not empty and holds no sweep.json; a sweep needs "
                                             "a new or an empty folder (found {})",
                                             dir.string(), entry.path().filename().string()));
    }
    save_manifest(dir, m);

    std::string note;
    const auto st = task_states(dir, m, true, &note);
    if (!note.empty()) std::fprintf(stderr, "sweep: %s\n", note.c_str());
    std::vector<std::size_t> todo;
    std::string busy;
    for (std::size_t i = 0; i < st.size(); ++i) {
        if (st[i].state == State::pending || st[i].state == State::failed) todo.push_back(i);
        if (st[i].state == State::running) busy += (busy.empty() ? "" : ", ") + m.tasks[i].name + " (" + st[i].detail + ")";
    }
    std::printf("sweep %s: %zu tasks (%s); %zu to run on the %s engine\n", dir.string().c_str(), m.tasks.size(),
                counts(st).c_str(), todo.size(), e.engine.c_str());
    if (!busy.empty()) {
        if (e.engine == "slurm" || e.engine == "parallel")
            throw UsageError(fmt::format("sweep '{}': tasks are still running or queued: {}; wait for them (gramtape "
                                         "sweep status {}), or cancel them, then run this again",
                                         dir.string(), busy, dir.string()));
        std::printf("skipping the tasks another process runs: %s\n", busy.c_str());
    }
    if (todo.empty() && busy.empty()) {
        std::printf("every task is done\n");
        merge_report(dir);
        return 0;
    }
    if (todo.empty()) return 0;
    Submission s;
    s.engine = e.engine;
    s.submitted = utc_now();
    s.tasks = todo;
    if (e.engine == "slurm") {
        s = submit_slurm(dir, m, todo, e.jobs, e.slurm_args, e.threads);
        m.submissions.push_back(s);
        save_manifest(dir, m);
        std::printf("submitted %zu tasks as Slurm array job %s%s; report job %s runs after it (afterany)\n"
                    "logs: %s/logs/   follow: gramtape sweep status %s\n",
                    todo.size(), s.job_id.c_str(), e.jobs > 0 ? fmt::format(" (at most {} at once)", e.jobs).c_str() : "",
                    s.merge_job_id.empty() ? "(none)" : s.merge_job_id.c_str(), dir.string().c_str(), dir.string().c_str());
        return 0;
    }
    m.submissions.push_back(s);
    save_manifest(dir, m);
    std::fflush(stdout);  // before the engine's processes write to the same terminal
    const int jobs = e.jobs > 0 ? e.jobs : default_threads().cpus;
    int failed = 0;
    if (e.engine == "local") {
        failed = run_local(dir, m, todo, jobs, e.threads);
    } else {
        try {
            failed = run_parallel(dir, m, jobs, e.threads);
        } catch (const SpawnError& x) {
            throw UsageError(fmt::format("sweep --engine parallel: {}", x.what()));
        }
    }
    merge_report(dir);
    const auto after = task_states(dir, m, false);
    std::printf("sweep %s: %s\n", dir.string().c_str(), counts(after).c_str());
    for (std::size_t i = 0; i < after.size(); ++i)
        if (after[i].state == State::failed) std::printf("  %s failed: %s\n", m.tasks[i].name.c_str(), after[i].detail.c_str());
    return failed != 0 ? 1 : 0;
}

int sweep_main(int argc, char** argv) {
    const std::string usage =
        "gramtape sweep FIGURE [figure flags] --grid KEY=V1,V2,... [--grid ...] [--seeds 0-4] "
        "[--engine local|parallel|slurm] [--jobs N] [--slurm-args \"...\"] [--out DIR]\n"
        "gramtape sweep status DIR | gramtape sweep report DIR | gramtape sweep task DIR INDEX";
    if (argc < 3) {
        std::fprintf(stderr, "gramtape: error: sweep needs a figure or status/report/task\n%s\n", usage.c_str());
        return 2;
    }
    const std::string what = argv[2];
    if (what == "--help" || what == "-h") {
        std::printf("%s\n\nFIGURE --help lists a figure's flags. Engines: local (worker processes here, each pinned to its "
                    "share of the CPUs), parallel (GNU parallel with a job log), slurm (one sbatch array and an afterany "
                    "report job). See docs/cluster.md.\n",
                    usage.c_str());
        return 0;
    }
    CLI::App app{"gramtape sweep: a grid of runs of one figure, handed to an engine (local processes, GNU parallel or "
                 "Slurm), resumable, merged into one report"};
    app.name("gramtape sweep " + what);
    std::string dir;
    std::size_t index = 0;
    int slot = 0, slots = 0;
    bool no_scheduler = false;
    Flags f;
    std::vector<std::string> grid;
    EngineOptions e;
    const Figure* fig = find_figure(what);
    if (what == "status") {
        app.add_option("DIR", dir, "the sweep folder")->required();
        app.add_flag("--no-scheduler", no_scheduler, "read the folders only; do not ask squeue");
    } else if (what == "report") {
        app.add_option("DIR", dir, "the sweep folder")->required();
    } else if (what == "task") {
        app.add_option("DIR", dir, "the sweep folder")->required();
        app.add_option("INDEX", index, "the task's index in sweep.json")->required();
        app.add_option("--slot", slot, "this worker's slot (1-based), for its share of the CPUs")->check(CLI::Range(1, 4096));
        app.add_option("--slots", slots, "how many workers share the CPUs")->check(CLI::Range(1, 4096));
        app.add_option("--threads", e.threads, "threads of the task (default: its share of the CPUs, or Slurm's allocation)")
            ->check(CLI::Range(1, 256));
    } else if (fig) {
        add_run_flags(&app, f, fig);
        app.get_option("--out")->description("the sweep folder (default: runs/sweep-FIGURE-PRESET, where `gramtape report` links it)");
        app.get_option("--threads")->description("threads of each task (default: its share of the CPUs, CPUs / --jobs; "
                                                 "on Slurm, its --cpus-per-task)");
        app.add_option("--grid", grid, "KEY=V1,V2,...: a setting and its values (repeat for a product grid; "
                                       "dataset=a,b sweeps datasets)");
        app.add_option("--engine", e.engine, "local (processes here), parallel (GNU parallel) or slurm (sbatch --array)")
            ->check(CLI::IsMember(engine_names()))
            ->capture_default_str();
        app.add_option("--jobs", e.jobs, "tasks at once: local/parallel (default: one per CPU), slurm (array throttle %N; "
                                         "default: none)")
            ->check(CLI::Range(1, 4096));
        app.add_option("--slurm-args", e.slurm_args, "words for sbatch, e.g. \"--partition=short --time=02:00:00 "
                                                     "--cpus-per-task=2 --account=lab\"");
    } else {
        std::fprintf(stderr, "gramtape: error: sweep '%s': expected a figure (%s) or status, report, task\n%s\n",
                     what.c_str(), figure_ids().c_str(), usage.c_str());
        return 2;
    }
    try {
        app.parse(argc - 2, argv + 2);
    } catch (const CLI::CallForHelp& x) {
        return app.exit(x);
    } catch (const CLI::ParseError& x) {
        std::fprintf(stderr, "gramtape: error: sweep %s: %s\n", what.c_str(), x.what());
        return 2;
    }
    try {
        if (what == "status") return cmd_status(dir, !no_scheduler);
        if (what == "report") {
            merge_report(dir);
            return 0;
        }
        if (what == "task") {
            if ((slot > 0) != (slots > 0)) throw UsageError("--slot and --slots go together");
            if (slot > slots) throw UsageError(fmt::format("--slot {} is beyond --slots {}", slot, slots));
            const int status = run_task(dir, index, slot, slots, e.threads);
            return status > 255 ? 1 : status;
        }
        if (given(f.o_threads)) e.threads = f.threads;  // each task's; by default its share of the CPUs
        Request r;
        r.figures = {fig};
        r.flags = f;
        for (const std::string& g : grid) r.grid.push_back(parse_grid(g));
        if (given(f.o_seeds)) r.seeds = parse_seeds(f.seeds);
        const fs::path out = app.get_option("--out")->count() > 0 ? fs::path(f.out)
                                                                  : fs::path("runs") / ("sweep-" + what + "-" + f.preset);
        return start_sweep(r, e, out);
    } catch (const UsageError& x) {
        std::fprintf(stderr, "gramtape: error: %s\n", x.what());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "gramtape: error: out of memory in sweep %s\n", what.c_str());
        return 1;
    } catch (const std::exception& x) {
        std::fprintf(stderr, "gramtape: error: %s\n", x.what());
        return 1;
    }
}

}  // namespace gt::experiments::sweep
