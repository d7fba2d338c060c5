// No shell anywhere: external programs run through gt::run_program (posix_spawnp, an argument vector),
// so any byte of a path is just a byte; a plot that fails never fails or removes a finished run; a
// non-finite metric is written `nan` with one warning and drawn as a gap.
#include <cmath>
#include <fcntl.h>
#include <limits>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "experiments/figure.hpp"
#include "experiments/metrics.hpp"
#include "experiments/plot.hpp"
#include "platform/subprocess.hpp"
#include "tests/reliability/cli_helpers.hpp"

using namespace gt;
using namespace gt::rel;
namespace fs = std::filesystem;

namespace {

/// Every byte a file name may hold that a shell or gnuplot would interpret.
const std::string kNasty = "q' d\" s$(touch X1)`touch X2`;touch X3 \\ *?\nnl";

bool is_png(const fs::path& p) {
    const std::string t = fs::exists(p) ? text(p) : "";
    return t.size() > 8 && t.compare(1, 3, "PNG") == 0;
}

/// Files named like something a shell would have created (X1, X2, X3, PWNED) anywhere under `dir`.
std::vector<std::string> shell_traces(const fs::path& dir) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (n == "PWNED" || n == "X1" || n == "X2" || n == "X3") found.push_back(e.path().string());
    }
    return found;
}

/// Runs f with our fd 2 going to a file; returns what was written there.
std::string stderr_of(const std::function<void()>& f, const TempDir& dir) {
    const std::string path = dir.file("stderr.txt");
    std::fflush(stderr);
    const int saved = ::dup(2), fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    ::close(fd);
    f();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    return text(path);
}

/// What a shell would have created in the working directory gramtape inherits from us.
bool traces_here() {
    for (const char* n : {"PWNED", "X1", "X2", "X3"})
        if (fs::exists(n)) return true;
    return false;
}

const std::vector<std::string> kFig1 = {"fig1", "--preset", "smoke", "--threads", "1"};

std::vector<std::string> fig1_into(const std::string& out) {
    std::vector<std::string> a = kFig1;
    a.insert(a.end(), {"--out", out});
    return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(no_shell)

BOOST_AUTO_TEST_CASE(an_argument_arrives_byte_for_byte) {
    TempDir dir;
    std::string arg;
    for (int c = 1; c < 256; ++c) arg += static_cast<char>(c);
    arg += kNasty;
    SpawnOptions opt;
    opt.cwd = dir.str();
    opt.output_file = dir.file("out.bin");
    const RunResult r = run_program({"/usr/bin/printf", "%s", arg}, opt);
    BOOST_TEST(r.status == 0);
    BOOST_TEST((text(dir.file("out.bin")) == arg));
    const RunResult by_path = run_program({"printf", "%s", kNasty});  // searched on PATH, output captured
    BOOST_TEST((by_path.output == kNasty));
    BOOST_TEST(shell_traces(dir.path).empty());
}

BOOST_AUTO_TEST_CASE(missing_program_status_and_working_directory) {
    SpawnOptions hint;
    hint.hint = "install gt-nothing";
    try {
        run_program({"gt-no-such-program"}, hint);
        BOOST_FAIL("expected SpawnError");
    } catch (const SpawnError& e) {
        BOOST_TEST(std::string(e.what()) == "gt-no-such-program not found on PATH (install gt-nothing)");
    }
    BOOST_CHECK_THROW(run_program({"/nonexistent/gt-tool"}), SpawnError);
    BOOST_TEST(run_program({"false"}).status == 1);
    const RunResult ls = run_program({"ls", "/nonexistent-gt-dir"});  // stderr is captured too
    BOOST_TEST(ls.status == 2);
    BOOST_TEST(ls.output.find("nonexistent-gt-dir") != std::string::npos, ls.output);

    TempDir dir;
    const fs::path odd = dir.path / ("O'Brien runs " + kNasty);
    fs::create_directories(odd);
    SpawnOptions in;
    in.cwd = odd.string();
    const RunResult pwd = run_program({"pwd", "-P"}, in);
    BOOST_TEST(pwd.status == 0);
    BOOST_TEST((pwd.output == fs::canonical(odd).string() + "\n"), pwd.output);
    in.cwd = dir.file("absent");
    BOOST_CHECK_THROW(run_program({"pwd"}, in), SpawnError);
}

// (a) the hostile tester's --out: before, gnuplot ran through `sh -c` and PWNED appeared.
BOOST_AUTO_TEST_CASE(an_out_folder_with_shell_syntax_is_just_a_name) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    const fs::path out = dir.path / "x';touch PWNED;'y";
    BOOST_TEST_REQUIRE(!traces_here());
    const Done d = run(fig1_into(out.string()), dir);
    BOOST_TEST(d.status == 0, d.output);
    BOOST_TEST((shell_traces(dir.path).empty() && !traces_here()));
    BOOST_TEST(is_png(out / "fig1-smoke" / "fig1.png"), d.output);
}

// (b) quotes, spaces, $( ), backquotes, a double quote and a newline in the folder: the PNG is drawn.
BOOST_AUTO_TEST_CASE(odd_folder_names_get_their_png) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    for (const std::string& name : {std::string("O'Brien runs"), kNasty}) {
        const fs::path out = dir.path / name;
        const Done d = run(fig1_into(out.string()), dir);
        BOOST_TEST(d.status == 0, d.output);
        BOOST_TEST(is_png(out / "fig1-smoke" / "fig1.png"), name << ": " << d.output);
        BOOST_TEST(d.output.find("plot fig1.png failed") == std::string::npos, d.output);
    }
    BOOST_TEST((shell_traces(dir.path).empty() && !traces_here()));
}

