// `gramtape sweep report`: the merge of a sweep's finished tasks, tested on sweep folders built by hand
// (manifest, run folders with known metrics and summaries), against numbers worked out here.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <sys/resource.h>

#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/sweep/merge.hpp"
#include "helpers.hpp"
#include "platform/files.hpp"

using namespace gt;
using namespace gt::experiments;
using namespace gt::experiments::sweep;
using gtt::TempDir;

namespace {

const std::string kHeader = "run,epoch,step,layer,metric,value\n";

/// A plain write (no fsync): the 1,000-task sweep writes 3,000 files.
void put(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    f << text;
    BOOST_REQUIRE(f.good());
}

Task make_task(std::size_t index, const std::string& name, const std::string& figure, json setting, long seed) {
    Task t;
    t.index = index;
    t.name = name;
    t.figure = figure;
    t.setting = std::move(setting);
    t.seed = seed;
    return t;
}

Manifest make_manifest(std::vector<Task> tasks) {
    Manifest m;
    m.preset = "smoke";
    m.data_dir = "/data";
    m.request = {{"figure", tasks.empty() ? "" : tasks[0].figure}, {"grid", json::object()}};
    m.tasks = std::move(tasks);
    return m;
}

Summary make_summary(const std::string& figure, std::vector<SummaryRow> rows, std::vector<ClaimCheck> claims) {
    Summary s;
    s.figure = figure;
    s.title = "a figure";
    s.preset = "smoke";
    s.command = "gramtape " + figure;
    s.setup = "setup";
    s.rows = std::move(rows);
    s.claims = std::move(claims);
    s.seconds = 1.0;
    return s;
}

/// A finished task: metrics.csv, summary.json and progress.json {"complete": true} in its run folder.
void finish_task(const fs::path& dir, const Manifest& m, const Task& t, const std::string& metrics, const Summary& s) {
    const fs::path run = task_run_folder(dir, m, t);
    put(run / "metrics.csv", metrics);
    put(run / "summary.json", s.to_json().dump(2));
    put(run / "progress.json", R"({"complete": true})");
}

std::string slurp(const fs::path& p) { return read_text(p); }

const json& setting_named(const json& settings, const std::string& label) {
    for (const auto& s : settings.at("settings"))
        if (s.at("label") == label) return s;
    BOOST_FAIL("no setting " + label + " in settings.json");
    static json none;
    return none;
}

const json& series_of(const json& setting, const std::string& run, const std::string& metric, const std::string& layer = "") {
    for (const auto& s : setting.at("series"))
        if (s.at("run") == run && s.at("metric") == metric && s.at("layer") == layer) return s;
    BOOST_FAIL("no series " + run + "/" + metric + " in setting " + setting.at("label").get<std::string>());
    static json none;
    return none;
}

/// The data rows of one block of a .dat file (blocks are separated by two blank lines).
std::vector<std::vector<double>> dat_block(const std::string& text, std::size_t block) {
    std::vector<std::vector<double>> rows;
    std::size_t b = 0, blank = 0;
    std::size_t at = 0;
    bool started = false;
    while (at < text.size()) {
        std::size_t e = text.find('\n', at);
        if (e == std::string::npos) e = text.size();
        const std::string line = text.substr(at, e - at);
        at = e + 1;
        if (line.empty()) {
            ++blank;
            continue;
        }
        if (blank >= 2 && started) ++b;
        blank = 0;
        if (line[0] == '#') continue;
        started = true;
        if (b != block) continue;
        std::vector<double> r;
        std::size_t p = 0;
        while (p < line.size()) {
            std::size_t q = line.find(' ', p);
            if (q == std::string::npos) q = line.size();
            r.push_back(std::strtod(line.substr(p, q - p).c_str(), nullptr));
            p = q + 1;
        }
        rows.push_back(r);
    }
    return rows;
}

/// The 2 settings × 3 seeds sweep of the statistics test: fig2-like runs "seedS/whiten" and "seedS/orig".
/// Final whiten test accuracy 0.9, 0.8, 0.7 (lr=0.1) and 0.5, 0.6, 0.7 (lr=0.2).
struct SmallSweep {
    TempDir t;
    Manifest m;
    SmallSweep() {
        const double lrs[] = {0.1, 0.2};
        const double final_acc[2][3] = {{0.9, 0.8, 0.7}, {0.5, 0.6, 0.7}};
        const bool claim_pass[2][3] = {{true, false, true}, {true, true, true}};
        std::vector<Task> tasks;
        for (int a = 0; a < 2; ++a)
            for (int s = 0; s < 3; ++s)
                tasks.push_back(make_task(tasks.size(), fmt::format("t{}-lr{}-seed{}", tasks.size(), lrs[a], s), "fig2",
                                          json{{"lr", lrs[a]}}, s));
        m = make_manifest(tasks);
        save_manifest(t.path, m);
        for (int a = 0; a < 2; ++a)
            for (int s = 0; s < 3; ++s) {
                const Task& task = m.tasks[static_cast<std::size_t>(a * 3 + s)];
                const double acc = final_acc[a][s];
                std::string csv = kHeader;
                // test_acc at epochs 0, 1, 2: 0.1, acc - 0.1, acc; gram_deviation per layer; orig ends at 0.5.
                csv += fmt::format("seed{0}/whiten,0,0,,test_acc,0.1\nseed{0}/whiten,1,10,,test_acc,{1}\n", s, acc - 0.1);
                csv += fmt::format("seed{0}/whiten,1,10,0,gram_deviation,0.001\nseed{0}/whiten,1,10,1,gram_deviation,0.002\n", s);
                csv += fmt::format("seed{0}/whiten,2,20,,test_acc,{1}\nseed{0}/orig,2,20,,test_acc,0.5\n", s, acc);
                const Summary sum = make_summary(
                    "fig2",
                    {{"test acc, Whiten", fmt::format("{:.1f}%", acc * 100), "97.5%", "paper text"},
                     {"train / test acc", fmt::format("{} / {}", acc + 0.05, acc), "—", "not reported"},
                     {"first epoch with test acc ≥ 0.95", s == 0 ? "2" : "not reached", "3", "plot"}},
                    {{"whitening helps", claim_pass[a][s], "numbers"}});
                finish_task(t.path, m, task, csv, sum);
            }
    }
};

struct PathGuard {
    std::string old;
    bool had;
    explicit PathGuard(const std::string& value) {
        const char* p = std::getenv("PATH");
        had = p != nullptr;
        old = p ? p : "";
        ::setenv("PATH", value.c_str(), 1);
    }
    ~PathGuard() {
        if (had) ::setenv("PATH", old.c_str(), 1);
        else ::unsetenv("PATH");
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sweep_report)

BOOST_AUTO_TEST_CASE(seed_components_are_stripped_from_run_names) {
    BOOST_TEST(strip_seed("seed0/whiten") == "whiten");
    BOOST_TEST(strip_seed("w1024/seed3") == "w1024");
    BOOST_TEST(strip_seed("seed2") == "");
    BOOST_TEST(strip_seed("a/seed12/b") == "a/b");
    BOOST_TEST(strip_seed("seeds/x") == "seeds/x");     // not "seed" + digits
    BOOST_TEST(strip_seed("seed/x") == "seed/x");
    BOOST_TEST(strip_seed("seed1x/y") == "seed1x/y");
    BOOST_TEST(strip_seed("p0.5") == "p0.5");
    BOOST_TEST(strip_seed("pretrain") == "pretrain");
    BOOST_TEST(run_seed("w32/seed7") == 7);
    BOOST_TEST(run_seed("seed0/orig") == 0);
    BOOST_TEST(run_seed("wd0.5") == -1);
}

BOOST_AUTO_TEST_CASE(csv_fields_numbers_and_html_text) {
    BOOST_TEST(csv_field("lr=0.1") == "lr=0.1");
    BOOST_TEST(csv_field("lr=0.1, width=64") == "\"lr=0.1, width=64\"");
    BOOST_TEST(csv_field("name=a\"b") == "\"name=a\"\"b\"");
    double v = 0;
    std::string rest;
    BOOST_TEST(leading_number("97.5%", v, &rest));
    BOOST_TEST(v == 97.5);
    BOOST_TEST(rest == "%");
    BOOST_TEST(leading_number("-1e-3 s", v, &rest));
    BOOST_TEST(v == -0.001);
    BOOST_TEST(rest == " s");
    BOOST_TEST(leading_number("\xE2\x88\x92" "2.5", v));  // U+2212 minus
    BOOST_TEST(v == -2.5);
    BOOST_TEST(leading_number(".5", v));
    BOOST_TEST(v == 0.5);
    BOOST_TEST(!leading_number("not reached", v));
    BOOST_TEST(!leading_number("nan", v));
    BOOST_TEST(!leading_number("L0 9.9e-08", v));
    BOOST_TEST(!leading_number("-x", v));
    BOOST_TEST(html_escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

BOOST_AUTO_TEST_CASE(settings_hold_mean_std_min_max_over_seeds) {
    SmallSweep sw;
    const MergeResult r = write_sweep_report(sw.t.path);
    BOOST_TEST(r.merged == 6u);
    BOOST_TEST(r.missing == 0u);
    BOOST_TEST(r.rows == 36u);  // 6 rows × 6 tasks
    const json j = read_json(sw.t.path / "merged" / "settings.json");
    BOOST_REQUIRE_EQUAL(j.at("settings").size(), 2u);
    BOOST_TEST(j.at("settings")[0].at("label") == "lr=0.1");  // first-appearance order
    const json& a = setting_named(j, "lr=0.1");
    BOOST_TEST(a.at("tasks") == json({"t0-lr0.1-seed0", "t1-lr0.1-seed1", "t2-lr0.1-seed2"}));
    BOOST_TEST(a.at("seeds") == json({0, 1, 2}));
    BOOST_TEST(a.at("n") == 3);

    // Final whiten test accuracy of lr=0.1: 0.9, 0.8, 0.7 -> mean 0.8, sample std 0.1.
    const json& acc = series_of(a, "whiten", "test_acc");
    BOOST_TEST(acc.at("n") == 3);
    BOOST_TEST(acc.at("mean").get<double>() == 0.8, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(acc.at("std").get<double>() == 0.1, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(acc.at("min").get<double>() == 0.7, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(acc.at("max").get<double>() == 0.9, boost::test_tools::tolerance(1e-12));
    // orig: 0.5 in every seed -> std 0; per-layer series keep their layer; no "seedN" run survives.
    BOOST_TEST(series_of(a, "orig", "test_acc").at("std").get<double>() == 0.0);
    BOOST_TEST(series_of(a, "whiten", "gram_deviation", "1").at("mean").get<double>() == 0.002,
               boost::test_tools::tolerance(1e-12));
    for (const auto& s : a.at("series")) BOOST_TEST(s.at("run").get<std::string>().find("seed") == std::string::npos);
    BOOST_TEST(a.at("series").size() == 4u);  // whiten test_acc, gram_deviation 0 and 1, orig test_acc

    // lr=0.2: 0.5, 0.6, 0.7 -> mean 0.6, std 0.1.
    const json& b = setting_named(j, "lr=0.2");
    BOOST_TEST(series_of(b, "whiten", "test_acc").at("mean").get<double>() == 0.6, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(series_of(b, "whiten", "test_acc").at("std").get<double>() == 0.1, boost::test_tools::tolerance(1e-12));

    // Summary rows: "90.0%", "80.0%", "70.0%" -> 80 ± 10 with the "%" kept out; the paper's number beside.
    const json& row = a.at("summary")[0];
    BOOST_TEST(row.at("quantity") == "test acc, Whiten");
    BOOST_TEST(row.at("n") == 3);
    BOOST_TEST(row.at("mean").get<double>() == 80.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(row.at("std").get<double>() == 10.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(row.at("min").get<double>() == 70.0);
    BOOST_TEST(row.at("max").get<double>() == 90.0);
    BOOST_TEST(row.at("suffix") == "%");
    BOOST_TEST(row.at("paper") == "97.5%");
    // "0.95 / 0.9", "0.85 / 0.8", "0.75 / 0.7": leading number 0.85 ± 0.1, and both numbers as slots.
    const json& two = a.at("summary")[1];
    BOOST_TEST(two.at("mean").get<double>() == 0.85, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(two.at("pattern") == "{} / {}");
    BOOST_TEST(two.at("slots")[1].at("mean").get<double>() == 0.8, boost::test_tools::tolerance(1e-12));
    // "2", "not reached", "not reached": one numeric value (std 0 with one value), two texts.
    const json& reach = a.at("summary")[2];
    BOOST_TEST(reach.at("n") == 1);
    BOOST_TEST(reach.at("mean").get<double>() == 2.0);
    BOOST_TEST(reach.at("std").get<double>() == 0.0);
    BOOST_TEST(reach.at("not_numeric") == json({"not reached", "not reached"}));
    // Claims: pass, fail, pass -> 2 of 3.
    BOOST_TEST(a.at("claims")[0].at("pass") == 2);
    BOOST_TEST(a.at("claims")[0].at("n") == 3);
    BOOST_TEST(b.at("claims")[0].at("pass") == 3);

    // The report: mean ± std (n), the paper's number, "k/n pass", links to every task's files.
    const std::string html = slurp(r.report_html);
    BOOST_TEST(html.find("80 ± 10% (n=3)") != std::string::npos);
    BOOST_TEST(html.find("<td>97.5%</td>") != std::string::npos);
    BOOST_TEST(html.find("2/3 pass") != std::string::npos);
    BOOST_TEST(html.find("0.85 ± 0.1 / 0.8 ± 0.1 (n=3)") != std::string::npos);
    BOOST_TEST(html.find("href=\"../tasks/t1-lr0.1-seed1/fig2-smoke/summary.json\"") != std::string::npos);
    BOOST_TEST(html.find("href=\"../logs/t1-lr0.1-seed1.log\"") != std::string::npos);
    BOOST_TEST(html.find("href=\"../tasks/t5-lr0.2-seed2/fig2-smoke/\"") != std::string::npos);
    BOOST_TEST(slurp(r.report_md).find("| test acc, Whiten | 80 ± 10% (n=3) |") != std::string::npos);

    // The test_acc plot (fig2's first metric): one curve per (setting, run) with its ±std band data.
    BOOST_TEST(r.plot_failures.empty());
    BOOST_REQUIRE(fs::exists(r.report_html.parent_path() / "plot1.dat"));
    const std::string dat = slurp(r.report_html.parent_path() / "plot1.dat");
    BOOST_TEST(dat.find("# block: lr=0.1 · whiten") != std::string::npos);
    const auto block = dat_block(dat, 0);  // lr=0.1 · whiten: epochs 0, 1, 2
    BOOST_REQUIRE_EQUAL(block.size(), 3u);
    BOOST_TEST(block[2][0] == 2.0);
    BOOST_TEST(block[2][1] == 0.8, boost::test_tools::tolerance(1e-7));  // mean
    BOOST_TEST(block[2][2] == 0.7, boost::test_tools::tolerance(1e-7));  // mean − std
    BOOST_TEST(block[2][3] == 0.9, boost::test_tools::tolerance(1e-7));  // mean + std
    BOOST_TEST(block[2][4] == 3.0);                                      // n
    BOOST_TEST(fs::exists(r.report_html.parent_path() / "plot1.png"));
    BOOST_TEST(slurp(r.report_html.parent_path() / "plot1.gp").find("filledcurves") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(merged_metrics_are_the_task_rows_byte_for_byte_and_missing_tasks_are_listed) {
    TempDir t;
    const json setting = {{"lr", 0.1}, {"width", 64}};  // label "lr=0.1, width=64": quoted in the CSV
    Manifest m = make_manifest({make_task(0, "t0-a", "fig8", setting, 0), make_task(1, "t1-b", "fig8", setting, -1),
                                make_task(2, "t2-c", "fig8", setting, 2)});
    save_manifest(t.path, m);
    const Summary s = make_summary("fig8", {{"q", "1", "—", "x"}}, {});
    finish_task(t.path, m, m.tasks[0], kHeader + "seed0/w64,0,0,,train_mse,0.10000000000000001\nseed0/w64,1,10,,train_mse,nan\n", s);
    // Task 1 keeps the preset's seeds: its seed column comes from the run; no final newline, a blank line.
    finish_task(t.path, m, m.tasks[1], kHeader + "seed3/w64,2,20,1,train_mse,1e-05\n\npretrain,0,0,,x,2", s);
    // Task 2 started and failed: it is listed, not merged. Its run folder holds rows that must not appear.
    put(task_run_folder(t.path, m, m.tasks[2]) / "metrics.csv", kHeader + "seed2/w64,0,0,,train_mse,7\n");
    put(attempt_path(t.path, m.tasks[2]),
        R"({"started":"2026-01-01T00:00:00Z","ended":"2026-01-01T00:01:00Z","exit":1,"error":"gramtape: error: boom","pid":1,"host":"h","job":"","number":1})");

    const MergeResult r = write_sweep_report(t.path);
    BOOST_TEST(r.merged == 2u);
    BOOST_TEST(r.missing == 1u);
    BOOST_REQUIRE_EQUAL(r.missing_tasks.size(), 1u);
    BOOST_TEST(r.missing_tasks[0].name == "t2-c");
    BOOST_TEST(r.missing_tasks[0].state.find("failed") != std::string::npos);
    BOOST_TEST(r.missing_tasks[0].state.find("boom") != std::string::npos);
    BOOST_TEST(slurp(t.path / "merged" / "metrics.csv") ==
               "task,setting,seed,run,epoch,step,layer,metric,value\n"
               "t0-a,\"lr=0.1, width=64\",0,seed0/w64,0,0,,train_mse,0.10000000000000001\n"
               "t0-a,\"lr=0.1, width=64\",0,seed0/w64,1,10,,train_mse,nan\n"
               "t1-b,\"lr=0.1, width=64\",3,seed3/w64,2,20,1,train_mse,1e-05\n"
               "t1-b,\"lr=0.1, width=64\",,pretrain,0,0,,x,2\n");
    const json j = read_json(t.path / "merged" / "settings.json");
    BOOST_TEST(j.at("missing") == json({"t2-c"}));
    BOOST_TEST(j.at("merged") == 2);
    const json& st = setting_named(j, "lr=0.1, width=64");
    BOOST_TEST(st.at("seeds") == json({0, -1}));
    // The w64 train_mse series: finals nan (task 0) and none other of layer "": one non-finite, n 0.
    const json& mse = series_of(st, "w64", "train_mse");
    BOOST_TEST(mse.at("n") == 0);
    BOOST_TEST(mse.at("nonfinite") == 1);
    BOOST_TEST(mse.at("mean").is_null());
    const std::string html = slurp(r.report_html);
    const std::size_t not_merged = html.find("<h2>Not merged</h2>");
    BOOST_REQUIRE(not_merged != std::string::npos);
    BOOST_TEST(html.find("t2-c", not_merged) != std::string::npos);
    BOOST_TEST(html.find("boom", not_merged) != std::string::npos);
    BOOST_TEST(html.find("t2-c") == html.find("t2-c", not_merged));  // not among the merged tasks
}

BOOST_AUTO_TEST_CASE(hostile_setting_values_are_escaped_everywhere) {
    TempDir t;
    const std::string evil = "<script>alert('x')</script> & \"q\"";
    Manifest m = make_manifest({make_task(0, "t0", "fig2", json{{"act", evil}}, 0), make_task(1, "t1", "fig2", json{{"act", evil}}, 1)});
    m.request = {{"figure", "fig2"}, {"grid", {{"act", {evil}}}}};
    save_manifest(t.path, m);
    for (const Task& task : m.tasks)
        finish_task(t.path, m, task, kHeader + fmt::format("seed{0}/whiten,1,1,,test_acc,0.5\nseed{0}/whiten,2,2,,test_acc,0.{0}6\n", task.seed),
                    make_summary("fig2", {{"<b>q</b>", "1 <i>", "<p>", "x"}}, {{"<img src=x onerror=y>", true, ""}}));
    const MergeResult r = write_sweep_report(t.path);
    const std::string html = slurp(r.report_html), md = slurp(r.report_md);
    for (const std::string& page : {html, md}) {
        BOOST_TEST(page.find("<script") == std::string::npos);
        BOOST_TEST(page.find("<img src=x") == std::string::npos);
        BOOST_TEST(page.find("<b>q") == std::string::npos);
        BOOST_TEST(page.find("&lt;script&gt;") != std::string::npos);
    }
    BOOST_TEST(html.find("alert(&#39;x&#39;)") != std::string::npos);
    BOOST_TEST(r.plot_failures.empty());  // the gnuplot title quotes it as well
    // The CSV quotes the label for its quotes ("" inside).
    BOOST_TEST(slurp(r.metrics_csv).find(",\"act=<script>alert('x')</script> & \"\"q\"\"\",0,seed0/whiten,") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_second_run_writes_the_same_bytes) {
    SmallSweep sw;
    write_sweep_report(sw.t.path);
    const fs::path d = sw.t.path;
    const std::string csv = slurp(d / "merged" / "metrics.csv"), js = slurp(d / "merged" / "settings.json"),
                      html = slurp(d / "report" / "index.html"), md = slurp(d / "report" / "README.md");
    write_sweep_report(sw.t.path);
    BOOST_TEST(slurp(d / "merged" / "metrics.csv") == csv);
    BOOST_TEST(slurp(d / "merged" / "settings.json") == js);
    BOOST_TEST(slurp(d / "report" / "index.html") == html);
    BOOST_TEST(slurp(d / "report" / "README.md") == md);
    // Nothing of where or when: no sweep path, no host name.
    BOOST_TEST(csv.find(d.string()) == std::string::npos);
    BOOST_TEST(js.find(d.string()) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_malformed_task_file_names_file_and_line_and_keeps_the_old_merge) {
    SmallSweep sw;
    write_sweep_report(sw.t.path);
    const fs::path merged = sw.t.path / "merged";
    const std::string csv = slurp(merged / "metrics.csv"), js = slurp(merged / "settings.json");
    const fs::path bad = task_run_folder(sw.t.path, sw.m, sw.m.tasks[4]) / "metrics.csv";
    put(bad, kHeader + "seed1/whiten,0,0,,test_acc,0.1\nseed1/whiten,one,10,,test_acc,0.2\n");
    BOOST_CHECK_EXCEPTION(write_sweep_report(sw.t.path), gt::IoError, [&](const gt::IoError& e) {
        const std::string w = e.what();
        BOOST_TEST_MESSAGE(w);
        return w.find(bad.string()) != std::string::npos && w.find("line 3") != std::string::npos;
    });
    BOOST_TEST(slurp(merged / "metrics.csv") == csv);
    BOOST_TEST(slurp(merged / "settings.json") == js);
    std::set<std::string> files;
    for (const auto& e : fs::directory_iterator(merged)) files.insert(e.path().filename().string());
    BOOST_TEST(files == (std::set<std::string>{"metrics.csv", "settings.json"}));  // no temporary left
    // A too-short row is refused the same way.
    put(bad, kHeader + "seed1/whiten,0,0,,test_acc\n");
    BOOST_CHECK_EXCEPTION(write_sweep_report(sw.t.path), gt::IoError, [&](const gt::IoError& e) {
        return std::string(e.what()).find("line 2") != std::string::npos;
    });
    BOOST_TEST(slurp(merged / "metrics.csv") == csv);
}

BOOST_AUTO_TEST_CASE(a_plot_gnuplot_cannot_draw_is_named_on_the_page) {
    SmallSweep sw;
    TempDir empty;  // a PATH without gnuplot
    MergeResult r;
    {
        PathGuard guard(empty.path.string());
        r = write_sweep_report(sw.t.path);
    }
    BOOST_TEST(r.merged == 6u);
    BOOST_TEST(!r.plot_failures.empty());
    BOOST_TEST(fs::exists(r.metrics_csv));
    const std::string html = slurp(r.report_html);
    BOOST_TEST(html.find("could not be drawn") != std::string::npos);
    BOOST_TEST(html.find("80 ± 10% (n=3)") != std::string::npos);  // the tables are all there
    BOOST_TEST(!fs::exists(r.report_html.parent_path() / "plot1.png"));
}

// 1,000 finished tasks (200 settings × 5 seeds, ~500 rows each): the merge must take them. The time
// and memory are reported, not asserted (machines differ).
BOOST_AUTO_TEST_CASE(a_thousand_task_sweep_merges) {
    TempDir t;
    std::vector<Task> tasks;
    for (int lr = 0; lr < 10; ++lr)
        for (int w = 0; w < 20; ++w)
            for (int s = 0; s < 5; ++s)
                tasks.push_back(make_task(tasks.size(), fmt::format("t{:04}-lr{}-w{}-seed{}", tasks.size(), lr, w, s), "fig2",
                                          json{{"lr", 0.01 * (lr + 1)}, {"width", 32 * (w + 1)}}, s));
    Manifest m = make_manifest(tasks);
    save_manifest(t.path, m);
    std::size_t expected_rows = 0;
    for (const Task& task : m.tasks) {
        std::string csv = kHeader;
        for (const char* run : {"whiten", "orig"})
            for (int e = 0; e <= 50; ++e) {
                const double x = 0.5 + 0.4 * e / 50.0 + 0.001 * static_cast<double>(task.index % 7);
                csv += fmt::format("seed{0}/{1},{2},{3},,train_loss,{4:.17g}\nseed{0}/{1},{2},{3},,test_acc,{5:.17g}\n",
                                   task.seed, run, e, e * 938, 2.3 * (1 - x), x);
                for (int l = 0; l < 3; ++l)
                    csv += fmt::format("seed{0}/{1},{2},{3},{4},gram_deviation,{5:.17g}\n", task.seed, run, e, e * 938, l,
                                       1e-7 * (l + 1) * x);
                expected_rows += 5;
            }
        finish_task(t.path, m, task, csv,
                    make_summary("fig2", {{"test acc, Whiten", fmt::format("{:.4f}", 0.9 + 0.001 * (task.index % 7)), "0.98", "p"}},
                                 {{"whitening helps", task.index % 3 != 0, ""}}));
    }
    struct rusage before {};
    ::getrusage(RUSAGE_SELF, &before);
    const auto t0 = std::chrono::steady_clock::now();
    const MergeResult r = write_sweep_report(t.path);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    struct rusage after {};
    ::getrusage(RUSAGE_SELF, &after);
    BOOST_TEST(r.merged == 1000u);
    BOOST_TEST(r.rows == expected_rows);
    BOOST_TEST(gtt::count_lines(slurp(r.metrics_csv)) == expected_rows + 1);
    const json j = read_json(r.settings_json);
    BOOST_TEST(j.at("settings").size() == 200u);
    BOOST_TEST(j.at("settings")[0].at("n") == 5);
    BOOST_TEST_MESSAGE(fmt::format("sweep report of 1,000 tasks ({} rows, {:.1f} MB merged): {:.2f} s wall; peak RSS {} MB "
                                   "before, {} MB after the merge",
                                   r.rows, fs::file_size(r.metrics_csv) / 1e6, secs, before.ru_maxrss / 1024,
                                   after.ru_maxrss / 1024));
    if (const char* keep = std::getenv("GT_SWEEP_BENCH_KEEP")) {  // for measuring `gramtape sweep report` itself
        std::error_code ec;
        fs::remove_all(keep, ec);
        fs::copy(t.path, keep, fs::copy_options::recursive);
    }
}

BOOST_AUTO_TEST_SUITE_END()
