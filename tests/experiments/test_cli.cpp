// End to end: the real `gramtape` binary on every figure's smoke preset, bad input, resume and the report.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>

#include <boost/test/unit_test.hpp>
#include <xtensor/xnpy.hpp>

#include "autodiff/cpu_features.hpp"
#include "experiments/figure.hpp"
#include "experiments/metrics.hpp"
#include "helpers.hpp"
#include "platform/files.hpp"

using namespace gt;
using namespace gt::experiments;
using gtt::run;
using gtt::TempDir;

namespace {

/// One runs root shared by the smoke tests and the report test.
const gtt::RunsRoot runs;

bool is_png(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    char m[8] = {0};
    in.read(m, 8);
    return in && static_cast<unsigned char>(m[0]) == 0x89 && std::string(m + 1, 3) == "PNG";
}

/// Checks the files every run folder must have and returns its parsed metrics and summary.
std::pair<std::vector<MetricRow>, Summary> check_folder(const fs::path& f, const std::string& fig) {
    BOOST_REQUIRE_MESSAGE(fs::is_directory(f), f.string());
    const json cfg = read_json(f / "config.json");
    BOOST_TEST(cfg.at("figure").get<std::string>() == fig);
    BOOST_TEST(cfg.at("preset").get<std::string>() == "smoke");
    const json meta = read_json(f / "meta.json");
    for (const char* k : {"git_commit", "versions", "seeds", "dtype", "threads", "start", "end", "seconds"})
        BOOST_TEST(meta.contains(k), k);
    BOOST_TEST(meta.at("seconds").get<double>() > 0.0);
    // The CLI picks OpenBLAS's kernel by CPU features when OpenBLAS 0.3.21 would fall back to one of
    // its generic pre-AVX2 kernels on a CPU it does not know; a CPU it knows keeps its own kernel (an
    // AVX2 AMD EPYC reports "Zen"). meta.json records the kernel that ran: never a generic one on an
    // AVX2+FMA CPU.
    if (!std::getenv("OPENBLAS_CORETYPE")) {
        const std::string ob = meta.at("versions").at("openblas").get<std::string>();
        if (gt::cpu_features().avx2 && gt::cpu_features().fma)
            for (const char* generic : {" Prescott ", " Core2 ", " Penryn ", " Dunnington ", " Nehalem ", " Sandybridge "})
                BOOST_TEST((ob.find(generic) == std::string::npos), "OpenBLAS ran a generic kernel: " << ob);
    }
    const auto rows = MetricsLog::parse(read_text(f / "metrics.csv"), (f / "metrics.csv").string());
    BOOST_TEST(!rows.empty());
    const Summary s = Summary::from_json(read_json(f / "summary.json"), "summary.json");
    BOOST_TEST(s.figure == fig);
    // CPU time of the run (all threads): positive, and not more than the threads could have used.
    BOOST_TEST(s.cpu_seconds > 0.0);
    BOOST_TEST(s.cpu_seconds <= (s.seconds + 1.0) * std::max(1, meta.at("threads").get<int>()) + 1.0);
    BOOST_TEST(!s.rows.empty());
    BOOST_TEST(!s.claims.empty());
    for (const auto& img : s.images) {
        BOOST_TEST(is_png(f / img), img);
        const std::string gp = fs::path(img).stem().string() + ".gp";
        BOOST_TEST(read_text(f / gp).find("set output outfile") != std::string::npos);
    }
    bool npy = false;
    for (const auto& e : fs::directory_iterator(f))
        if (e.path().extension() == ".npy") {
            std::size_t n = 0;
            try {
                n = xt::load_npy<double>(e.path().string()).size();
            } catch (const std::runtime_error&) {
                n = xt::load_npy<float>(e.path().string()).size();  // float runs keep float arrays
            }
            BOOST_TEST(n > 0u, e.path().string());
            npy = true;
        }
    BOOST_TEST(npy);
    return {rows, s};
}

std::vector<double> values(const std::vector<MetricRow>& rows, const std::string& metric, const std::string& layer = "") {
    std::vector<double> v;
    for (const auto& r : rows)
        if (r.metric == metric && r.layer == layer) v.push_back(r.value);
    return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(list_and_help) {
    const auto r = run("list --data-dir '" + gtt::data_dir() + "'");
    BOOST_TEST(r.status == 0);
    for (const char* id : {"fig1", "fig2", "fig4", "fig7", "fig8", "fig9"}) BOOST_TEST(r.output.find(id) != std::string::npos, id);
    BOOST_TEST(r.output.find("mnist") != std::string::npos);
    const auto h = run("fig2 --help");
    BOOST_TEST(h.status == 0);
    for (const char* s : {"--momentum", "0.95", "--preset", "quick", "--dtype", "--threads", "--out", "--seeds"})
        BOOST_TEST(h.output.find(s) != std::string::npos, s);
}

/// The --dtype line of `gramtape <fig> --help`.
std::string dtype_help(const std::string& fig) {
    const auto h = run(fig + " --help");
    BOOST_TEST(h.status == 0);
    const std::size_t at = h.output.find("--dtype");
    BOOST_REQUIRE(at != std::string::npos);
    return h.output.substr(at, h.output.find("--config", at) - at);
}

BOOST_AUTO_TEST_CASE(help_shows_each_figures_real_default_dtype) {
    for (const Figure* fig : figures()) {
        const std::string id = fig->info().id;
        const json d = fig->defaults("paper", "");
        const std::string want = d.contains("dtype") ? d.at("dtype").get<std::string>() : "float";
        const std::string other = want == "double" ? "float" : "double";
        const std::string line = dtype_help(id);
        BOOST_TEST(line.find("=" + want) != std::string::npos, id << ": " << line);  // CLI11's "TEXT:{…}=default"
        BOOST_TEST(line.find("=" + other) == std::string::npos, id << ": " << line);
    }
    // fig13 runs in float64 like the paper's grokking code; fig2 in float32.
    BOOST_TEST(dtype_help("fig13").find("=double") != std::string::npos);
    BOOST_TEST(dtype_help("fig2").find("=float") != std::string::npos);
}

// Every invalid setting is refused with a line naming it, the value found and what is valid, before
// any run folder exists (or the just-created one is removed).
BOOST_AUTO_TEST_CASE(invalid_settings_name_the_value_and_leave_no_folder) {
    TempDir t;
    const fs::path out = t.path / "runs";
    const std::string common = "--preset smoke --threads 1 --data-dir '" + gtt::data_dir() + "' --out '" + out.string() + "'";
    struct Case {
        std::string fig, config, flags;
        std::vector<std::string> must_name;
    };
    const std::vector<Case> cases = {
        {"fig2", "", "--epochs 0", {"--epochs", "0", "[1, 100000]"}},
        {"fig2", "", "--lr -1", {"--lr", "-1", "(0, 1e4)"}},
        {"fig2", "", "--batch-size 0", {"--batch-size", "0", "[1, 1000000]"}},
        {"fig2", "", "--dataset cifar10", {"--dataset", "cifar10", "available"}},
        {"fig2", R"({"epochs": 0})", "", {"'epochs'", "0", "[1, 100000]"}},
        {"fig2", R"({"lr": -1})", "", {"'lr'", "-1", "(0, 1e4)"}},
        {"fig2", R"({"batch_size": 0})", "", {"'batch_size'", "0", "[1, 1000000]"}},
        {"fig2", R"({"seeds": []})", "", {"'seeds'", "[]", "1 to 1000 seeds"}},
        {"fig2", R"({"seeds": [-1]})", "", {"'seeds'", "-1", "integers >= 0"}},
        {"fig2", R"({"epochs": 1.5})", "", {"'epochs'", "1.5", "an integer"}},
        {"fig2", R"({"lr": "fast"})", "", {"'lr'", "\"fast\"", "a number"}},
        {"fig2", R"({"learning_rate": 0.1})", "", {"learning_rate", "its settings"}},
        {"fig5", R"({"betas": [5000]})", "", {"'betas'", "5000", "[0, 1000]"}},
        {"fig5", R"({"betas": ["x"]})", "", {"'betas'", "\"x\"", "numbers"}},
        {"fig5", R"({"class_left": 12})", "", {"'class_left'", "12", "[0, 9]"}},
        {"fig13", R"({"weight_decays": [-1]})", "", {"'weight_decays'", "-1", "[0, 100)"}},
        {"fig13", R"({"num_hidden": 2})", "", {"'num_hidden'", "2", "at least 3"}},
        {"fig1", R"({"frames": [0, 100]})", "", {"'frames'", "100", "0 to 99"}},
        {"fig12", R"({"ps": [2.0]})", "", {"'ps'", "2", "[0, 1]"}},   // refused inside the run
        {"fig8", R"({"metric_every": 0})", "", {"metric_every", ">= 1"}},  // refused inside the run
    };
    for (const auto& c : cases) {
        std::string args = c.fig + " " + common + " " + c.flags;
        if (!c.config.empty()) {
            write_text_atomic(t.path / "c.json", c.config);
            args += " --config '" + (t.path / "c.json").string() + "'";
        }
        const auto r = run(args);
        BOOST_TEST(r.status == 2, args << " → status " << r.status << ": " << r.output);
        BOOST_TEST(gtt::count_lines(r.output) == 1u, args << " → " << r.output);
        for (const auto& s : c.must_name) BOOST_TEST(r.output.find(s) != std::string::npos, args << " → " << r.output << " lacks " << s);
        BOOST_TEST(!fs::exists(out), args << " left " << out.string());
        fs::remove_all(out);
    }
}

BOOST_AUTO_TEST_CASE(bad_input_is_one_clear_line) {
    TempDir t;
    const std::string out = "--out '" + t.path.string() + "' --data-dir '" + gtt::data_dir() + "'";
    struct Case {
        std::string args, must_name;
    };
    const std::vector<Case> cases = {
        {"fig99", "fig99"},
        {"fig2 --preset huge " + out, "--preset"},
        {"fig2 --dtype half " + out, "--dtype"},
        {"fig2 --lr -1 --preset smoke " + out, "--lr"},
        {"fig2 --momentum 1.5 --preset smoke " + out, "--momentum"},
        {"fig2 --seeds 1,x --preset smoke " + out, "--seeds"},
        {"fig2 --epochs 0 --preset smoke " + out, "--epochs"},
        {"fig2 --dataset bogus --preset smoke " + out, "mnist"},
        {"fig2 --dataset cifar10 --preset smoke " + out, "cifar10"},
        {"fig8 --momentum 0.9 --preset smoke " + out, "--momentum"},
        {"fig1 --dataset mnist --preset smoke " + out, "--dataset"},
        {"fig1 --preset smoke --out /proc/gramtape-cannot-write", "--out"},
        {"fig1 --preset smoke --config /nonexistent.json " + out, "--config"},
        {"reproduce --only fig1,figX " + out, "figX"},
    };
    for (const auto& c : cases) {
        const auto r = run(c.args);
        BOOST_TEST(r.status == 2, c.args << " → status " << r.status << ": " << r.output);
        BOOST_TEST(gtt::count_lines(r.output) == 1u, c.args << " → " << r.output);
        BOOST_TEST(r.output.find(c.must_name) != std::string::npos, c.args << " → " << r.output);
    }
    // A --config key the figure does not have is named.
    write_text_atomic(t.path / "bad.json", R"({"widths": [8]})");
    const auto r = run("fig1 --preset smoke --config '" + (t.path / "bad.json").string() + "' " + out);
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.output.find("widths") != std::string::npos, r.output);
    BOOST_TEST(!fs::exists(t.path / "fig1-smoke" / "summary.json"));
}

BOOST_AUTO_TEST_CASE(fig1_smoke) {
    const auto r = run("fig1 --preset smoke " + runs.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = check_folder(runs.path / "fig1-smoke", "fig1");
    const auto tl = values(rows, "tl_virtual_input");
    BOOST_REQUIRE_EQUAL(tl.size(), 6u);
    for (double v : tl) BOOST_TEST(v <= 1.0);
    BOOST_TEST(tl.back() > tl.front() + 0.3);  // the spiral unrolls into a line ordered by t
    BOOST_TEST(fs::exists(runs.path / "fig1-smoke" / "virtual_inputs.npy"));
}

BOOST_AUTO_TEST_CASE(fig2_smoke) {
    const auto r = run("fig2 --preset smoke " + runs.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = check_folder(runs.path / "fig2-smoke-mnist", "fig2");
    const auto acc = values(rows, "test_acc");
    BOOST_REQUIRE_EQUAL(acc.size(), 4u);  // init + 1 epoch, two methods
    for (double a : acc) BOOST_TEST((a >= 0.0 && a <= 1.0));
    BOOST_TEST(acc[1] > 0.2);  // 32 steps on 2000 images already beat chance (0.1) clearly
    for (double d : values(rows, "gram_deviation", "0")) BOOST_TEST((d >= 0.0 && d < 0.1));
}

BOOST_AUTO_TEST_CASE(fig4_and_fig9_smoke) {
    for (const char* fig : {"fig4", "fig9"}) {
        const auto r = run(std::string(fig) + " --preset smoke " + runs.options());
        BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
        const auto [rows, s] = check_folder(runs.path / (std::string(fig) + "-smoke-mnist"), fig);
        for (int l = 1; l <= 4; ++l) {
            const auto tl = values(rows, "tl", std::to_string(l));
            BOOST_REQUIRE_EQUAL(tl.size(), 2u);
            for (double v : tl) BOOST_TEST((v > -1.0 && v <= 1.0));
            for (double v : values(rows, "surrogate", std::to_string(l))) BOOST_TEST(v > 0.0);
        }
    }
}

BOOST_AUTO_TEST_CASE(fig7_smoke) {
    const auto r = run("fig7 --preset smoke " + runs.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = check_folder(runs.path / "fig7-smoke-mnist", "fig7");
    const auto rho = values(rows, "rho_vcs_gram_change", "0");
    BOOST_REQUIRE(!rho.empty());
    BOOST_TEST(rho.back() > 0.9);  // Theorem 1 summed over steps: the VCS follows the Gram change
    const auto g = xt::load_npy<float>((runs.path / "fig7-smoke-mnist" / "gram_change.npy").string());
    BOOST_TEST(g.shape()[0] == 784u);
}

BOOST_AUTO_TEST_CASE(fig8_smoke) {
    const auto r = run("fig8 --preset smoke " + runs.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = check_folder(runs.path / "fig8-smoke", "fig8");
    for (const char* m : {"y_minus_ols", "yhat_minus_ols", "y_minus_yhat", "train_mse"})
        for (double v : values(rows, m)) BOOST_TEST((std::isfinite(v) && v >= 0.0));
    // The triangle inequality the figure decomposes: ‖y − ŷ‖ ≤ ‖ŷ − y_OLS‖ + ‖y_OLS − y‖.
    const auto a = values(rows, "y_minus_ols"), b = values(rows, "yhat_minus_ols"), c = values(rows, "y_minus_yhat");
    for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST(c[i] <= a[i] + b[i] + 1e-3);
    // Two draws (the smoke preset's seeds 0 and 1): per-draw curves in the .npy, different data per draw,
    // and the plotted .dat is their mean.
    const auto n32 = xt::load_npy<double>((runs.path / "fig8-smoke" / "norms_w32.npy").string());
    BOOST_REQUIRE(n32.dimension() == 3u);
    BOOST_TEST(n32.shape()[0] == 2u);
    BOOST_TEST(n32.shape()[2] == 5u);
    const std::size_t last = n32.shape()[1] - 1;
    BOOST_TEST(n32(0, last, 0) == 100.0);
    BOOST_TEST(n32(0, last, 4) != n32(1, last, 4));
    const std::string dat = read_text(runs.path / "fig8-smoke" / "fig8_norms.dat");
    BOOST_TEST(dat.find("w256") != std::string::npos);
    BOOST_TEST(s.to_json().dump().find("mean over 2 draws") != std::string::npos, s.to_json().dump());
}

BOOST_AUTO_TEST_CASE(rerun_resumes_or_refuses_and_never_overwrites) {
    const fs::path sum = runs.path / "fig1-smoke" / "summary.json";
    BOOST_REQUIRE(fs::exists(sum));
    const std::string before = read_text(sum);
    const auto again = run("fig1 --preset smoke " + runs.options());
    BOOST_TEST(again.status == 0);
    BOOST_TEST(again.output.find("already complete") != std::string::npos, again.output);
    const auto other = run("fig1 --preset smoke --lr 0.1 " + runs.options());
    BOOST_TEST(other.status == 2);
    BOOST_TEST(other.output.find("lr") != std::string::npos, other.output);
    BOOST_TEST(read_text(sum) == before);
    BOOST_TEST(read_json(runs.path / "fig1-smoke" / "config.json").at("lr").get<double>() == 0.05);
}

BOOST_AUTO_TEST_CASE(interrupted_run_resumes_to_the_same_numbers) {
    TempDir a, b;
    const std::string base = "fig4 --preset smoke --epochs 2 --threads 1 --data-dir '" + gtt::data_dir() + "' --out ";
    const auto full = run(base + "'" + a.path.string() + "'");
    BOOST_REQUIRE_MESSAGE(full.status == 0, full.output);
    const auto cut = run(base + "'" + b.path.string() + "'", "GT_INTERRUPT_AFTER_EPOCH=1");
    BOOST_TEST(cut.status != 0);
    BOOST_TEST(!fs::exists(b.path / "fig4-smoke-mnist" / "summary.json"));
    const auto resumed = run(base + "'" + b.path.string() + "'");
    BOOST_REQUIRE_MESSAGE(resumed.status == 0, resumed.output);
    BOOST_TEST(resumed.output.find("resuming") != std::string::npos, resumed.output);
    // Same seed, same threads: the resumed run ends with exactly the uninterrupted run's metrics.
    BOOST_TEST(read_text(a.path / "fig4-smoke-mnist" / "metrics.csv") == read_text(b.path / "fig4-smoke-mnist" / "metrics.csv"));
}

BOOST_AUTO_TEST_CASE(report_links_every_figure) {
    const fs::path rep = runs.path / "report";
    const auto r = run("report --runs '" + runs.path.string() + "' --report-dir '" + rep.string() + "'");
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string html = read_text(rep / "index.html");
    const std::string md = read_text(rep / "README.md");
    for (const char* id : {"fig1", "fig2", "fig4", "fig7", "fig8", "fig9"}) {
        BOOST_TEST(html.find(std::string(id) + " — ") != std::string::npos, id);
        BOOST_TEST(md.find(std::string(id) + " — ") != std::string::npos, id);
    }
    BOOST_TEST(html.find("0.9854") != std::string::npos);  // the paper's number sits beside ours
    BOOST_TEST(html.find("read from the paper") != std::string::npos);
    const std::regex img("<img src=\"([^\"]+)\"");
    std::size_t n = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator(); ++it, ++n)
        BOOST_TEST(is_png(rep / (*it)[1].str()), (*it)[1].str());
    BOOST_TEST(n >= 6u);
}

BOOST_AUTO_TEST_CASE(verify_prints_a_table) {
    const auto r = run("verify --depth 3 --width 16 --batch 8");
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(gtt::count_lines(r.output) >= 4u);
    const auto bad = run("verify --activation swish");
    BOOST_TEST(bad.status == 2);
    BOOST_TEST(bad.output.find("--activation") != std::string::npos, bad.output);
}

BOOST_AUTO_TEST_SUITE_END()
