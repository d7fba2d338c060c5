// Sweeps: the grid and its checks (library), and the real `gramtape sweep` on the local and parallel
// engines — resume, a refused second sweep, a failing task, a killed task, a missing or refusing
// sbatch. The Slurm engine against a real cluster is tests/sweep/test_slurm_sweep.sh.
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "experiments/sweep/engines.hpp"
#include "experiments/sweep/plan.hpp"
#include "experiments/sweep/status.hpp"
#include "helpers.hpp"
#include "platform/files.hpp"

using namespace gt;
using namespace gt::experiments;
using namespace gt::experiments::sweep;
using gtt::run;
using gtt::TempDir;

namespace {

/// Runs `f` and returns the UsageError's message ("" when none was thrown).
template <class F>
std::string usage_error(F&& f) {
    try {
        f();
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Request fig2_request(const std::vector<std::string>& grid, std::vector<int> seeds = {}) {
    Request r;
    r.figures = {find_figure("fig2")};
    r.flags.preset = "smoke";
    r.flags.data_dir = gtt::data_dir();
    for (const auto& g : grid) r.grid.push_back(parse_grid(g));
    r.seeds = std::move(seeds);
    return r;
}

std::string slurp(const fs::path& p) { return read_text(p); }

/// The options of a one-thread smoke sweep into `out`.
std::string sweep_opts(const fs::path& out) {
    return "--preset smoke --threads 1 --data-dir '" + gtt::data_dir() + "' --out '" + out.string() + "'";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sweep)

BOOST_AUTO_TEST_CASE(grid_values_parse_as_json_or_words) {
    const GridAxis lr = parse_grid("lr=0.01,0.05");
    BOOST_TEST(lr.key == "lr");
    BOOST_TEST(lr.values.size() == 2u);
    BOOST_TEST(lr.values[1].get<double>() == 0.05);
    const GridAxis w = parse_grid("widths=[64,64],[128, 32]");  // commas inside brackets do not split
    BOOST_TEST(w.values.size() == 2u);
    BOOST_TEST(w.values[1].dump() == "[128,32]");
    const GridAxis d = parse_grid("dataset=mnist,fashion-mnist");
    BOOST_TEST(d.values[1].get<std::string>() == "fashion-mnist");
    BOOST_TEST(contains(usage_error([] { parse_grid("lr"); }), "expected KEY=V1,V2"));
    BOOST_TEST(contains(usage_error([] { parse_grid("=0.1"); }), "expected KEY=V1,V2"));
    BOOST_TEST(contains(usage_error([] { parse_grid("lr=0.1,,0.2"); }), "value 2 is empty"));
    BOOST_TEST(contains(usage_error([] { parse_grid("lr=0.1,0.1"); }), "given twice"));
    BOOST_TEST(contains(usage_error([] { parse_grid("seeds=0,1"); }), "--seeds"));
    BOOST_TEST(contains(usage_error([] { parse_grid("LR=1"); }), "not a setting name"));
    BOOST_TEST(contains(usage_error([] { parse_grid("widths=[64,64"); }), "neither JSON nor a plain word"));
}

BOOST_AUTO_TEST_CASE(slurm_words_split_as_a_shell_does) {
    const auto w = split_words("--partition=debug  --time '1:00:00' --comment=\"a b\" x\\ y");
    BOOST_TEST_REQUIRE(w.size() == 5u);
    BOOST_TEST(w[1] == "--time");
    BOOST_TEST(w[2] == "1:00:00");
    BOOST_TEST(w[3] == "--comment=a b");  // quotes keep a word together and go
    BOOST_TEST(w[4] == "x y");
    BOOST_TEST(contains(usage_error([] { split_words("--comment='open"); }), "never closed"));
    BOOST_TEST(sh_quote("it's") == "'it'\\''s'");
}

BOOST_AUTO_TEST_CASE(plan_crosses_grid_and_seeds_and_checks_every_setting) {
    const Manifest m = plan(fig2_request({"lr=0.01,0.05", "width=16,32"}, {0, 1}));
    BOOST_TEST_REQUIRE(m.tasks.size() == 8u);  // 2 lr × 2 widths × 2 seeds, mnist only in smoke
    BOOST_TEST(m.tasks[0].name == "t000-mnist-lr0.01-width16-seed0");
    BOOST_TEST(m.tasks[3].name == "t003-mnist-lr0.01-width32-seed1");  // last axis, then seed, fastest
    BOOST_TEST(m.tasks[7].name == "t007-mnist-lr0.05-width32-seed1");
    BOOST_TEST(m.tasks[5].config.dump() == R"({"lr":0.05,"seeds":[1],"width":16})");
    BOOST_TEST(m.tasks[5].setting_label() == "dataset=mnist, lr=0.05, width=16");
    // The same request plans the same tasks; another grid differs at its first changed task.
    BOOST_TEST(first_task_difference(m, plan(fig2_request({"lr=0.01,0.05", "width=16,32"}, {0, 1}))).empty());
    BOOST_TEST(contains(first_task_difference(m, plan(fig2_request({"lr=0.01,0.05", "width=16,64"}, {0, 1}))), "t002"));

    BOOST_TEST(contains(usage_error([] { plan(fig2_request({"depth=2"})); }), "fig2 does not use --grid 'depth=2'"));
    BOOST_TEST(contains(usage_error([] { plan(fig2_request({"lr=fast"})); }), "must be a number"));
    BOOST_TEST(contains(usage_error([] { plan(fig2_request({"width=16.5"})); }), "must be an integer"));
    BOOST_TEST(contains(usage_error([] { plan(fig2_request({"lr=0.1,20000"})); }), "expected a number in (0, 1e4)"));
    BOOST_TEST(contains(usage_error([] { plan(fig2_request({"lr=0.1", "lr=0.2"})); }), "given twice"));
    BOOST_TEST(contains(usage_error([] { plan(fig2_request({"dataset=cifar10"})); }), "dataset"));
    BOOST_TEST(contains(usage_error([] { plan(fig2_request({"dataset=imagenet"})); }), "not a dataset of fig2"));
}

BOOST_AUTO_TEST_CASE(status_reads_attempts_and_run_folders) {
    TempDir t;
    Manifest m = plan(fig2_request({"lr=0.01,0.02,0.03,0.04,0.05"}));
    save_manifest(t.path, m);
    auto attempt = [&](std::size_t i, const std::string& ended, int exit, long pid, const std::string& error) {
        Attempt a;
        a.number = 1;
        a.started = "2026-12-01T00:00:00Z";
        a.ended = ended;
        a.exit = exit;
        a.pid = pid;
        a.error = error;
        char host[256] = {};
        gethostname(host, sizeof host - 1);
        a.host = host;
        fs::create_directories(task_root(t.path, m.tasks[i]));
        write_json_atomic(attempt_path(t.path, m.tasks[i]), a.to_json());
    };
    // 0: a finished run folder; 1: alive (this process); 2: dead without an end (pid 1 never is ours:
    // use a child that has exited); 3: ended with exit 1; 4: never attempted.
    const fs::path run0 = task_run_folder(t.path, m, m.tasks[0]);
    fs::create_directories(run0);
    write_json_atomic(run0 / "progress.json", json{{"complete", true}});
    write_json_atomic(run0 / "summary.json", json::object());
    attempt(1, "", -1, long(getpid()), "");
    const pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    attempt(2, "", -1, long(child), "");
    attempt(3, "2026-12-01T00:01:00Z", 1, 4242, "gramtape: error: out of cheese");
    const auto st = task_states(t.path, m, false);
    BOOST_TEST_REQUIRE(st.size() == 5u);
    BOOST_TEST(std::string(state_name(st[0].state)) == "done");
    BOOST_TEST(std::string(state_name(st[1].state)) == "running");
    BOOST_TEST(std::string(state_name(st[2].state)) == "failed");
    BOOST_TEST(contains(st[2].detail, "stopped without an exit status"), st[2].detail);
    BOOST_TEST(std::string(state_name(st[3].state)) == "failed");
    BOOST_TEST(st[3].detail == "exit 1: gramtape: error: out of cheese");
    BOOST_TEST(std::string(state_name(st[4].state)) == "pending");
    // A damaged attempt record is an error naming the file, not a guess.
    fs::create_directories(task_root(t.path, m.tasks[4]));
    std::ofstream(attempt_path(t.path, m.tasks[4])) << "{\"number\": \"x\"}";
    BOOST_CHECK_EXCEPTION(task_states(t.path, m, false), IoError,
                          [&](const IoError& e) { return contains(e.what(), "attempt.json"); });
}

BOOST_AUTO_TEST_CASE(local_sweep_runs_resumes_and_refuses_another_sweep) {
    TempDir t;
    const fs::path out = t.path / "s";
    const auto r = run("sweep fig2 " + sweep_opts(out) + " --grid lr=0.01,0.05 --seeds 0-1 --jobs 2");
    BOOST_TEST_REQUIRE(r.status == 0, r.output);
    BOOST_TEST(contains(r.output, "4 done, 0 running, 0 failed, 0 pending"));
    const auto st = run("sweep status '" + out.string() + "'");
    BOOST_TEST(st.status == 0);
    BOOST_TEST(contains(st.output, "4 tasks: 4 done"), st.output);

    // A task is an ordinary run: its metrics equal `gramtape fig2` run by hand with its settings.
    const auto direct = run("fig2 " + sweep_opts(t.path / "direct") + " --lr 0.05 --seeds 1");
    BOOST_TEST_REQUIRE(direct.status == 0, direct.output);
    BOOST_TEST(slurp(out / "tasks/t003-mnist-lr0.05-seed1/fig2-smoke-mnist/metrics.csv") ==
               slurp(t.path / "direct/fig2-smoke-mnist/metrics.csv"));

    const auto again = run("sweep fig2 " + sweep_opts(out) + " --grid lr=0.01,0.05 --seeds 0-1 --jobs 2");
    BOOST_TEST(again.status == 0);
    BOOST_TEST(contains(again.output, "0 to run"), again.output);
    const auto other = run("sweep fig2 " + sweep_opts(out) + " --grid lr=0.01,0.02 --seeds 0-1");
    BOOST_TEST(other.status == 2);
    BOOST_TEST(contains(other.output, "holds another sweep (task 2 is t002-mnist-lr0.05-seed0 vs t002-mnist-lr0.02-seed0)"),
               other.output);
    fs::create_directories(t.path / "full");
    std::ofstream(t.path / "full" / "notes.txt") << "mine\n";
    const auto full = run("sweep fig2 " + sweep_opts(t.path / "full") + " --grid lr=0.01");
    BOOST_TEST(full.status == 2);
    BOOST_TEST(contains(full.output, "not empty and holds no sweep.json"), full.output);
    // Bad grids are refused before any folder exists.
    const auto bad = run("sweep fig2 " + sweep_opts(t.path / "bad") + " --grid lr=0.01,oops");
    BOOST_TEST(bad.status == 2);
    BOOST_TEST(contains(bad.output, "--grid 'lr=oops' must be a number"), bad.output);
    BOOST_TEST(!fs::exists(t.path / "bad"));
}

BOOST_AUTO_TEST_CASE(parallel_engine_merges_the_same_bytes_as_local) {
    TempDir t;
    const std::string grid = " --grid lr=0.01,0.05 --seeds 0-1 --jobs 2";
    const auto a = run("sweep fig1 " + sweep_opts(t.path / "local") + grid);
    BOOST_TEST_REQUIRE(a.status == 0, a.output);
    const auto b = run("sweep fig1 " + sweep_opts(t.path / "par") + grid + " --engine parallel");
    BOOST_TEST_REQUIRE(b.status == 0, b.output);
    BOOST_TEST(fs::exists(t.path / "par" / "parallel.joblog"));
    BOOST_TEST(slurp(t.path / "local/merged/metrics.csv") == slurp(t.path / "par/merged/metrics.csv"));
    BOOST_TEST(gtt::count_lines(slurp(t.path / "par/merged/metrics.csv")) > 4u);
}

BOOST_AUTO_TEST_CASE(a_failing_task_is_reported_and_the_others_go_on) {
    TempDir t;
    for (const std::string engine : {"local", "parallel"}) {
        const fs::path out = t.path / engine;
        // A subset larger than MNIST passes the setting checks and fails once the task loads its data.
        const auto r = run("sweep fig2 " + sweep_opts(out) + " --grid train_subset=100,10000000 --engine " + engine);
        BOOST_TEST(r.status == 1, r.output);
        const auto st = run("sweep status '" + out.string() + "'");
        BOOST_TEST(contains(st.output, "2 tasks: 1 done, 0 running, 1 failed, 0 pending"), st.output);
        BOOST_TEST(contains(st.output, "exit 1: gramtape: error: random_subset of 'mnist': expected at most 60000 samples"),
                   st.output);
        BOOST_TEST(contains(slurp(out / "report/index.html"), "t001-mnist-train_subset10000000"));
        // Run again: only the failed task is attempted again (parallel: --resume-failed from its job log).
        const auto again = run("sweep fig2 " + sweep_opts(out) + " --grid train_subset=100,10000000 --engine " + engine);
        BOOST_TEST(again.status == 1, again.output);
        BOOST_TEST(Attempt::read(out / "tasks/t000-mnist-train_subset100/attempt.json").number == 1);
        BOOST_TEST(Attempt::read(out / "tasks/t001-mnist-train_subset10000000/attempt.json").number == 2);
        if (engine == "parallel") BOOST_TEST(contains(slurp(out / "parallel.joblog"), "sweep task"));
    }
}

BOOST_AUTO_TEST_CASE(a_killed_task_is_recorded_and_resumes_to_the_same_metrics) {
    TempDir t;
    const fs::path out = t.path / "k";
    const std::string args = "sweep fig2 " + sweep_opts(out) + " --epochs 4 --grid lr=0.05";
    std::thread sweep_thread([&] { (void)run(args); });
    // The figure's pid is in its run folder's lock; kill it once an epoch is checkpointed.
    const fs::path run_folder = out / "tasks/t000-mnist-lr0.05/fig2-smoke-mnist";
    long pid = 0;
    for (int i = 0; i < 600 && pid == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::error_code ec;
        if (!fs::exists(run_folder / "progress.json", ec) || !fs::exists(run_folder / ".lock", ec)) continue;
        std::sscanf(slurp(run_folder / ".lock").c_str(), "pid %ld", &pid);
    }
    BOOST_TEST_REQUIRE(pid > 0);
    ::kill(pid_t(pid), SIGTERM);
    sweep_thread.join();
    const auto st = run("sweep status '" + out.string() + "'");
    BOOST_TEST(contains(st.output, "killed by signal 15"), st.output);
    const Attempt a = Attempt::read(out / "tasks/t000-mnist-lr0.05/attempt.json");
    BOOST_TEST(a.exit == 128 + SIGTERM);
    BOOST_TEST(!a.ended.empty());

    const auto resumed = run(args);
    BOOST_TEST_REQUIRE(resumed.status == 0, resumed.output);
    BOOST_TEST(Attempt::read(out / "tasks/t000-mnist-lr0.05/attempt.json").number == 2);
    const auto whole = run("fig2 " + sweep_opts(t.path / "whole") + " --epochs 4 --lr 0.05");
    BOOST_TEST_REQUIRE(whole.status == 0, whole.output);
    BOOST_TEST(slurp(run_folder / "metrics.csv") == slurp(t.path / "whole/fig2-smoke-mnist/metrics.csv"));
}

BOOST_AUTO_TEST_CASE(two_sweeps_into_one_folder_the_second_is_refused) {
    TempDir t;
    const fs::path out = t.path / "s";
    const std::string args = "sweep fig2 " + sweep_opts(out) + " --epochs 3 --grid lr=0.05";
    gtt::Result first;
    std::thread a([&] { first = run(args); });
    for (int i = 0; i < 600 && !fs::exists(out / "sweep.json"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto second = run(args);
    a.join();
    BOOST_TEST(first.status == 0, first.output);
    BOOST_TEST(second.status == 2, second.output);
    BOOST_TEST(contains(second.output, "sweep folder '" + out.string() + "' is being written by another gramtape process (pid"),
               second.output);
}

BOOST_AUTO_TEST_CASE(slurm_engine_without_or_refused_by_sbatch_submits_nothing) {
    TempDir t;
    // No sbatch on PATH.
    const fs::path empty = t.path / "bin-empty";
    fs::create_directories(empty);
    const auto none = run("sweep fig1 " + sweep_opts(t.path / "a") + " --engine slurm", "PATH=" + empty.string());
    BOOST_TEST(none.status == 2, none.output);
    BOOST_TEST(contains(none.output, "sbatch not found on PATH"), none.output);
    BOOST_TEST(load_manifest(t.path / "a").submissions.empty());
    // An sbatch that refuses, as a cluster does for a partition it lacks: its message is shown.
    const fs::path bin = t.path / "bin";
    fs::create_directories(bin);
    {
        std::ofstream s(bin / "sbatch");
        s << "#!/bin/sh\necho 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2\nexit 1\n";
    }
    fs::permissions(bin / "sbatch", fs::perms::owner_all);
    const auto refused = run("sweep fig1 " + sweep_opts(t.path / "b") + " --engine slurm --slurm-args --partition=x",
                             "PATH=" + bin.string() + ":/usr/bin:/bin");
    BOOST_TEST(refused.status == 2, refused.output);
    BOOST_TEST(contains(refused.output, "sbatch refused the task array (exit status 1): sbatch: error: Batch job submission "
                                        "failed: Invalid partition name specified"),
               refused.output);
    BOOST_TEST(load_manifest(t.path / "b").submissions.empty());
    // Flags that gramtape sets itself, or --slurm-args without slurm, are refused before anything runs.
    const auto own = run("sweep fig1 " + sweep_opts(t.path / "c") + " --engine slurm --slurm-args '--array=0-3'");
    BOOST_TEST(own.status == 2);
    BOOST_TEST(contains(own.output, "'--array=0-3' is set by gramtape itself"), own.output);
    const auto local = run("sweep fig1 " + sweep_opts(t.path / "d") + " --slurm-args '--partition=x'");
    BOOST_TEST(local.status == 2);
    BOOST_TEST(contains(local.output, "--slurm-args is for --engine slurm"), local.output);
}

BOOST_AUTO_TEST_CASE(reproduce_on_an_engine_lands_beside_the_other_runs_in_the_report) {
    TempDir t;
    const auto plain = run("fig1 " + sweep_opts(t.path / "runs"));
    BOOST_TEST_REQUIRE(plain.status == 0, plain.output);
    const auto r = run("reproduce --preset smoke --only fig1,fig4 --engine local --jobs 2 --threads 2 --data-dir '" +
                       gtt::data_dir() + "' --out '" + (t.path / "runs").string() + "' --report-dir '" +
                       (t.path / "report").string() + "'");
    BOOST_TEST_REQUIRE(r.status == 0, r.output);
    BOOST_TEST(fs::exists(t.path / "runs/reproduce-smoke/tasks/t000-fig1/fig1-smoke/summary.json"));
    const std::string html = slurp(t.path / "report/index.html");
    BOOST_TEST(contains(html, "reproduce-smoke/tasks/t000-fig1/fig1-smoke"), html.substr(0, 3000));
    BOOST_TEST(contains(html, "runs/fig1-smoke"));
}

BOOST_AUTO_TEST_SUITE_END()
