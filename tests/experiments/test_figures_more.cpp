// End to end: figures 5, 6, 10, 12, 13 and 14 on their smoke presets (the real `gramtape` binary), their
// output files, what each run must show even at smoke size, reuse of sibling runs, and bad settings.
#include <algorithm>
#include <cmath>
#include <fstream>

#include <boost/test/unit_test.hpp>
#include <xtensor/xnpy.hpp>

#include "datasets/registry.hpp"
#include "experiments/figure.hpp"
#include "platform/files.hpp"
#include "experiments/metrics.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::experiments;
using gtt::run;
using gtt::values;

namespace {

/// The runs root of this file's smoke runs (fig10 and fig14 reuse the fig5 and fig13 runs in it).
const gtt::RunsRoot root;

/// The files every run folder has; returns its metrics rows and summary.
std::pair<std::vector<MetricRow>, Summary> folder(const std::string& name, const std::string& fig) {
    const fs::path f = root.path / name;
    BOOST_REQUIRE_MESSAGE(fs::is_directory(f), f.string());
    BOOST_TEST(read_json(f / "config.json").at("figure").get<std::string>() == fig);
    BOOST_TEST(read_json(f / "meta.json").at("seconds").get<double>() > 0.0);
    const auto rows = MetricsLog::parse(read_text(f / "metrics.csv"), (f / "metrics.csv").string());
    const Summary s = Summary::from_json(read_json(f / "summary.json"), "summary.json");
    BOOST_TEST(s.figure == fig);
    BOOST_TEST(!s.rows.empty());
    BOOST_TEST(!s.claims.empty());
    BOOST_REQUIRE(!s.images.empty());
    for (const auto& img : s.images) {
        std::ifstream in(f / img, std::ios::binary);
        char m[4] = {0};
        in.read(m, 4);
        BOOST_TEST((in && std::string(m + 1, 3) == "PNG"), img);
        BOOST_TEST(fs::exists(f / (fs::path(img).stem().string() + ".gp")));
    }
    return {rows, s};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(figures_more)

BOOST_AUTO_TEST_CASE(fig5_and_fig10_smoke) {
    const auto r = run("fig5 --preset smoke " + root.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = folder("fig5-smoke-mnist", "fig5");
    for (const char* b : {"beta0.05", "beta10"}) {
        const auto tl = values(rows, b, "tl_mu");
        BOOST_REQUIRE_EQUAL(tl.size(), 2u);  // init and epoch 1
        for (double v : tl) BOOST_TEST((v > -1.0 && v < 1.0));
        const auto rec = values(rows, b, "val_recon");
        BOOST_REQUIRE_EQUAL(rec.size(), 2u);
        BOOST_TEST(rec[1] < rec[0]);  // one epoch of training reconstructs better than the initial decoder
    }
    const auto strip = xt::load_npy<double>((root.path / "fig5-smoke-mnist" / "interpolation.npy").string());
    BOOST_REQUIRE_EQUAL(strip.dimension(), 3u);
    BOOST_TEST(strip.shape()[0] == 2u);
    BOOST_TEST(strip.shape()[1] == 10u);
    BOOST_TEST(strip.shape()[2] == 784u);
    for (double v : strip) BOOST_TEST((v >= 0.0 && v <= 1.0));

    // fig10 with the same training settings takes fig5's β runs instead of training them again.
    const auto r10 = run("fig10 --preset smoke " + root.options());
    BOOST_REQUIRE_MESSAGE(r10.status == 0, r10.output);
    const auto [rows10, s10] = folder("fig10-smoke-mnist", "fig10");
    BOOST_TEST(s10.setup.find("taken from the fig5 run folder") != std::string::npos, s10.setup);
    for (const char* b : {"beta0.05", "beta10"})
        for (const char* m : {"tl_mu", "val_recon", "train_recon"}) BOOST_TEST(values(rows10, b, m) == values(rows, b, m));

    // Figure 10's decoded test images: classes 0–7 through each β's VAE, beside the originals.
    const fs::path f10 = root.path / "fig10-smoke-mnist";
    BOOST_TEST((std::find(s10.images.begin(), s10.images.end(), "fig10_decoded.png") != s10.images.end()));
    BOOST_TEST(fs::exists(f10 / "fig10_decoded.gp"));
    const auto dec = xt::load_npy<double>((f10 / "decoded.npy").string());
    const auto orig = xt::load_npy<double>((f10 / "originals.npy").string());
    BOOST_REQUIRE_EQUAL(dec.dimension(), 4u);
    BOOST_TEST(dec.shape()[0] == 2u);  // the smoke preset's two βs
    BOOST_TEST(dec.shape()[1] == 8u);
    BOOST_TEST(dec.shape()[2] == 28u);
    BOOST_TEST(dec.shape()[3] == 28u);
    BOOST_REQUIRE_EQUAL(orig.dimension(), 3u);
    BOOST_TEST(orig.shape()[0] == 8u);
    BOOST_TEST(orig.shape()[1] == 28u);
    BOOST_TEST(orig.shape()[2] == 28u);
    for (double v : dec) BOOST_TEST((v >= 0.0 && v <= 1.0));  // sigmoid outputs
    // The originals are test images (pixels k/255), one of each class 0..7: the first of its class.
    const gt::data::Split<double> mnist = gt::data::load<double>("mnist", [] {
        gt::data::LoadOptions o;
        o.data_dir = gtt::data_dir();
        return o;
    }());
    for (int c = 0; c < 8; ++c) {
        std::size_t k = 0;
        while (mnist.test.y[k] != c) ++k;
        double diff = 0;
        for (std::size_t p = 0; p < 784; ++p) diff = std::max(diff, std::fabs(orig.data()[c * 784 + p] - mnist.test.x.data()[k * 784 + p]));
        BOOST_TEST(diff < 1e-6, "class " << c);
    }
}

BOOST_AUTO_TEST_CASE(fig6_smoke) {
    const auto r = run("fig6 --preset smoke " + root.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = folder("fig6-smoke-mnist", "fig6");
    const auto o = values(rows, "seed0/orig", "test_acc"), w = values(rows, "seed0/whiten", "test_acc");
    BOOST_REQUIRE_EQUAL(o.size(), 2u);
    BOOST_REQUIRE_EQUAL(w.size(), 2u);
    BOOST_TEST(o[0] == w[0]);  // same seed, same initial CNN
    for (double a : o) BOOST_TEST((a >= 0.0 && a <= 1.0));
    for (double a : w) BOOST_TEST((a >= 0.0 && a <= 1.0));
    for (double l : values(rows, "seed0/whiten", "train_loss")) BOOST_TEST(std::isfinite(l));
}

BOOST_AUTO_TEST_CASE(fig12_smoke) {
    const auto r = run("fig12 --preset smoke " + root.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = folder("fig12-smoke-mnist", "fig12");
    for (const char* p : {"p0", "p1"})
        for (int l = 1; l <= 3; ++l) {
            const auto tl = values(rows, p, "tl", std::to_string(l));
            BOOST_REQUIRE_EQUAL(tl.size(), 2u);
            for (double v : tl) BOOST_TEST((v > -1.0 && v <= 1.0));
        }
    // p = 0 keeps every label: accuracy on the "noisy" and on the true test labels coincide.
    BOOST_TEST(values(rows, "p0", "test_acc") == values(rows, "p0", "test_acc_clean"));
    // p = 1 relabels (almost) every test label: the two accuracies differ.
    BOOST_TEST(values(rows, "p1", "test_acc").back() != values(rows, "p1", "test_acc_clean").back());
    const auto tl = xt::load_npy<double>((root.path / "fig12-smoke-mnist" / "tl.npy").string());
    BOOST_TEST(tl.shape()[0] == 2u);
    BOOST_TEST(tl.shape()[2] == 3u);
}

BOOST_AUTO_TEST_CASE(fig13_and_fig14_smoke) {
    const auto r = run("fig13 --preset smoke " + root.options());
    BOOST_REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto [rows, s] = folder("fig13-smoke", "fig13");
    BOOST_TEST(read_json(root.path / "fig13-smoke" / "config.json").at("dtype").get<std::string>() == "double");
    for (const char* wd : {"wd0", "wd0.5"}) {
        for (int l = 1; l <= 3; ++l) BOOST_TEST(values(rows, wd, "tl", std::to_string(l)).size() == 4u);  // init + 3 epochs
        const auto tr = values(rows, wd, "train_acc"), te = values(rows, wd, "test_acc");
        BOOST_REQUIRE_EQUAL(tr.size(), 4u);
        BOOST_REQUIRE_EQUAL(te.size(), 4u);
        // The 70/30 split of the 61² pairs: 2604 training and 1117 test pairs.
        for (double a : tr) BOOST_TEST(std::fabs(a * 2604 - std::round(a * 2604)) < 1e-6);
        for (double a : te) BOOST_TEST(std::fabs(a * 1117 - std::round(a * 1117)) < 1e-6);
    }
    const auto r14 = run("fig14 --preset smoke " + root.options());
    BOOST_REQUIRE_MESSAGE(r14.status == 0, r14.output);
    const auto [rows14, s14] = folder("fig14-smoke", "fig14");
    BOOST_TEST(s14.setup.find("taken from the fig13 run folder") != std::string::npos, s14.setup);
    BOOST_TEST(values(rows14, "wd0.5", "tl", "2") == values(rows, "wd0.5", "tl", "2"));
}

BOOST_AUTO_TEST_CASE(bad_settings_are_one_clear_line) {
    gtt::TempDir t;
    const fs::path cfg = t.path / "c.json";
    write_text_atomic(cfg, R"({"weight_decays": [-1]})");
    const auto r = run("fig13 --preset smoke --config '" + cfg.string() + "' --out '" + t.path.string() + "'");
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.output.find("weight_decays") != std::string::npos, r.output);
    write_text_atomic(cfg, R"({"ps": [0, 1.5]})");
    const auto r2 = run("fig12 --preset smoke --config '" + cfg.string() + "' " + "--threads 1 --data-dir '" + gtt::data_dir() +
                        "' --out '" + t.path.string() + "'");
    BOOST_TEST(r2.status == 2);
    BOOST_TEST(r2.output.find("'ps'") != std::string::npos, r2.output);
}

BOOST_AUTO_TEST_SUITE_END()
