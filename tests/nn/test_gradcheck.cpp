// Whole-model gradient checks in double: every parameter gradient of each model against central
// differences of the loss, ‖g − ĝ‖/‖g + ĝ‖ < 1e-6 (docs/ops.md). Independent of the PyTorch fixtures.
#include <functional>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "fixtures.hpp"
#include "nn/cnn.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/staircase.hpp"
#include "nn/vae.hpp"

using namespace gt;
using namespace gt::test;

namespace {

using LossFn = std::function<Var<double>(Tape<double>&)>;

/// Max over parameters of ‖g − ĝ‖/‖g + ĝ‖, ĝ by central differences with step h.
double model_gradcheck(nn::Module<double>& model, const LossFn& loss, double h = 1e-6) {
    Tape<double> tape;
    model.zero_grad();
    tape.backward(loss(tape));
    double worst = 0;
    for (nn::Parameter<double>* p : model.parameters()) {
        double num = 0, den = 0;
        for (std::size_t i = 0; i < p->value.size(); ++i) {
            double& w = p->value.data()[i];
            const double w0 = w;
            w = w0 + h;
            tape.reset();
            const double up = loss(tape).item();
            w = w0 - h;
            tape.reset();
            const double down = loss(tape).item();
            w = w0;
            const double fd = (up - down) / (2 * h), g = p->grad.data()[i];
            num += (g - fd) * (g - fd);
            den += (g + fd) * (g + fd);
        }
        const double e = den > 0 ? std::sqrt(num / den) : 0.0;
        BOOST_TEST_MESSAGE(p->name << ": " << e);
        worst = std::max(worst, e);
    }
    return worst;
}

Tensor<double> randn(const Shape& s, Rng& rng) {
    Tensor<double> t = Tensor<double>::from_shape(s);
    for (double& v : t) v = rng.normal();
    return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_gradcheck_suite)

BOOST_AUTO_TEST_CASE(dnn_every_activation) {
    for (auto act : {nn::Activation::GELU, nn::Activation::Tanh, nn::Activation::Sigmoid, nn::Activation::Identity}) {
        Rng rng(1);
        nn::DNN<double> model(5, 6, 3, 2, true, act, rng);
        const Tensor<double> x = randn({4, 5}, rng);
        const Labels y = {0, 2, 1, 2};
        const double e = model_gradcheck(model, [&](Tape<double>& t) {
            return nn::cross_entropy_loss(model.forward(t, t.input(x)).logits, y);
        });
        BOOST_TEST(e < 1e-6, nn::to_string(act) << ": " << e);
    }
}

BOOST_AUTO_TEST_CASE(cnn) {
    Rng rng(2);
    nn::CNNOptions opt;
    opt.channels = 3;
    nn::CNN<double> model(2, 6, 6, 4, rng, opt);  // 6 → pool 3 → 3 → pool 1
    const Tensor<double> x = randn({2, 2, 6, 6}, rng);
    const Labels y = {1, 3};
    BOOST_TEST(model_gradcheck(model, [&](Tape<double>& t) {
                   return nn::cross_entropy_loss(model.forward(t, t.input(x)).logits, y);
               }) < 1e-6);
}

BOOST_AUTO_TEST_CASE(vae_with_fixed_noise) {
    Rng rng(3);
    nn::VAE<double> model(7, rng, 5, 2);
    Tensor<double> x = Tensor<double>::from_shape({3, 7});
    for (double& v : x) v = rng.uniform(0.05, 0.95);
    const Tensor<double> eps = randn({3, 2}, rng);
    BOOST_TEST(model_gradcheck(model, [&](Tape<double>& t) {
                   auto o = model.forward(t, t.input(x), eps);
                   return nn::vae_loss(o.recon, o.x, o.mu, o.logvar, 2.0);
               }) < 1e-6);
}

BOOST_AUTO_TEST_CASE(staircase_mse) {
    Rng rng(4);
    nn::StaircaseNet<double> model(10, 6, rng);
    const Tensor<double> x = randn({5, 10}, rng), y = randn({5, 1}, rng);
    BOOST_TEST(model_gradcheck(model, [&](Tape<double>& t) {
                   return nn::mse_loss(model.forward(t, t.input(x)).output, t.input(y));
               }) < 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
