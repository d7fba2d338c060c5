// Run folders, atomic output, metrics.csv and the summary format, tested without training anything.
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include <boost/test/unit_test.hpp>
#include <sys/stat.h>

#include "experiments/figure.hpp"
#include "experiments/guarded_metrics.hpp"
#include "platform/files.hpp"
#include "experiments/metrics.hpp"
#include "experiments/plot.hpp"
#include "experiments/run_folder.hpp"
#include "helpers.hpp"
#include "nn/training_loop.hpp"
#include "platform/durable.hpp"

using namespace gt;
using namespace gt::experiments;
using gtt::TempDir;

BOOST_AUTO_TEST_SUITE(infrastructure)

BOOST_AUTO_TEST_CASE(metrics_round_trip_and_malformed_files) {
    TempDir t;
    MetricsLog log(t.path / "metrics.csv");
    log.add("seed0/whiten", 0, 0, "", "test_acc", 0.125);
    log.add("seed0/whiten", 1, 938, 2, "gram_deviation", 3.5e-7);
    log.add("seed1/orig", 1, 938, "", "test_acc", 0.97);
    log.flush();
    MetricsLog back(t.path / "metrics.csv");
    back.load();
    BOOST_REQUIRE_EQUAL(back.rows().size(), 3u);
    BOOST_TEST(back.rows()[1].layer == "2");
    BOOST_TEST(back.rows()[1].step == 938);
    BOOST_TEST(back.rows()[1].value == 3.5e-7, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(back.last("seed1/orig", "test_acc") == 0.97, boost::test_tools::tolerance(1e-9));
    back.drop_after("seed0/whiten", 0);
    BOOST_TEST(back.rows().size() == 2u);
    BOOST_CHECK_THROW(MetricsLog::parse("a,b\n", "x.csv"), gt::IoError);
    BOOST_CHECK_THROW(MetricsLog::parse("run,epoch,step,layer,metric,value\nr,1,2,,m\n", "x.csv"), gt::IoError);
    BOOST_CHECK_THROW(MetricsLog::parse("run,epoch,step,layer,metric,value\nr,one,2,,m,0.5\n", "x.csv"), gt::IoError);
    BOOST_CHECK_THROW(log.add("a,b", 0, 0, "", "m", 1.0), gt::ValueError);
}

BOOST_AUTO_TEST_CASE(atomic_write_leaves_no_partial_file) {
    TempDir t;
    write_text_atomic(t.path / "a.txt", "first");
    write_text_atomic(t.path / "a.txt", "second");
    BOOST_TEST(read_text(t.path / "a.txt") == "second");
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(t.path)) files += e.is_regular_file();
    BOOST_TEST(files == 1u);  // no temporary left behind
    BOOST_CHECK_THROW(write_text_atomic(t.path / "missing" / "a.txt", "x"), gt::IoError);
    BOOST_CHECK_THROW(read_json(t.path / "a.txt"), gt::IoError);
}

namespace {
std::vector<std::string> g_synced;  // "<path of the fd>|<does the final file exist yet>"
fs::path g_final;

int recording_fsync(int fd) {
    char buf[PATH_MAX] = {0};
    const ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    g_synced.push_back(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) + "|" +
                       (fs::exists(g_final) ? "final" : "no final"));
    return ::fsync(fd);
}
int failing_fsync(int) {
    errno = EIO;
    return -1;
}
std::size_t regular_files(const fs::path& p) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(p)) n += e.is_regular_file();
    return n;
}
}  // namespace

