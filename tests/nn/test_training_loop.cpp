// The training loop (nn/training_loop.hpp) over a real data::BatchLoader, checked against hand
// computations: the order of the hooks (after_backward sees the gradients and the pre-update weights,
// after_step the updated ones), step counting across epochs, the mean loss, the non-finite-loss report
// (and that the optimizer has not run when it throws), classifier_loss and nn::accuracy.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "datasets/loader.hpp"
#include "fixtures.hpp"
#include "nn/dnn.hpp"
#include "nn/evaluate.hpp"
#include "nn/sgd.hpp"
#include "nn/training_loop.hpp"

using namespace gt;
using namespace gt::test;

namespace {

/// Two Gaussian blobs in 4-D, n samples.
data::Dataset<double> blobs(std::size_t n) {
    Rng rng(11);
    data::Dataset<double> d;
    d.name = "blobs";
    d.num_classes = 2;
    d.x = Tensor<double>::from_shape({n, 4});
    for (std::size_t i = 0; i < n; ++i) {
        d.y.push_back(static_cast<int>(rng.below(2)));
        for (std::size_t j = 0; j < 4; ++j) d.x(i, j) = rng.normal(d.y[i] ? 1.0 : -1.0, 1.0);
    }
    return d;
}

/// The model's logits without a gradient.
Tensor<double> logits_of(nn::DNN<double>& model, const Tensor<double>& x) {
    Tape<double> t;
    NoGradGuard<double> guard(t);
    return model.forward(t, t.input(x)).logits.value();
}

/// By hand: softmax(z) − onehot(y) per row, and the mean cross-entropy −log softmax(z)_y.
struct HandCe {
    Tensor<double> dz;  // (B, C), not yet divided by B
    double loss = 0;
};
HandCe hand_ce(const Tensor<double>& z, const Labels& y) {
    const std::size_t b = z.shape(0), c = z.shape(1);
    HandCe h{Tensor<double>::from_shape({b, c})};
    for (std::size_t i = 0; i < b; ++i) {
        double m = z(i, 0), s = 0;
        for (std::size_t k = 1; k < c; ++k) m = std::max(m, z(i, k));
        for (std::size_t k = 0; k < c; ++k) s += std::exp(z(i, k) - m);
        for (std::size_t k = 0; k < c; ++k) h.dz(i, k) = std::exp(z(i, k) - m) / s - (int(k) == y[i] ? 1.0 : 0.0);
        h.loss += (std::log(s) + m - z(i, std::size_t(y[i]))) / double(b);
    }
    return h;
}

std::vector<Tensor<double>> values_of(const std::vector<nn::Parameter<double>*>& ps) {
    std::vector<Tensor<double>> v;
    for (auto* p : ps) v.push_back(p->value);
    return v;
}

constexpr double kLr = 0.25;  // a power of two: w − lr·g is one rounding, however it is computed

}  // namespace

BOOST_AUTO_TEST_SUITE(training_loop)

