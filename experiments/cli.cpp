#include "experiments/cli.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/resource.h>

#include "autodiff/gemm.hpp"
#include "experiments/datasets_glue.hpp"
#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "platform/files.hpp"
#include "experiments/memory_budget.hpp"
#include "experiments/progress.hpp"
#include "experiments/report.hpp"
#include "experiments/run_command.hpp"
#include "experiments/sweep/command.hpp"
#include "experiments/verify_command.hpp"
#include "platform/cpu_budget.hpp"

namespace gt::experiments {

namespace {

int cmd_list(const Flags& f) {
    const auto avail = available_datasets(f.data_dir);
    std::printf("Figures (datasets found under '%s': %s):\n\n", f.data_dir.c_str(),
                avail.empty() ? "none" : join(avail).c_str());
    for (const Figure* fig : figures()) {
        const FigureInfo i = fig->info();
        std::printf("%-6s %s\n       %s\n", i.id.c_str(), i.title.c_str(), i.shows.c_str());
        if (i.datasets.empty()) {
            std::printf("       data: synthetic\n");
        } else {
            std::string ds;
            for (const auto& d : i.datasets)
                ds += (ds.empty() ? "" : ", ") + d +
                      (!unsupported_dataset(d, f.data_dir).empty() ? " (not supported yet)"
                                                                   : dataset_available(d, f.data_dir) ? "" : " (missing)");
            std::printf("       data: %s\n", ds.c_str());
        }
        std::string est;
        for (const auto& p : presets())
            if (i.estimate.count(p)) est += (est.empty() ? "" : ", ") + p + " " + i.estimate.at(p);
        std::printf("       time (2 cores): %s\n\n", est.c_str());
    }
    std::printf("Run one with `gramtape <figure> --preset smoke|quick|paper`, all with `gramtape reproduce`.\n");
    return 0;
}

int cmd_figure(const Figure& fig, const Flags& f) {
    gt::set_num_threads(f.threads);
    std::vector<std::string> skipped;
    const auto ds = datasets_to_run(fig, f, &skipped);
    for (const auto& d : skipped) {
        const std::string why = unsupported_dataset(d, f.data_dir);
        if (why.empty())
            std::fprintf(stderr, "%s: skipping %s (its files are not under '%s')\n", fig.info().id.c_str(), d.c_str(),
                         f.data_dir.c_str());
        else
            std::fprintf(stderr, "%s: skipping %s (%s)\n", fig.info().id.c_str(), d.c_str(), why.c_str());
    }
    for (const auto& d : ds) run_one(fig, f, d);
    return 0;
}

int cmd_reproduce(Flags f, const std::string& only, const sweep::EngineOptions& engine, bool on_engine) {
    gt::set_num_threads(f.threads);
    std::vector<std::string> want;
    if (!only.empty()) {
        std::size_t start = 0;
        for (;;) {
            const std::size_t c = only.find(',', start);
            const std::string id = only.substr(start, c == std::string::npos ? std::string::npos : c - start);
            if (!find_figure(id)) throw UsageError(fmt::format("--only '{}': unknown figure (valid: {})", id, figure_ids()));
            want.push_back(id);
            if (c == std::string::npos) break;
            start = c + 1;
        }
    }
    if (on_engine) {  // every figure a task of one sweep, runs/reproduce-PRESET, handed to the engine
        sweep::Request r;
        r.command = "reproduce";
        for (const Figure* fig : figures())
            if (want.empty() || std::find(want.begin(), want.end(), fig->info().id) != want.end()) r.figures.push_back(fig);
        r.flags = f;
        sweep::EngineOptions e = engine;
        if (given(f.o_threads)) e.threads = f.threads;
        r.main_report_runs = f.out;
        r.main_report_dir = f.report_dir;
        return sweep::start_sweep(r, e, fs::path(f.out) / ("reproduce-" + f.preset));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    int failures = 0;
    for (const Figure* fig : figures()) {
        const FigureInfo info = fig->info();
        if (!want.empty() && std::find(want.begin(), want.end(), info.id) == want.end()) continue;
        Flags g = f;
        g.o_dataset = g.o_seeds = g.o_epochs = g.o_lr = g.o_momentum = g.o_batch = g.o_dtype = nullptr;
        std::fprintf(stderr, "== %s: %s (preset %s)\n", info.id.c_str(), info.title.c_str(), f.preset.c_str());
        try {
            cmd_figure(*fig, g);
        } catch (const UsageError&) {
            throw;
        } catch (const std::exception& e) {
            ++failures;
            std::fprintf(stderr, "gramtape: %s failed: %s\n", info.id.c_str(), e.what());
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t n = write_report(f.out, f.report_dir, f.preset, f.data_dir);
    std::printf("reproduce --preset %s: %.0f s wall, %.0f s CPU (all threads); report of %zu runs in %s/index.html\n",
                f.preset.c_str(), secs, process_cpu_seconds() - cpu0, n, f.report_dir.c_str());
    return failures ? 1 : 0;
}

}  // namespace

int main_cli(int argc, char** argv) {
    CLI::App app{"gramtape — runs the figures of \"The Weight Gram Matrix Captures Sequential Feature "
                 "Linearization in Deep Networks\" (arXiv 2605.06258) and writes a report."};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "help for every subcommand");

    Flags list_flags;
    CLI::App* list = app.add_subcommand("list", "figures, what each shows, datasets found here, time per preset");
    list->add_option("--data-dir", list_flags.data_dir, "folder holding the datasets")->capture_default_str();

    std::vector<std::pair<CLI::App*, const Figure*>> figure_cmds;
    std::vector<std::unique_ptr<Flags>> figure_flags;
    for (const Figure* fig : figures()) {
        const FigureInfo i = fig->info();
        figure_flags.push_back(std::make_unique<Flags>());
        CLI::App* sub = app.add_subcommand(i.id, i.title + ": " + i.shows);
        add_run_flags(sub, *figure_flags.back(), fig);
        figure_cmds.emplace_back(sub, fig);
    }

    Flags rep_flags;
    std::string only;
    CLI::App* reproduce = app.add_subcommand("reproduce", "run every figure (default datasets of the preset), then the report");
    add_run_flags(reproduce, rep_flags, nullptr);
    reproduce->add_option("--report-dir", rep_flags.report_dir, "where the report goes")->capture_default_str();
    reproduce->add_option("--only", only, "comma-separated figure ids to run (default: all)");
    sweep::EngineOptions engine;
    CLI::Option* o_engine =
        reproduce->add_option("--engine", engine.engine, "run the figures as the tasks of a sweep in OUT/reproduce-PRESET "
                                                         "on this engine: local, parallel or slurm (default: one after another here)")
            ->check(CLI::IsMember(sweep::engine_names()));
    reproduce->add_option("--jobs", engine.jobs, "with --engine: tasks at once (slurm: the array throttle)")->check(CLI::Range(1, 4096));
    reproduce->add_option("--slurm-args", engine.slurm_args, "with --engine slurm: words for sbatch");
    app.add_subcommand("sweep", "a grid of runs of one figure on local processes, GNU parallel or Slurm, merged into a "
                                "report (gramtape sweep FIGURE --help; sweep status|report DIR)");

    Flags report_flags;
    CLI::App* report = app.add_subcommand("report", "rebuild report/index.html and report/README.md from the run folders");
    report->add_option("--runs", report_flags.out, "root folder of the run folders")->capture_default_str();
    report->add_option("--report-dir", report_flags.report_dir, "where the report goes")->capture_default_str();
    report->add_option("--data-dir", report_flags.data_dir, "datasets folder (to list what could not run here)")
        ->capture_default_str();
    std::string report_preset;
    report->add_option("--preset", report_preset, "only runs of this preset (default: all)")->check(CLI::IsMember(presets()));

    VerifySettings vsettings;
    CLI::App* verify = app.add_subcommand("verify", "check the Feature Learning equation and Theorem 1 layer by layer on a random model");
    add_verify_flags(verify, vsettings);

    if (argc > 1 && std::string(argv[1]) == "sweep") return sweep::sweep_main(argc, argv);
    if (argc > 1 && argv[1][0] != '-') {
        const std::string cmd = argv[1];
        bool known = cmd == "list" || cmd == "reproduce" || cmd == "report" || cmd == "verify" || find_figure(cmd);
        if (!known) {
            std::fprintf(stderr, "gramtape: error: unknown command '%s' (commands: list, %s, reproduce, sweep, report, verify)\n",
                         cmd.c_str(), figure_ids().c_str());
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string what = e.what();
        if (what.find("A subcommand is required") != std::string::npos || what.find("requires at least 1") != std::string::npos)
            what = "a command is required: list, " + figure_ids() + ", reproduce, report, verify (see --help)";
        if (e.get_name() == "ExtrasError" && argc > 1)
            what = fmt::format("unknown command or argument '{}' (commands: list, {}, reproduce, sweep, report, verify)",
                               argv[1], figure_ids());
        std::fprintf(stderr, "gramtape: error: %s\n", what.c_str());
        return 2;
    }

    try {
        if (list->parsed()) return cmd_list(list_flags);
        for (std::size_t k = 0; k < figure_cmds.size(); ++k)
            if (figure_cmds[k].first->parsed()) {
                const Flags& ff = *figure_flags[k];
                if (given(ff.o_dataset))  // a set we know of but cannot read yet: say so, and what is there
                    for (std::size_t a = 0, c = 0; c != std::string::npos; a = c + 1) {
                        c = ff.dataset.find(',', a);
                        const std::string why = unsupported_dataset(ff.dataset.substr(a, c == std::string::npos ? c : c - a), ff.data_dir);
                        if (!why.empty()) throw UsageError("--dataset " + why);
                    }
                return cmd_figure(*figure_cmds[k].second, ff);
            }
        if (reproduce->parsed()) {
            if (o_engine->count() == 0 && (engine.jobs != 0 || !engine.slurm_args.empty()))
                throw UsageError("--jobs and --slurm-args go with --engine");
            return cmd_reproduce(rep_flags, only, engine, o_engine->count() > 0);
        }
        if (report->parsed()) {
            // Never replace a report with an empty one because --runs names the wrong folder.
            const fs::path runs = report_flags.out;
            std::error_code ec;
            if (!fs::is_directory(runs, ec))
                throw UsageError(fmt::format("report --runs '{}': expected a folder of run folders, found {}; {} is left as it was",
                                             runs.string(), fs::exists(runs, ec) ? "a file" : "nothing there",
                                             report_flags.report_dir));
            std::size_t found = 0;
            for (const FoundRun& r : find_runs(runs)) found += report_preset.empty() || r.summary.preset == report_preset;
            if (found == 0)
                throw UsageError(fmt::format("report --runs '{}': expected at least one run folder with a summary.json{}, found none; "
                                             "{} is left as it was",
                                             runs.string(), report_preset.empty() ? "" : " of preset " + report_preset,
                                             report_flags.report_dir));
            const std::size_t n =
                write_report(report_flags.out, report_flags.report_dir, report_preset, report_flags.data_dir);
            std::printf("report of %zu runs written to %s/index.html and %s/README.md\n", n,
                        report_flags.report_dir.c_str(), report_flags.report_dir.c_str());
            return 0;
        }
        if (verify->parsed()) return run_verify(vsettings);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "gramtape: error: %s\n", e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        const MemoryLimit lim = memory_limit();
        std::fprintf(stderr,
                     "gramtape: error: out of memory while running '%s' (this process may use %s, %s); lower the sizes "
                     "(width, batch_size, train_subset, n, ...) or free memory\n",
                     argc > 1 ? argv[1] : "gramtape", format_bytes(lim.bytes).c_str(), lim.source.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gramtape: error: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace gt::experiments