BOOST_AUTO_TEST_CASE(atomic_write_syncs_the_data_before_the_rename_and_the_folder_after) {
    TempDir t;
    const fs::path dir = fs::canonical(t.path);
    g_final = dir / "a.json";
    g_synced.clear();
    gt::set_fsync_hook(recording_fsync);
    write_json_atomic(g_final, json{{"k", std::string(100000, 'x')}});
    gt::set_fsync_hook(nullptr);
    BOOST_REQUIRE_EQUAL(g_synced.size(), 2u);
    const std::string tmp = g_synced[0].substr(0, g_synced[0].find('|'));
    BOOST_TEST(fs::path(tmp).parent_path() == dir);
    BOOST_TEST(tmp.find(".a.json.tmp") != std::string::npos, tmp);
    BOOST_TEST(g_synced[0].substr(g_synced[0].find('|')) == "|no final");  // data synced before the rename
    BOOST_TEST(g_synced[1] == dir.string() + "|final");                     // folder synced after it
    BOOST_TEST(read_json(g_final).at("k").get<std::string>().size() == 100000u);  // complete
    BOOST_TEST(regular_files(dir) == 1u);                                          // no temporary left

    // A PNG made by gnuplot into a temporary goes through the same sync-then-rename.
    DatFile d({"x", "y"});
    d.row({0.0, 1.0});
    d.row({1.0, 2.0});
    d.save(dir / "p.dat");
    g_final = dir / "p.png";
    g_synced.clear();
    gt::set_fsync_hook(recording_fsync);
    render(dir, {"p.png", "p.gp", 200, 150, "plot \"p.dat\" using 1:2 with lines"});
    gt::set_fsync_hook(nullptr);
    bool png_synced_before = false;
    for (const auto& e : g_synced)
        png_synced_before |= e.find("p.png.tmp") != std::string::npos && e.find("|no final") != std::string::npos;
    BOOST_TEST(png_synced_before);
    BOOST_TEST(fs::exists(dir / "p.png"));
}

BOOST_AUTO_TEST_CASE(atomic_write_reports_a_failed_sync_and_keeps_the_old_file) {
    TempDir t;
    write_text_atomic(t.path / "a.txt", "old");
    gt::set_fsync_hook(failing_fsync);
    std::string what;
    try {
        write_text_atomic(t.path / "a.txt", "new");
    } catch (const gt::IoError& e) {
        what = e.what();
    }
    gt::set_fsync_hook(nullptr);
    BOOST_TEST(what.find((t.path / "a.txt").string()) != std::string::npos, what);
    BOOST_TEST(what.find(std::strerror(EIO)) != std::string::npos, what);
    BOOST_TEST(what.find("fsync") != std::string::npos, what);
    BOOST_TEST(read_text(t.path / "a.txt") == "old");
    BOOST_TEST(regular_files(t.path) == 1u);

    // An unwritable folder: the file and the errno text are named.
    if (::geteuid() != 0) {  // root writes anywhere
        fs::create_directories(t.path / "ro");
        ::chmod((t.path / "ro").c_str(), 0555);
        try {
            write_text_atomic(t.path / "ro" / "b.txt", "x");
            BOOST_FAIL("expected an IoError");
        } catch (const gt::IoError& e) {
            BOOST_TEST(std::string(e.what()).find("b.txt") != std::string::npos, e.what());
            BOOST_TEST(std::string(e.what()).find(std::strerror(EACCES)) != std::string::npos, e.what());
        }
        ::chmod((t.path / "ro").c_str(), 0755);
    }
    try {
        write_text_atomic(t.path / "missing" / "b.txt", "x");
        BOOST_FAIL("expected an IoError");
    } catch (const gt::IoError& e) {
        BOOST_TEST(std::string(e.what()).find((t.path / "missing" / "b.txt").string()) != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find(std::strerror(ENOENT)) != std::string::npos, e.what());
    }
}

