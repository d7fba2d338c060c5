// Run folders, atomic output, metrics.csv and the summary format, tested without training anything.
#include <fstream>

#include <boost/test/unit_test.hpp>

#include "experiments/figure.hpp"
#include "experiments/io.hpp"
#include "experiments/metrics.hpp"
#include "experiments/plot.hpp"
#include "experiments/run_folder.hpp"
#include "helpers.hpp"

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

BOOST_AUTO_TEST_CASE(run_folder_resumes_or_refuses) {
    TempDir t;
    json cfg = {{"epochs", 3}, {"lr", 0.01}, {"threads", 1}};
    {
        RunFolder f = RunFolder::open(t.path, "fig2-quick-mnist", cfg);
        BOOST_TEST(!f.resumed());
        f.save_progress({{"epoch", 2}});
    }
    json same = cfg;
    same["threads"] = 2;  // volatile: does not change results
    RunFolder again = RunFolder::open(t.path, "fig2-quick-mnist", same);
    BOOST_TEST(again.resumed());
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