// (c) no gnuplot on PATH: the run completes, says why there is no plot, and stays complete.
BOOST_AUTO_TEST_CASE(without_gnuplot_the_run_is_complete_and_says_so) {
    BOOST_TEST_REQUIRE(!gramtape().empty());
    TempDir dir;
    fs::create_directories(dir.path / "empty-bin");
    const Env no_gnuplot = {{"PATH", dir.file("empty-bin")}};
    const std::vector<std::string> args = fig1_into(dir.file("runs"));
    const Done d = run(args, dir, 0, {}, no_gnuplot);
    BOOST_TEST(d.status == 0, d.output);
    BOOST_TEST(d.output.find("fig1: plot fig1.png failed: gnuplot not found on PATH (install gnuplot-nox); "
                             "the run's data are complete") != std::string::npos, d.output);
    const fs::path run_dir = dir.path / "runs" / "fig1-smoke";
    BOOST_TEST_REQUIRE(fs::is_directory(run_dir), "the run folder was removed");
    const auto summary = nlohmann::json::parse(text(run_dir / "summary.json"));
    const auto fails = summary.at("plot_failures").get<std::vector<std::string>>();
    BOOST_TEST_REQUIRE(fails.size() == 1u);
    BOOST_TEST(fails[0].find("fig1.png: gnuplot not found on PATH") == 0, fails[0]);
    BOOST_TEST(nlohmann::json::parse(text(run_dir / "progress.json")).value("complete", false));
    const auto rows = experiments::MetricsLog::parse(text(run_dir / "metrics.csv"), "metrics.csv");
    BOOST_TEST(!rows.empty());
    BOOST_TEST(!fs::exists(run_dir / "fig1.png"));
    BOOST_TEST(broken_files(run_dir).empty());

    const Done again = run(args, dir, 0, {}, no_gnuplot);
    BOOST_TEST(again.status == 0);
    BOOST_TEST(last_line(again.output).find("fig1: already complete in") == 0, again.output);

    // The report names the failed plot instead of showing a broken image.
    const Done rep = run({"report", "--runs", dir.file("runs"), "--report-dir", dir.file("report")}, dir);
    BOOST_TEST(rep.status == 0, rep.output);
    const std::string html = text(dir.path / "report" / "index.html");
    BOOST_TEST(html.find("Plot fig1.png failed: gnuplot not found on PATH") != std::string::npos);
    BOOST_TEST(html.find("alt=\"fig1.png\"") == std::string::npos, "the report shows a broken image");
}

// (d) a non-finite metric: written `nan`, read back as NaN, one warning naming where.
BOOST_AUTO_TEST_CASE(a_non_finite_metric_is_nan_with_one_warning) {
    TempDir dir;
    experiments::MetricsLog log(dir.path / "metrics.csv", "fig4");
    const std::string warned = stderr_of([&] {
        log.add("seed0", 3, 243, 2, "tl", -std::numeric_limits<double>::infinity());
        log.add("seed0", 4, 324, 2, "tl", -std::numeric_limits<double>::quiet_NaN());  // same series: silent
        log.add("seed0", 4, 324, 2, "surrogate", 1.5);
    }, dir);
    BOOST_TEST(warned == "warning: fig4 run seed0, layer 2, epoch 3, step 243: tl is -inf; recorded as nan in metrics.csv\n");
    log.flush();
    const std::string csv = text(log.path());
    BOOST_TEST(csv.find("seed0,3,243,2,tl,nan\n") != std::string::npos, csv);
    BOOST_TEST(csv.find("seed0,4,324,2,tl,nan\n") != std::string::npos, csv);
    BOOST_TEST(csv.find("-nan") == std::string::npos);
    BOOST_TEST(csv.find("inf") == std::string::npos);
    const auto rows = experiments::MetricsLog::parse(csv, "metrics.csv");
    BOOST_TEST_REQUIRE(rows.size() == 3u);
    BOOST_TEST((std::isnan(rows[0].value) && std::isnan(rows[1].value) && rows[2].value == 1.5));
}

// NaN rows are gaps; a series that is NaN throughout on a log axis may not draw, but never fails a run.
BOOST_AUTO_TEST_CASE(nan_in_plot_data_is_a_gap) {
    TempDir dir;
    experiments::DatFile dat({"x", "y", "all_nan"});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int i = 1; i <= 6; ++i) dat.row({double(i), i == 3 ? nan : double(i * i), nan});
    dat.save(dir.path / "p.dat");
    BOOST_TEST(text(dir.path / "p.dat").find("3 NaN NaN\n") != std::string::npos);
    experiments::render(dir.path, {"p.png", "p.gp", 300, 200, "set logscale y\nplot \"p.dat\" using 1:2 with lines"});
    BOOST_TEST(is_png(dir.path / "p.png"));

    experiments::RunFolder folder = experiments::RunFolder::open(dir.path, "run", nlohmann::json{{"x", 1}});
    experiments::RunContext ctx;
    ctx.folder = &folder;
    ctx.figure = "figT";
    const std::string warned = stderr_of([&] {
        experiments::plot(ctx, {"q.png", "q.gp", 300, 200, "set logscale y\nplot \"../p.dat\" using 1:3 with lines"});
    }, dir);
    if (!ctx.plot_failures.empty()) {  // gnuplot 5.4: "all points y value undefined!"
        BOOST_TEST(ctx.plot_failures[0].find("q.png: gnuplot failed on") == 0, ctx.plot_failures[0]);
        BOOST_TEST(warned.find("figT: plot q.png failed: ") == 0, warned);
        BOOST_TEST(warned.find("; the run's data are complete\n") != std::string::npos, warned);
    } else {
        BOOST_TEST(is_png(folder.path() / "q.png"));
    }
}

BOOST_AUTO_TEST_SUITE_END()
