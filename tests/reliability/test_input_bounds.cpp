// Every input gramtape reads is bounded and typed before it is used: a --config file (or a run folder's
// JSON) that is nested too deep, endless, a FIFO, too big or has duplicate keys; settings out of range;
// runs whose estimated memory exceeds what the process may use; `report --runs` on a wrong folder; SVHN.
// Each case runs the real binary and checks exit status, the exact last line, and that no run folder exists.
#include <chrono>
#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "tests/reliability/cli_helpers.hpp"
#ifdef GT_WITH_EXPERIMENTS
#include "platform/files.hpp"
#endif

using namespace gt;
using namespace gt::rel;

namespace {

/// Waits for the child at most `seconds`; a child still running then is killed and `hung` set.
Done finish_within(const Run& r, double seconds, bool& hung) {
    hung = false;
    const auto t0 = std::chrono::steady_clock::now();
    int st = 0;
    while (::waitpid(r.pid, &st, WNOHANG) == 0) {
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds) {
            hung = true;
            ::kill(r.pid, SIGKILL);
            ::waitpid(r.pid, &st, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Done d;
    d.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    const Bytes b = read_bytes(r.log);
    d.output.assign(b.begin(), b.end());
    return d;
}

void write_text(const std::string& path, const std::string& s) { write_bytes(path, Bytes(s.begin(), s.end())); }

/// A fig command with --config `cfg` into dir/runs, under a 10 s bound.
struct ConfigRun {
    const TempDir& dir;
    std::string out = dir.file("runs");
    Done with(const std::string& fig, const std::string& cfg, const Limits& limits = {}, double seconds = 10) {
        bool hung = false;
        const Done d = finish_within(start({fig, "--preset", "smoke", "--threads", "1", "--config", cfg, "--data-dir", data_dir(),
                                            "--out", out},
                                           dir.file("gramtape.log"), 0, limits),
                                     seconds, hung);
        BOOST_TEST(!hung, fig << " --config " << cfg << " still ran after " << seconds << " s");
        BOOST_TEST(!fs::exists(out), "a refused command left " << out);
        return d;
    }
    // Exit 2 and exactly this last line (<tmp> for the scratch folder).
    void refused(const Done& d, const std::string& line) {
        BOOST_TEST(d.status == 2, "output: " << d.output);
        BOOST_TEST(replace_all(last_line(d.output), dir.str(), "<tmp>") == line);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(input_bounds)

// 200,000 nested arrays used to segfault (nlohmann's recursive destructor/dump). The depth scan refuses
// them before anything is built, even with a 1 MiB stack where recursion that deep could not run.
BOOST_AUTO_TEST_CASE(deeply_nested_config_is_refused_before_parsing) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    ConfigRun r{dir};
    write_text(dir.file("deep.json"), "{\"epochs\": " + std::string(200000, '[') + std::string(200000, ']') + "}\n");
    const std::string line =
        "gramtape: error: --config: <tmp>/deep.json: expected JSON nested at most 64 deep, found deeper nesting at line 1, byte offset 74";
    r.refused(r.with("fig1", dir.file("deep.json")), line);
    r.refused(r.with("fig1", dir.file("deep.json"), {{RLIMIT_STACK, 1 << 20}}), line);
}

BOOST_AUTO_TEST_CASE(dev_zero_fifo_and_oversized_configs_are_refused_quickly) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    ConfigRun r{dir};
    // /dev/zero used to be read until the machine ran out of memory (7 GB and counting).
    const auto t0 = std::chrono::steady_clock::now();
    r.refused(r.with("fig1", "/dev/zero", {}, 5),
              "gramtape: error: --config: cannot read /dev/zero: expected a regular file, found a character device");
    BOOST_TEST(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 5.0);
    // A FIFO with no writer used to block the open for ever.
    BOOST_TEST_REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    r.refused(r.with("fig1", dir.file("fifo")),
              "gramtape: error: --config: cannot read <tmp>/fifo: expected a regular file, found a FIFO (named pipe)");
    r.refused(r.with("fig1", dir.str()), "gramtape: error: --config: cannot read <tmp>: expected a regular file, found a directory");
    write_text(dir.file("big.json"), "{}" + std::string(17u << 20, ' '));
    r.refused(r.with("fig1", dir.file("big.json")),
              "gramtape: error: --config: cannot read <tmp>/big.json: expected at most 16.0 MiB (16777216 bytes), found 17825794 bytes");
}

BOOST_AUTO_TEST_CASE(duplicate_keys_and_run_selecting_keys_are_refused) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    ConfigRun r{dir};
    const std::string cfg = dir.file("c.json");
    write_text(cfg, R"({"epochs": 1, "lr": 0.1, "epochs": 2})");
    r.refused(r.with("fig1", cfg), "gramtape: error: --config: <tmp>/c.json: expected each key once per object, found 'epochs' twice");
    write_text(cfg, R"({"preset": "paper"})");
    r.refused(r.with("fig1", cfg),
              R"(gramtape: error: --config '<tmp>/c.json': 'preset' = "paper" is not read from a config file; use --preset instead)");
    write_text(cfg, R"({"dataset": "fashion-mnist"})");
    r.refused(r.with("fig2", cfg),
              R"(gramtape: error: --config '<tmp>/c.json': 'dataset' = "fashion-mnist" is not read from a config file; use --dataset instead)");
    write_text(cfg, R"({"figure": "fig2"})");
    r.refused(r.with("fig1", cfg), R"(gramtape: error: --config '<tmp>/c.json': 'figure' = "fig2", but this command runs fig1)");
}

BOOST_AUTO_TEST_CASE(size_settings_out_of_range_are_refused) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    ConfigRun r{dir};
    const std::string cfg = dir.file("c.json");
    // Used to end in a bare std::bad_alloc.
    write_text(cfg, R"({"width": 100000000})");
    r.refused(r.with("fig13", cfg), "gramtape: error: --config '<tmp>/c.json': 'width' = 100000000: expected an integer in [1, 8192]");
    write_text(cfg, R"({"widths": [32, 100000]})");
    r.refused(r.with("fig8", cfg), "gramtape: error: --config '<tmp>/c.json': 'widths'[1] = 100000: expected widths in [1, 8192]");
    write_text(cfg, R"({"modulus": 5000})");
    r.refused(r.with("fig13", cfg), "gramtape: error: --config '<tmp>/c.json': 'modulus' = 5000: expected an integer in [2, 1000]");
    write_text(cfg, R"({"n": 100000000})");
    r.refused(r.with("fig1", cfg), "gramtape: error: --config '<tmp>/c.json': 'n' = 100000000: expected an integer in [1, 10000000]");
    // A seed range is counted before it is expanded (2e9 ints used to be pushed first).
    bool hung = false;
    const Done d = finish_within(start({"fig1", "--preset", "smoke", "--seeds", "0-2000000000", "--out", r.out}, dir.file("s.log")), 5, hung);
    BOOST_TEST(!hung);
    BOOST_TEST(d.status == 2, d.output);
    BOOST_TEST(last_line(d.output).rfind("gramtape: error: --seeds '0-2000000000': expected", 0) == 0u, d.output);
    BOOST_TEST(!fs::exists(r.out));
}

// Sizes within range whose estimate exceeds the memory the process may use (here GT_MEMORY_LIMIT = 2 GiB;
// RLIMIT_AS, which the budget reads too, would stop an AddressSanitizer build from starting at all).
BOOST_AUTO_TEST_CASE(a_run_that_would_not_fit_is_refused_with_its_estimate) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    ConfigRun r{dir};
    const std::string cfg = dir.file("c.json");
    write_text(cfg, R"({"widths": [4096], "n": 20000})");
    ::setenv("GT_MEMORY_LIMIT", std::to_string(std::uint64_t(2) << 30).c_str(), 1);
    const Done d = r.with("fig8", cfg);
    ::unsetenv("GT_MEMORY_LIMIT");
    BOOST_TEST(d.status == 2, d.output);
    const std::string line = last_line(d.output);
    BOOST_TEST(line.rfind("gramtape: error: fig8 with these settings needs an estimated ", 0) == 0u, line);
    BOOST_TEST(line.find("more than the 2.0 GiB this process may use (GT_MEMORY_LIMIT); lower ") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(verify_refuses_sizes_it_cannot_hold_at_once) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    bool hung = false;
    const auto t0 = std::chrono::steady_clock::now();
    const Done d = finish_within(start({"verify", "--width", "4096", "--depth", "64", "--batch", "65536"}, dir.file("v.log")), 10, hung);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST(!hung);
    BOOST_TEST(secs < 1.0, "the refusal took " << secs << " s");
    BOOST_TEST(d.status == 2, d.output);
    const std::string line = last_line(d.output);
    BOOST_TEST(line.rfind("gramtape: error: verify (mlp, depth 64, width 4096, batch 65536, double) needs an estimated ", 0) == 0u, line);
    BOOST_TEST(line.find("lower --width, --depth or --batch") != std::string::npos, line);
    const Done w = run({"verify", "--width", "5000"}, dir);
    BOOST_TEST(w.status == 2);
    BOOST_TEST(last_line(w.output) == "gramtape: error: --width: Value 5000 not in range 1 to 4096");
}

BOOST_AUTO_TEST_CASE(report_on_a_wrong_runs_folder_keeps_the_existing_report) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    fs::create_directories(dir.file("report"));
    write_text(dir.file("report/index.html"), "<html>the good report</html>\n");
    write_text(dir.file("report/README.md"), "# the good report\n");
    fs::create_directories(dir.file("empty/not-a-run"));
    const Bytes html = read_bytes(dir.file("report/index.html")), md = read_bytes(dir.file("report/README.md"));
    const Done missing = run({"report", "--runs", dir.file("nope"), "--report-dir", dir.file("report")}, dir);
    BOOST_TEST(missing.status == 2, missing.output);
    BOOST_TEST(replace_all(last_line(missing.output), dir.str(), "<tmp>") ==
               "gramtape: error: report --runs '<tmp>/nope': expected a folder of run folders, found nothing there; "
               "<tmp>/report is left as it was");
    const Done empty = run({"report", "--runs", dir.file("empty"), "--report-dir", dir.file("report")}, dir);
    BOOST_TEST(empty.status == 2, empty.output);
    BOOST_TEST(replace_all(last_line(empty.output), dir.str(), "<tmp>") ==
               "gramtape: error: report --runs '<tmp>/empty': expected at least one run folder with a summary.json, found none; "
               "<tmp>/report is left as it was");
    BOOST_TEST((read_bytes(dir.file("report/index.html")) == html));
    BOOST_TEST((read_bytes(dir.file("report/README.md")) == md));
}

