// Guards beyond the message table: a singular Gram in Target Linearity is solved with the stated
// fallback ridge, which the result reports, and a well-conditioned one is not touched; a checkpoint is
// fsynced before it is renamed into place and its folder after (durable against power loss).
#include <climits>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include "analysis/matrix.hpp"
#include "analysis/target_linearity.hpp"
#include "autodiff/random.hpp"
#include "nn/checkpoint.hpp"
#include "nn/dnn.hpp"
#include "nn/durable.hpp"
#include "nn/sgd.hpp"
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
// Each fsync seen by the hook: "<path of the fd>|<does the final checkpoint exist yet>".
std::vector<std::string> g_synced;
std::string g_final;

int recording_fsync(int fd) {
    char buf[PATH_MAX] = {0};
    const ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    g_synced.push_back(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) + "|" +
                       (std::filesystem::exists(g_final) ? "final exists" : "no final"));
    return ::fsync(fd);
}
}  // namespace

BOOST_AUTO_TEST_CASE(checkpoint_is_synced_before_rename_and_its_folder_after) {
    gt::rel::TempDir d;
    const std::string dir = std::filesystem::canonical(d.path).string();
    g_final = dir + "/ckpt";
    Rng rng(1);
    nn::DNN<double> model(4, 8, 3, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> opt(model.parameters(), nn::SGDOptions{0.1, 0.9, 0.0, false});
    g_synced.clear();
    nn::set_fsync_hook(recording_fsync);
    nn::save_checkpoint<double>(g_final, model.parameters(), &opt, "blob");
    nn::set_fsync_hook(nullptr);
    BOOST_REQUIRE_EQUAL(g_synced.size(), 2u);
    BOOST_TEST(g_synced[0] == g_final + ".tmp|no final");  // the data, before the rename
    BOOST_TEST(g_synced[1] == dir + "|final exists");      // the folder entry, after it
    BOOST_TEST(!std::filesystem::exists(g_final + ".tmp"));
    nn::DNN<double> other(4, 8, 3, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> other_opt(other.parameters(), nn::SGDOptions{0.1, 0.9, 0.0, false});
    BOOST_TEST(nn::load_checkpoint<double>(g_final, other.parameters(), &other_opt) == "blob");  // complete
    BOOST_TEST((other.parameters()[0]->value == model.parameters()[0]->value));
}

BOOST_AUTO_TEST_SUITE_END()