BOOST_AUTO_TEST_CASE(metric_failures_name_figure_run_layer_epoch_and_step) {
    using gt::Tensor;
    const MetricSite site{"fig13", "wd0.5", "", 3, 243};
    // NaN features on the streamed path fig13 uses: the analysis message, with the site in front.
    gt::analysis::LayerStatistics<double> st(2, 2, "layer 2");
    Tensor<double> h = xt::ones<double>({6, 2}), y = xt::zeros<double>({6, 2});
    for (std::size_t i = 0; i < 6; ++i) y(i, i % 2) = 1.0;
    h(4, 0) = std::numeric_limits<double>::quiet_NaN();
    st.add(h, y);
    std::string what;
    try {
        tl_at(site.at_layer(2), st);
    } catch (const gt::ValueError& e) {
        what = e.what();
    }
    BOOST_TEST(what.rfind("fig13 run wd0.5, layer 2, epoch 3, step 243: ", 0) == 0, what);
    BOOST_TEST(what.find("ridge") != std::string::npos, what);
    // The one-shot path (fig1, fig5): same prefix, and the error keeps its type.
    BOOST_CHECK_THROW(tl_at<double>(MetricSite{"fig5", "beta10", "mu", 2, -1}, h, y), gt::ValueError);
    try {
        tl_at<double>(MetricSite{"fig5", "beta10", "mu", 2, -1}, h, y);
    } catch (const gt::ValueError& e) {
        BOOST_TEST(std::string(e.what()).rfind("fig5 run beta10, layer mu, epoch 2: target_linearity: ", 0) == 0, e.what());
    }
    Tensor<double> short_y = xt::zeros<double>({5, 2});
    BOOST_CHECK_THROW(tl_at<double>(site, h, short_y), gt::ShapeError);

    // A non-finite value is recorded as NaN with one warning naming the site.
    TempDir t;
    MetricsLog log(t.path / "metrics.csv");
    std::FILE* warn = std::tmpfile();
    const double stored = add_metric(log, site.at_layer(1), "surrogate", std::numeric_limits<double>::infinity(), warn);
    BOOST_TEST(std::isnan(stored));
    BOOST_TEST(std::isnan(log.rows().at(0).value));
    BOOST_TEST(log.rows().at(0).layer == "1");
    BOOST_TEST(log.rows().at(0).epoch == 3);
    std::rewind(warn);
    char buf[512] = {0};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, warn);
    std::fclose(warn);
    const std::string w(buf, n);
    BOOST_TEST(w.find("fig13 run wd0.5, layer 1, epoch 3, step 243") != std::string::npos, w);
    BOOST_TEST(w.find("surrogate is inf") != std::string::npos, w);

    // The surrogate of the same NaN-poisoned statistics: NaN, with a warning naming the site.
    std::FILE* warn2 = std::tmpfile();
    const Tensor<double> next_w = xt::ones<double>({3, 2});
    const auto sr = surrogate_at(site.at_layer(2), st, next_w, warn2);
    BOOST_TEST(std::isnan(sr.s));
    std::rewind(warn2);
    char buf2[512] = {0};
    const std::string w2(buf2, std::fread(buf2, 1, sizeof buf2 - 1, warn2));
    std::fclose(warn2);
    BOOST_TEST(w2.find("fig13 run wd0.5, layer 2, epoch 3, step 243: surrogate S is nan") != std::string::npos, w2);

    // A non-finite loss names the site and the parameters that are no longer finite.
    gt::nn::Parameter<double> a("layers.0.weight", xt::ones<double>({2, 2})), b("layers.1.weight", xt::ones<double>({2, 2}));
    b.value(1, 1) = std::numeric_limits<double>::quiet_NaN();
    a.grad(0, 1) = std::numeric_limits<double>::infinity();
    std::vector<gt::nn::Parameter<double>*> params{&a, &b};
    BOOST_CHECK_NO_THROW(gt::nn::check_finite_loss<double>(site.describe(), 0.5, params));
    try {
        gt::nn::check_finite_loss<double>(site.describe(), std::numeric_limits<double>::quiet_NaN(), params);
        BOOST_FAIL("expected a ValueError");
    } catch (const gt::ValueError& e) {
        const std::string m = e.what();
        BOOST_TEST(m == "fig13 run wd0.5, epoch 3, step 243: loss became nan (lower the learning rate); "
                        "non-finite values in 'layers.1.weight'; non-finite gradients in 'layers.0.weight'");
    }
}

