// The real `gramtape` binary (its path is the first argument after `--`), run as a subprocess:
//  * the CLI rows of docs/reliability.md (unknown flag, out-of-range values, unwritable --out, a full
//    disk simulated by RLIMIT_FSIZE in the child): exit status 2 or 1, and exactly the documented line;
//  * two identical smoke runs write bitwise identical metrics.csv;
//  * a smoke run SIGKILLed mid-run and restarted with the same command ends with exactly the metrics
//    of an uninterrupted run, and no partially written file is left where a finished one is expected.
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <sys/resource.h>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "platform/npy.hpp"
#include "tests/reliability/cli_helpers.hpp"

using namespace gt;
using namespace gt::rel;
namespace fs = std::filesystem;

namespace {

/// The folders of the kill-and-resume test, kept for the array comparison that follows it.
const TempDir& kill_dir() {
    static TempDir t;
    return t;
}

const std::vector<std::string> kFig4 = {"fig4", "--preset", "smoke", "--epochs", "2", "--threads", "1"};

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_reliability)

BOOST_AUTO_TEST_CASE(bad_flags_and_folders_give_the_documented_line) {
    BOOST_TEST_REQUIRE(!gramtape().empty(), "expected the gramtape binary as a test argument");
    TempDir dir;
    const std::string out = dir.file("runs");
    write_bytes(dir.file("afile"), {1});
    check_cli_row("cli-unknown-flag", run({"fig1", "--preset", "smoke", "--bogus", "1", "--out", out}, dir), 2, dir);
    check_cli_row("cli-lr-range", run({"fig1", "--preset", "smoke", "--lr", "-1", "--out", out}, dir), 2, dir);
    check_cli_row("cli-threads-range", run({"fig1", "--preset", "smoke", "--threads", "0", "--out", out}, dir), 2, dir);
    check_cli_row("cli-unwritable-out", run({"fig1", "--preset", "smoke", "--out", dir.file("afile") + "/runs"}, dir), 2, dir);
    BOOST_TEST(!fs::exists(out), "a refused command created " << out);
}

// Invalid settings from a --config file, from a figure's own check and from a figure's run: each is
// refused with the documented line, and no run folder (nor the --out folder) is left behind.
BOOST_AUTO_TEST_CASE(bad_settings_leave_no_run_folder) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    const std::string out = dir.file("runs"), cfg = dir.file("c.json");
    auto with = [&](const std::string& fig, const std::string& json) {
        const std::string text = json + "\n";
        write_bytes(cfg, Bytes(text.begin(), text.end()));
        return run({fig, "--preset", "smoke", "--threads", "1", "--config", cfg, "--data-dir", data_dir(), "--out", out}, dir);
    };
    check_cli_row("cli-config-range", with("fig1", R"({"epochs": 0})"), 2, dir);
    BOOST_TEST(!fs::exists(out));
    check_cli_row("cli-config-type", with("fig1", R"({"n": 2.5})"), 2, dir);
    BOOST_TEST(!fs::exists(out));
    check_cli_row("cli-figure-setting", with("fig1", R"({"frames": [0, 500]})"), 2, dir);
    BOOST_TEST(!fs::exists(out));
    check_cli_row("cli-setting-in-run", with("fig2", R"({"train_subset": 70000})"), 1, dir);
    BOOST_TEST(!fs::exists(out), "the refused fig2 run left " << out);
    // An --out folder that existed keeps existing; only the run folder goes.
    fs::create_directories(out);
    BOOST_TEST(with("fig2", R"({"train_subset": 70000})").status == 1);
    BOOST_TEST(fs::is_directory(out));
    BOOST_TEST(fs::is_empty(out), "the refused fig2 run left a folder in " << out);
    check_cli_row("cli-figure-setting-fig8", with("fig8", R"({"metric_every": 0})"), 2, dir);
    BOOST_TEST(fs::is_empty(out), "the refused fig8 setting left a folder in " << out);
}

