// End to end: the transformer figure (fig11) on its smoke preset with the real `gramtape` binary and the
// real Brown and SpamAssassin text (tools/setup fetches them): its outputs, what each stage records, an
// interrupted run resuming to the same numbers, and bad settings.
#include <cmath>
#include <fstream>

#include <boost/test/unit_test.hpp>
#include <xtensor/xnpy.hpp>

#include "experiments/figure.hpp"
#include "experiments/metrics.hpp"
#include "helpers.hpp"
#include "platform/files.hpp"

using namespace gt;
using namespace gt::experiments;
using gtt::run;
using gtt::values;
using gtt::TempDir;

namespace {

std::string base(const fs::path& out) {
    return "fig11 --preset smoke --threads 1 --data-dir '" + gtt::data_dir() + "' --out '" + out.string() + "'";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fig11)

BOOST_AUTO_TEST_CASE(smoke_run_records_every_stage_and_resumes_to_the_same_numbers) {
    const fs::path data = gtt::data_dir();
    BOOST_REQUIRE_MESSAGE(fs::exists(data / "brown" / "ca01") && fs::exists(data / "spam-assassin" / "spam-1"),
                          "the text corpora are missing under " + data.string() + ": run tools/setup");
    TempDir a, b;
    const auto full = run(base(a.path));
    BOOST_REQUIRE_MESSAGE(full.status == 0, full.output);
    const fs::path f = a.path / "fig11-smoke-text";
    const auto rows = MetricsLog::parse(read_text(f / "metrics.csv"), "metrics.csv");
    const Summary s = Summary::from_json(read_json(f / "summary.json"), "summary.json");
    BOOST_TEST(s.figure == "fig11");
    BOOST_TEST(s.claims.size() == 4u);
    BOOST_TEST(s.rows.size() == 4u * 5u + 3u);  // four rows and an accuracy per task, Fig. 7's measure on three maps
    {
        std::ifstream png(f / "fig11.png", std::ios::binary);
        char m[4] = {0};
        png.read(m, 4);
        BOOST_TEST((png && std::string(m + 1, 3) == "PNG"));
        BOOST_TEST(fs::exists(f / "fig11.gp"));
    }
    // Pre-training ran once (one epoch at smoke size) and its masked-LM loss is finite and below log V.
    const auto mlm = values(rows, "pretrain", "mlm_loss");
    BOOST_REQUIRE_EQUAL(mlm.size(), 1u);
    BOOST_TEST(std::isfinite(mlm[0]));
    for (const char* task : {"spam", "genre", "pos", "ner"})
        for (int l = 1; l <= 2; ++l)
            BOOST_TEST_CONTEXT(task << " layer " << l) {
                const auto init = values(rows, task, "tl_init", std::to_string(l));
                const auto tl = values(rows, task, "tl", std::to_string(l));
                BOOST_TEST(init.size() == 1u);  // random init, measured once
                BOOST_TEST(tl.size() == 3u);    // pre-trained (epoch 0) and fine-tuned epochs 1, 2
                for (double v : tl) BOOST_TEST((std::isfinite(v) && v > -1.0 && v <= 1.0));
                BOOST_TEST(init[0] != tl[0]);   // pre-training changed the features
            }
    // Fig. 7's measure on the pos task's layer-1 maps: a correlation per fine-tuning epoch, the AGOP's at the end.
    for (const char* map : {"query", "value", "ff1"}) {
        const auto rho = values(rows, "pos", "rho_vcs_gram_change", map);
        BOOST_TEST(rho.size() == 2u, map);
        for (double v : rho) BOOST_TEST((v >= -1.0 && v <= 1.0), map);
        BOOST_TEST(values(rows, "pos", "rho_agop_gram_change", map).size() == 1u, map);
    }
    const auto tl = xt::load_npy<double>((f / "tl.npy").string());
    BOOST_TEST(tl.shape()[0] == 4u);  // tasks
    BOOST_TEST(tl.shape()[1] == 4u);  // init, pre-trained, epochs 1 and 2
    BOOST_TEST(tl.shape()[2] == 2u);  // encoder layers
    BOOST_TEST(tl(2, 1, 0) == values(rows, "pos", "tl", "1")[0]);

    // Interrupted after the first checkpoint (pre-training epoch 1), then resumed: the same metrics, byte for byte.
    const auto cut = run(base(b.path), "GT_INTERRUPT_AFTER_EPOCH=1");
    BOOST_TEST(cut.status != 0);
    BOOST_TEST(!fs::exists(b.path / "fig11-smoke-text" / "summary.json"));
    const auto resumed = run(base(b.path));
    BOOST_REQUIRE_MESSAGE(resumed.status == 0, resumed.output);
    BOOST_TEST(resumed.output.find("resuming") != std::string::npos, resumed.output);
    BOOST_TEST(read_text(f / "metrics.csv") == read_text(b.path / "fig11-smoke-text" / "metrics.csv"));
}

BOOST_AUTO_TEST_CASE(bad_settings_are_refused_before_any_run_folder) {
    TempDir out;
    const fs::path cfg = out.path / "c.json";
    const std::pair<const char*, const char*> cases[] = {
        {R"({"tasks": ["sentiment"], "vcs_task": ""})", "config 'tasks': 'sentiment' is not a task (expected spam, genre, pos or ner)"},
        {R"({"d_model": 30, "heads": 4})", "config 'heads': 4 does not divide d_model 30"},
        {R"({"dropout": 1.0})", "config 'dropout': 1 (expected a fraction in [0, 1))"},
        {R"({"tasks": ["spam"]})", "config 'vcs_task': 'pos' is not one of the tasks run"},
        {R"({"layers": 100})", "'layers' = 100: expected an integer in [1, 48]"},
        {R"({"max_len": 1})", "'max_len' = 1: expected an integer in [2, 1024]"},
    };
    for (const auto& [text, message] : cases) {
        write_text_atomic(cfg, text);
        const auto r = run(base(out.path / "runs") + " --config '" + cfg.string() + "'");
        BOOST_TEST(r.status == 2, text);
        BOOST_TEST(r.output.find(message) != std::string::npos, r.output);
        BOOST_TEST(!fs::exists(out.path / "runs" / "fig11-smoke-text"), text);
    }
    const auto r = run("fig11 --preset smoke --threads 1 --data-dir '" + out.path.string() + "' --out '" + out.path.string() + "'");
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.output.find("text") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
