// The shared pieces of the figure drivers: the streamed hidden-layer pass (Target Linearity per layer and
// accuracy) checked against a direct computation on the whole feature matrix, and the training epoch's
// non-finite-loss report.
#include <cmath>
#include <string>

#include <boost/test/unit_test.hpp>

#include "analysis/target_linearity.hpp"
#include "autodiff/autodiff.hpp"
#include "experiments/hidden_layer_pass.hpp"
#include "experiments/training.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"

using namespace gt;
using namespace gt::experiments;

namespace {

data::Dataset<double> random_set(std::size_t n, std::size_t d, std::size_t classes, std::uint64_t seed) {
    Rng rng(seed);
    data::Dataset<double> s;
    s.name = "random";
    s.num_classes = classes;
    s.x = Tensor<double>::from_shape({n, d});
    for (auto& v : s.x) v = rng.normal();
    for (std::size_t i = 0; i < n; ++i) s.y.push_back(static_cast<int>(rng.uniform(0.0, double(classes))) % int(classes));
    return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(training_pieces)

BOOST_AUTO_TEST_CASE(hidden_layer_pass_matches_a_direct_computation_for_any_batch) {
    const data::Dataset<double> d = random_set(37, 5, 3, 1);
    Rng rng(2);
    nn::DNN<double> model(5, 6, 3, 3, true, nn::Activation::GELU, rng);
    // Direct: all 37 samples in one forward, TL of each hidden layer on the full matrix.
    Tape<double> tape;
    const auto out = model.forward(tape, tape.input(d.x));
    const Tensor<double> yc = analysis::centred_one_hot<double>(d.y, 3);
    const double acc = double(nn::count_correct(out.logits.value(), d.y)) / 37.0;
    for (std::size_t batch : {1u, 7u, 37u, 1000u}) {
        const HiddenLayerPass p = hidden_layer_pass(model, d, d.y, batch);
        BOOST_TEST_REQUIRE(p.stats.size() == 3u);
        BOOST_TEST(p.accuracy == acc);
        for (std::size_t l = 0; l < 3; ++l) {
            const double direct = analysis::target_linearity<double>(out.hidden[l].value(), yc).tl;
            BOOST_TEST(std::fabs(p.stats[l].target_linearity().tl - direct) < 1e-10, "layer " << l + 1 << " batch " << batch);
        }
    }
    // Other labels of the same length: accuracy and TL follow them.
    Labels shifted = d.y;
    for (int& v : shifted) v = (v + 1) % 3;
    const HiddenLayerPass q = hidden_layer_pass(model, d, shifted, 10);
    BOOST_TEST(q.accuracy == double(nn::count_correct(out.logits.value(), shifted)) / 37.0);
    const double direct = analysis::target_linearity<double>(out.hidden[0].value(), analysis::centred_one_hot<double>(shifted, 3)).tl;
    BOOST_TEST(std::fabs(q.stats[0].target_linearity().tl - direct) < 1e-10);
    BOOST_CHECK_THROW(hidden_layer_pass(model, d, Labels(36, 0)), ShapeError);
}

BOOST_AUTO_TEST_CASE(training_epoch_names_the_site_and_the_broken_parameter) {
    const data::Dataset<double> d = random_set(20, 4, 2, 3);
    Rng rng(4);
    nn::DNN<double> model(4, 5, 2, 1, true, nn::Activation::ReLU, rng);
    nn::SGD<double> opt(model.parameters(), nn::SGDOptions{0.1, 0.0, 0.0, false});
    data::BatchLoader<double> loader(d, 8, true, 0);
    Tape<double> tape;
    Progress::set_enabled(false);
    Progress prog("test", 100);
    long step = 10;
    // A healthy epoch: three batches (8 + 8 + 4), finite mean loss, step advanced.
    const double loss = train_classifier_epoch<double>(model, opt, loader, tape, {step_label("figX", "runA"), 1}, step, prog);
    BOOST_TEST(std::isfinite(loss));
    BOOST_TEST(step == 13);
    model.parameters()[0]->value(0, 0) = std::nan("");
    try {
        train_classifier_epoch<double>(model, opt, loader, tape, {step_label("figX", "runA"), 2}, step, prog);
        BOOST_FAIL("a NaN weight did not stop the epoch");
    } catch (const ValueError& e) {
        const std::string m = e.what();
        BOOST_TEST(m.rfind("figX run runA, epoch 2, step 14: loss became nan (lower the learning rate); non-finite values in '" +
                               model.parameters()[0]->name + "'",
                           0) == 0,
                   m);
    }
}

BOOST_AUTO_TEST_SUITE_END()
