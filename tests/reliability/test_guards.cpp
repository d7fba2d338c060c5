// Guards beyond the message table: a singular Gram in Target Linearity is solved with the stated
// fallback ridge, which the result reports, and a well-conditioned one is not touched; every file of a
// saved state is fsynced before it is renamed into place and its folder after, and the manifest (the
// commit point) last, after every file it lists is in place (durable against power loss).
#include <climits>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include "analysis/matrix.hpp"
#include "analysis/target_linearity.hpp"
#include "autodiff/random.hpp"
#include "nn/dnn.hpp"
#include "platform/durable.hpp"
#include "nn/sgd.hpp"
#include "nn/state.hpp"
#include "tests/reliability/helpers.hpp"

using namespace gt;

BOOST_AUTO_TEST_SUITE(numerical_guards)

BOOST_AUTO_TEST_CASE(singular_gram_in_target_linearity_reports_the_ridge_used) {
    Rng rng(3);
    Tensor<double> h = Tensor<double>::from_shape({50, 4});
    Tensor<double> y = Tensor<double>::from_shape({50, 1});
    for (std::size_t i = 0; i < 50; ++i) {
        for (std::size_t j = 0; j < 3; ++j) h(i, j) = rng.normal();
        h(i, 3) = h(i, 0) + h(i, 1);  // a dependent column: HᵀH is singular
        y(i, 0) = 2 * h(i, 0) - h(i, 2);
    }
    const analysis::TlResult singular = analysis::target_linearity(h, y);
    BOOST_TEST(singular.ridge == analysis::kFallbackRidge);
    BOOST_TEST(singular.tl > 0.999999);  // y is linear in H: the ridge barely changes the fit
    BOOST_TEST(singular.tl <= 1.0);

    for (std::size_t i = 0; i < 50; ++i) h(i, 3) = rng.normal();  // independent again
    const analysis::TlResult regular = analysis::target_linearity(h, y);
    BOOST_TEST(regular.ridge == 0.0);
    BOOST_TEST(regular.tl == 1.0, boost::test_tools::tolerance(1e-12));

    const analysis::TlResult with_lambda = analysis::target_linearity(h, y, {0.5});
    BOOST_TEST(with_lambda.ridge == 0.5);
}

namespace {
// Each fsync seen by the hook: the path of the fd, whether the manifest exists yet, and how many files
// (not temporaries, which start with '.') the slot holds.
struct Synced {
    std::string path;
    bool manifest;
    std::size_t files;
};
std::vector<Synced> g_synced;
std::filesystem::path g_state;

int recording_fsync(int fd) {
    char buf[PATH_MAX] = {0};
    const ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    std::size_t files = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(g_state / "a", ec); !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        files += it->path().filename().string()[0] != '.';
    g_synced.push_back({std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0),
                        std::filesystem::exists(g_state / nn::kManifestName), files});
    return ::fsync(fd);
}
}  // namespace

BOOST_AUTO_TEST_CASE(saved_state_files_are_synced_before_rename_their_folder_after_and_the_manifest_last) {
    gt::rel::TempDir d;
    const std::filesystem::path dir = std::filesystem::canonical(d.path);
    g_state = dir / "ckpt";
    const std::string slot = (g_state / "a").string();
    Rng rng(1);
    nn::DNN<double> model(4, 8, 3, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> opt(model.parameters(), nn::SGDOptions{0.1, 0.9, 0.0, false});
    g_synced.clear();
    set_fsync_hook(recording_fsync);
    nn::save_state<double>(dir, "ckpt", model.parameters(), &opt, {{"epoch", 1}});
    set_fsync_hook(nullptr);
    const std::size_t files = 8;  // 4 parameters, 4 momentum buffers
    BOOST_REQUIRE_EQUAL(g_synced.size(), 2 * (files + 1));
    auto is_temp_in = [](const Synced& s, const std::string& folder) {
        const std::filesystem::path p(s.path);
        return p.parent_path() == folder && p.filename().string().rfind(".", 0) == 0 &&
               p.filename().string().find(".npy.tmp.") != std::string::npos;
    };
    for (std::size_t i = 0; i < files; ++i) {
        BOOST_TEST_CONTEXT("file " << i) {
            const Synced& data = g_synced[2 * i];
            const Synced& folder = g_synced[2 * i + 1];
            BOOST_TEST(is_temp_in(data, slot), data.path);  // the data, before the rename
            BOOST_TEST(data.files == i);
            BOOST_TEST(folder.path == slot);  // the folder entry, after it
            BOOST_TEST(folder.files == i + 1);
            BOOST_TEST(!data.manifest);
            BOOST_TEST(!folder.manifest);
        }
    }
    const Synced& manifest = g_synced[2 * files];
    BOOST_TEST(std::filesystem::path(manifest.path).parent_path() == g_state);
    BOOST_TEST(std::filesystem::path(manifest.path).filename().string().rfind(".manifest.json.tmp.", 0) == 0, manifest.path);
    BOOST_TEST(manifest.files == files);  // every file is in place before the commit
    BOOST_TEST(!manifest.manifest);
    BOOST_TEST(g_synced.back().path == g_state.string());
    BOOST_TEST(g_synced.back().manifest);
    for (const auto& e : std::filesystem::recursive_directory_iterator(g_state))
        BOOST_TEST(e.path().filename().string()[0] != '.', "temporary left: " << e.path());
    nn::DNN<double> other(4, 8, 3, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> other_opt(other.parameters(), nn::SGDOptions{0.1, 0.9, 0.0, false});
    BOOST_TEST(nn::load_state<double>(dir, "ckpt", other.parameters(), &other_opt).at("epoch") == 1);  // complete
    BOOST_TEST((other.parameters()[0]->value == model.parameters()[0]->value));
}

BOOST_AUTO_TEST_SUITE_END()