// Regression: save_npy used to write with xt::dump_npy, which does not check the stream, so on a full
// disk a truncated .npy was renamed into place and the run exited 0.
BOOST_AUTO_TEST_CASE(full_disk_fails_cleanly_and_leaves_no_truncated_file) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    std::vector<std::string> args = kFig4;
    for (const std::string& a : std::vector<std::string>{"--data-dir", data_dir(), "--out", dir.file("runs")}) args.push_back(a);
    const Done d = run(args, dir, 100 * 1024);  // checkpoints of the first layer need ~800 kB
    BOOST_TEST(d.status == 1, "gramtape exited " << d.status << " on a full disk; last line: " << last_line(d.output));
    // A run that fails before its first finished epoch removes its folder; otherwise none may be partial.
    const auto bad = fs::exists(dir.file("runs")) ? broken_files(dir.file("runs")) : std::vector<std::string>{};
    BOOST_TEST(bad.empty(), bad.size() << " unfinished files left, first: " << (bad.empty() ? "" : bad.front()));
}

BOOST_AUTO_TEST_CASE(two_smoke_runs_write_bitwise_identical_metrics) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    for (const char* sub : {"a", "b"}) {
        const Done d = run({"fig1", "--preset", "smoke", "--threads", "1", "--out", dir.file(sub)}, dir);
        BOOST_TEST_REQUIRE(d.status == 0, d.output);
    }
    const std::string a = text(dir.file("a") + "/fig1-smoke/metrics.csv");
    BOOST_TEST(a.size() > 100u);
    BOOST_TEST((a == text(dir.file("b") + "/fig1-smoke/metrics.csv")));
    for (const char* f : {"virtual_inputs.npy", "first_layer_gram.npy"})
        BOOST_TEST((read_bytes(dir.file("a") + "/fig1-smoke/" + f) == read_bytes(dir.file("b") + "/fig1-smoke/" + f)), f);
}

BOOST_AUTO_TEST_CASE(sigkill_mid_run_then_same_command_equals_uninterrupted) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    if (!fs::exists(data_dir() + "/mnist"))
        BOOST_FAIL("expected MNIST under " + data_dir() + " (tools/setup fetches it)");
    const TempDir& dir = kill_dir();
    auto args_for = [&](const std::string& out) {
        // 6 epochs: with the fast BLAS kernels 2 smoke epochs could finish before the kill lands.
        std::vector<std::string> a = {"fig4", "--preset", "smoke", "--epochs", "6", "--threads", "1"};
        for (const std::string& s : std::vector<std::string>{"--data-dir", data_dir(), "--out", out}) a.push_back(s);
        return a;
    };
    const Done full = run(args_for(dir.file("full")), dir);
    BOOST_TEST_REQUIRE(full.status == 0, full.output);
    const fs::path folder = dir.file("killed") + "/fig4-smoke-mnist";

    // Kill once the first epoch's checkpoint is complete, i.e. during the second epoch.
    Run r = start(args_for(dir.file("killed")), dir.file("killed.log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    while (!fs::exists(folder / "checkpoints" / "seed0" / "manifest.json") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(r.pid, SIGKILL);
    const Done killed = finish(r);
    BOOST_TEST_REQUIRE(killed.status == 128 + SIGKILL, "the run ended before it was killed: " << killed.output);
    BOOST_TEST(!fs::exists(folder / "summary.json"));

    const Done resumed = run(args_for(dir.file("killed")), dir);
    BOOST_TEST_REQUIRE(resumed.status == 0, resumed.output);
    BOOST_TEST(resumed.output.find("resuming") != std::string::npos, resumed.output);
    BOOST_TEST((text(folder / "metrics.csv") == text(dir.file("full") + "/fig4-smoke-mnist/metrics.csv")));
    const auto bad = broken_files(folder);
    BOOST_TEST(bad.empty(), bad.size() << " unfinished files, first: " << (bad.empty() ? "" : bad.front()));
}

// Regression: after a resume, fig4 rebuilds tl.npy and surrogate.npy from metrics.csv, whose values
// used to carry 9 significant digits, so the arrays differed from an uninterrupted run's.
BOOST_AUTO_TEST_CASE(sigkill_then_resume_gives_the_same_arrays, *boost::unit_test::depends_on("cli_reliability/sigkill_mid_run_then_same_command_equals_uninterrupted")) {
    const fs::path killed = kill_dir().file("killed") + "/fig4-smoke-mnist";
    const fs::path full = kill_dir().file("full") + "/fig4-smoke-mnist";
    for (const char* f : {"tl.npy", "surrogate.npy"}) {
        const Bytes a = read_bytes((killed / f).string()), b = read_bytes((full / f).string());
        BOOST_TEST_REQUIRE(!a.empty(), f);
        BOOST_TEST((a == b), f << " differs after the resume");
    }
}

BOOST_AUTO_TEST_SUITE_END()