BOOST_AUTO_TEST_CASE(run_folder_resumes_or_refuses) {
    TempDir t;
    json cfg = {{"epochs", 3}, {"lr", 0.01}, {"threads", 1}};
    {
        RunFolder f = RunFolder::open(t.path, "fig2-quick-mnist", cfg);
        BOOST_TEST(!f.resumed());
        f.save_progress({{"epoch", 2}});
    }
    // Temporaries a killed session left behind (atomic writes, a checkpoint) go when the run resumes.
    const fs::path run = t.path / "fig2-quick-mnist";
    fs::create_directories(run / "checkpoints" / "seed0_orig");
    for (const fs::path& p : {run / ".metrics.csv.tmp.123.4", run / "checkpoints" / "seed0_orig" / ".w.npy.tmp.123.5",
                              run / "checkpoints" / "model.ckpt.tmp"})
        std::ofstream(p) << "partial";
    std::ofstream(run / "notes.txt") << "kept";
    json same = cfg;
    same["threads"] = 2;  // volatile: does not change results
    RunFolder again = RunFolder::open(t.path, "fig2-quick-mnist", same);
    BOOST_TEST(again.resumed());
    BOOST_TEST(!fs::exists(run / ".metrics.csv.tmp.123.4"));
    BOOST_TEST(!fs::exists(run / "checkpoints" / "seed0_orig" / ".w.npy.tmp.123.5"));
    BOOST_TEST(!fs::exists(run / "checkpoints" / "model.ckpt.tmp"));
    BOOST_TEST(fs::exists(run / "notes.txt"));
    BOOST_TEST(again.progress().at("epoch").get<int>() == 2);
    BOOST_TEST(!again.complete());
    json other = cfg;
    other["lr"] = 0.1;
    try {
        RunFolder::open(t.path, "fig2-quick-mnist", other);
        BOOST_FAIL("a different config must be refused");
    } catch (const UsageError& e) {
        BOOST_TEST(std::string(e.what()).find("lr") != std::string::npos);
    }
    // The refused open did not touch the recorded config.
    BOOST_TEST(read_json(t.path / "fig2-quick-mnist" / "config.json").at("lr").get<double>() == 0.01);
    fs::create_directories(t.path / "stranger");
    BOOST_CHECK_THROW(RunFolder::open(t.path, "stranger", cfg), UsageError);
    BOOST_CHECK_THROW(RunFolder::open("/proc/gramtape-no", "x", cfg), UsageError);
}

BOOST_AUTO_TEST_CASE(summary_json_round_trip) {
    Summary s;
    s.figure = "fig9";
    s.title = "t";
    s.preset = "smoke";
    s.dataset = "mnist";
    s.command = "gramtape fig9";
    s.setup = "setup";
    s.images = {"fig9.png"};
    s.rows = {{"q", "1", "2", "paper"}};
    s.claims = {{"c", true, "d"}};
    s.differences = {"x"};
    s.seconds = 1.5;
    const Summary b = Summary::from_json(s.to_json(), "mem");
    BOOST_TEST(b.rows.at(0).paper == "2");
    BOOST_TEST(b.claims.at(0).pass);
    BOOST_CHECK_THROW(Summary::from_json(json{{"figure", "x"}}, "mem"), gt::IoError);
}

BOOST_AUTO_TEST_CASE(gnuplot_renders_a_png_and_keeps_its_script) {
    TempDir t;
    DatFile d({"x", "y"});
    d.block("a");
    for (int i = 0; i < 5; ++i) d.row({double(i), double(i * i)});
    d.save(t.path / "p.dat");
    render(t.path, {"p.png", "p.gp", 400, 300, "plot \"p.dat\" using 1:2 with lines title \"y\""});
    std::ifstream png(t.path / "p.png", std::ios::binary);
    char magic[8] = {0};
    png.read(magic, 8);
    BOOST_TEST(std::string(magic + 1, 3) == "PNG");
    BOOST_TEST(read_text(t.path / "p.gp").find("p.dat") != std::string::npos);
    BOOST_CHECK_THROW(render(t.path, {"q.png", "q.gp", 400, 300, "plot \"nope.dat\" using 1:2"}), gt::IoError);
    BOOST_TEST(!fs::exists(t.path / "q.png"));
}

BOOST_AUTO_TEST_CASE(every_figure_is_registered_with_defaults_for_every_preset) {
    for (const char* id : {"fig1", "fig2", "fig4", "fig7", "fig8", "fig9"}) {
        const Figure* f = find_figure(id);
        BOOST_REQUIRE_MESSAGE(f != nullptr, id);
        for (const auto& p : presets()) {
            const json d = f->defaults(p, "");
            BOOST_TEST(d.contains("seeds"));
            BOOST_TEST(d.contains("epochs"));
            BOOST_TEST(f->info().estimate.count(p) == 1u);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