BOOST_AUTO_TEST_CASE(hooks_see_gradients_and_pre_update_weights_and_steps_count_across_epochs) {
    const data::Dataset<double> ds = blobs(40);
    data::BatchLoader<double> loader(ds, 16, true, 3);  // batches of 16, 16, 8 in a new order each epoch
    Rng rng(0);
    nn::DNN<double> model(4, 8, 2, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> opt(model.parameters(), nn::SGDOptions{kLr, 0.0, 0.0, false});
    const std::vector<nn::Parameter<double>*> params = model.parameters();
    nn::Parameter<double>& bias = model.parameter("layers.1.bias");

    std::vector<std::string> events;
    std::vector<long> steps;
    std::vector<Tensor<double>> at_loss, before, grads;
    Tape<double> tape;
    HandCe hand;
    double hand_sum = 0;
    std::size_t samples = 0;
    auto loss = nn::classifier_loss(model);
    auto make_loss = [&](Tape<double>& t, const Tensor<double>& x, const Labels& y) {
        events.push_back("loss");
        samples += y.size();
        at_loss = values_of(params);
        hand = hand_ce(logits_of(model, x), y);  // the same batch and weights, by hand
        hand_sum += hand.loss;
        return loss(t, x, y);
    };
    nn::StepHooks<double> hooks;
    hooks.after_backward = [&](Tape<double>&) {
        events.push_back("backward");
        before = values_of(params);
        for (std::size_t k = 0; k < params.size(); ++k) BOOST_TEST((before[k] == at_loss[k]), params[k]->name);
        grads.clear();
        for (auto* p : params) grads.push_back(p->grad);
        // ∂L/∂b of the last layer = mean over the batch of softmax − onehot.
        const std::size_t b = hand.dz.shape(0);
        for (std::size_t k = 0; k < 2; ++k) {
            double g = 0;
            for (std::size_t i = 0; i < b; ++i) g += hand.dz(i, k) / double(b);
            BOOST_TEST(bias.grad(k) == g, boost::test_tools::tolerance(1e-12));
        }
    };
    hooks.after_step = [&](long step, double l) {
        events.push_back("step");
        steps.push_back(step);
        BOOST_TEST(l == hand.loss, boost::test_tools::tolerance(1e-12));
        for (std::size_t k = 0; k < params.size(); ++k)  // updated by exactly −lr·(the gradient after_backward saw)
            BOOST_TEST((params[k]->value == before[k] - kLr * grads[k]), params[k]->name);
    };

    long step = 0;
    for (long epoch = 1; epoch <= 2; ++epoch) {
        hand_sum = 0;
        samples = 0;
        const double mean = nn::train_epoch(loader, tape, opt, make_loss, {"test run A", epoch}, step, hooks);
        BOOST_TEST(mean == hand_sum / 3, boost::test_tools::tolerance(1e-12));  // mean of the 3 batch losses
        BOOST_TEST(samples == 40u);  // every sample once per epoch
    }
    BOOST_TEST(step == 6);
    BOOST_TEST(steps == (std::vector<long>{1, 2, 3, 4, 5, 6}), boost::test_tools::per_element());
    BOOST_TEST(opt.steps() == 6u);
    std::vector<std::string> order;
    for (int i = 0; i < 6; ++i) order.insert(order.end(), {"loss", "backward", "step"});
    BOOST_TEST(events == order, boost::test_tools::per_element());
    // No batches: nothing happens, 0 is returned.
    struct Empty {
        void start_epoch() {}
        bool next(Tensor<double>&, Labels&) { return false; }
    } empty;
    BOOST_TEST(nn::train_epoch(empty, tape, opt, make_loss, {"test run A", 3}, step, hooks) == 0.0);
    BOOST_TEST(step == 6);
}

BOOST_AUTO_TEST_CASE(a_non_finite_loss_names_the_place_and_parameters_before_the_optimizer_runs) {
    data::Dataset<double> ds = blobs(40);
    data::BatchLoader<double> loader(ds, 16, false, 0);
    Rng rng(0);
    nn::DNN<double> model(4, 8, 2, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> opt(model.parameters(), nn::SGDOptions{0.1, 0.9, 0.0, false});
    Tape<double> tape;
    std::vector<Tensor<double>> last_values, last_buffers;
    nn::StepHooks<double> hooks;
    hooks.after_step = [&](long, double) {
        last_values = values_of(model.parameters());
        last_buffers.clear();
        for (const auto& s : opt.state()) last_buffers.push_back(*s.tensor);
    };
    long step = 0;
    nn::train_epoch(loader, tape, opt, nn::classifier_loss(model), {"test run A", 1}, step, hooks);  // steps 1–3
    ds.x(20, 1) = std::numeric_limits<double>::quiet_NaN();  // sample 20: the second batch of epoch 2
    std::string what;
    try {
        nn::train_epoch(loader, tape, opt, nn::classifier_loss(model), {"test run A", 2}, step, hooks);
    } catch (const ValueError& e) {
        what = e.what();
    }
    BOOST_TEST(what ==
               "test run A, epoch 2, step 5: loss became nan (lower the learning rate); non-finite gradients in "
               "'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias'");
    BOOST_TEST(step == 5);
    BOOST_TEST(opt.steps() == 4u);  // step 5 never reached the optimizer: weights and buffers as after step 4
    const auto now = values_of(model.parameters());
    for (std::size_t k = 0; k < now.size(); ++k) BOOST_TEST((now[k] == last_values[k]), "parameter " << k);
    const auto state = opt.state();
    BOOST_REQUIRE(state.size() == last_buffers.size());
    for (std::size_t k = 0; k < state.size(); ++k) BOOST_TEST((*state[k].tensor == last_buffers[k]), state[k].name);
    // check_finite_loss on its own: inf, with a weight that is no longer finite.
    model.parameter("layers.1.weight").value(0, 3) = -std::numeric_limits<double>::infinity();
    for (auto* p : model.parameters()) p->grad.fill(0.0);
    BOOST_CHECK_NO_THROW(nn::check_finite_loss<double>("here", 1.5, model.parameters()));
    BOOST_CHECK_EXCEPTION(nn::check_finite_loss<double>("here", INFINITY, model.parameters()), ValueError,
                          [](const ValueError& e) {
                              return std::string(e.what()) ==
                                     "here: loss became inf (lower the learning rate); non-finite values in 'layers.1.weight'";
                          });
}

BOOST_AUTO_TEST_CASE(accuracy_equals_a_hand_count_in_any_batch_size) {
    const data::Dataset<double> ds = blobs(37);
    Rng rng(5);
    nn::DNN<double> model(4, 8, 2, 2, true, nn::Activation::ReLU, rng);
    const Tensor<double> z = logits_of(model, ds.x);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < 37; ++i) correct += (z(i, 1) > z(i, 0) ? 1 : 0) == ds.y[i];
    BOOST_TEST(correct > 0u);
    BOOST_TEST(correct < 37u);  // neither all right nor all wrong: the count is informative
    for (std::size_t batch : {1u, 10u, 37u, 100u})
        BOOST_TEST(nn::accuracy(model, ds.x, ds.y, {4}, batch) == double(correct) / 37.0, "batch " << batch);
    // Other labels: the accuracy follows them.
    Labels flipped = ds.y;
    for (int& v : flipped) v = 1 - v;
    BOOST_TEST(nn::accuracy(model, ds.x, flipped, {4}, 8) == double(37 - correct) / 37.0);
}

BOOST_AUTO_TEST_SUITE_END()