BOOST_AUTO_TEST_CASE(svhn_files_present_are_named_as_not_supported_yet) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    fs::create_directories(dir.file("data/svhn"));
    for (const char* f : {"train_32x32.mat", "test_32x32.mat"}) write_text(dir.file(std::string("data/svhn/") + f), "MATLAB 5.0 MAT-file");
    const Done d = run({"fig2", "--preset", "smoke", "--dataset", "svhn", "--data-dir", dir.file("data"), "--out", dir.file("runs")}, dir);
    BOOST_TEST(d.status == 2, d.output);
    BOOST_TEST(replace_all(last_line(d.output), dir.str(), "<tmp>") ==
               "gramtape: error: --dataset 'svhn': not supported yet: gramtape has no reader for SVHN's MATLAB .mat files "
               "(train_32x32.mat, test_32x32.mat); found <tmp>/data/svhn/train_32x32.mat, <tmp>/data/svhn/test_32x32.mat, "
               "but cannot read them; use mnist, fashion-mnist, cifar10 or cifar100");
    BOOST_TEST(!fs::exists(dir.file("runs")));
}

#ifdef GT_WITH_EXPERIMENTS
// The run folder's own JSON files go through the same reader.
BOOST_AUTO_TEST_CASE(read_json_bounds_run_folder_files) {
    TempDir dir;
    auto refused = [&](const std::string& text, const std::string& message) {
        write_text(dir.file("progress.json"), text);
        try {
            gt::read_json(dir.file("progress.json"));
            BOOST_ERROR("accepted " << text.substr(0, 40));
        } catch (const gt::IoError& e) {
            BOOST_TEST(replace_all(e.what(), dir.str(), "<tmp>") == message);
        }
    };
    refused(std::string(100000, '[') + std::string(100000, ']'),
            "<tmp>/progress.json: expected JSON nested at most 64 deep, found deeper nesting at line 1, byte offset 64");
    refused("{\n \"runs\": {\"seed0\": 1,\n \"seed0\": 2}}",
            "<tmp>/progress.json: expected each key once per object, found 'seed0' twice");
    // 64 deep is fine, and the same key in two objects is not a duplicate; brackets in strings do not count.
    write_text(dir.file("ok.json"), std::string(64, '[') + "\"[[[[\"" + std::string(64, ']'));
    BOOST_CHECK_NO_THROW(gt::read_json(dir.file("ok.json")));
    write_text(dir.file("ok.json"), R"({"a": {"b": 1}, "c": {"b": 2}, "d": [{"b": 3}, {"b": 4}]})");
    BOOST_TEST(gt::read_json(dir.file("ok.json")).at("d").at(1).at("b").get<int>() == 4);
    BOOST_TEST_REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    BOOST_CHECK_THROW(gt::read_json(dir.file("fifo")), gt::IoError);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
