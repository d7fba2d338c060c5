// Models against PyTorch: forward values, losses, and every parameter gradient (fixtures from
// tests/fixtures/make_nn_fixtures.py), plus construction errors and init statistics.
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "autodiff/ops_misc.hpp"
#include "fixtures.hpp"
#include "nn/cnn.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/staircase.hpp"
#include "nn/vae.hpp"

using namespace gt;
using namespace gt::test;
using Types = boost::mpl::list<float, double>;

BOOST_AUTO_TEST_SUITE(models)

BOOST_AUTO_TEST_CASE_TEMPLATE(dnn_matches_torch, T, Types) {
    Rng rng(0);
    nn::DNN<T> model(20, 16, 5, 2, true, nn::Activation::GELU, rng);
    load_params(model.parameters(), "dnn");
    Tape<T> tape;
    auto out = model.forward(tape, tape.input(fixture<T>("dnn__x")));  // (6, 4, 5) flattened inside
    BOOST_TEST(out.layer_inputs.size() == 3u);
    BOOST_TEST(out.pre_activations.size() == 3u);
    BOOST_TEST(out.hidden.size() == 2u);
    BOOST_TEST(out.layer_inputs[1].index == out.hidden[0].index);
    BOOST_TEST(out.pre_activations[2].index == out.logits.index);
    BOOST_TEST(shape_str(out.layer_inputs[0].shape()) == "(6, 20)");
    auto loss = nn::cross_entropy_loss(out.logits, fixture_labels("dnn__y"));
    tape.backward(loss);
    BOOST_TEST(rel_err(out.logits.value(), fixture<double>("dnn__logits")) < tol<T>());
    BOOST_TEST(std::abs(double(loss.item()) - fixture<double>("dnn__loss")(0)) < tol<T>());
    check_params(model.parameters(), "dnn", "grad.", true);
    for (int i = 0; i < 2; ++i) {
        const std::string h = "dnn__hidden" + std::to_string(i), gh = "dnn__grad.hidden" + std::to_string(i);
        BOOST_TEST(rel_err(out.hidden[i].value(), fixture<double>(h)) < tol<T>());
        BOOST_TEST(rel_err(tape.grad(out.hidden[i]), fixture<double>(gh)) < tol<T>());
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cnn_matches_torch, T, Types) {
    Rng rng(0);
    nn::CNNOptions opt;
    opt.channels = 4;
    nn::CNN<T> model(3, 8, 8, 5, rng, opt);
    BOOST_TEST(model.classifier().in_features() == 16u);  // 4 channels · 2 · 2 after two pools
    load_params(model.parameters(), "cnn");
    Tape<T> tape;
    auto out = model.forward(tape, tape.input(fixture<T>("cnn__x")));
    auto loss = nn::cross_entropy_loss(out.logits, fixture_labels("cnn__y"));
    tape.backward(loss);
    BOOST_TEST(rel_err(out.logits.value(), fixture<double>("cnn__logits")) < tol<T>());
    BOOST_TEST(std::abs(double(loss.item()) - fixture<double>("cnn__loss")(0)) < tol<T>());
    check_params(model.parameters(), "cnn", "grad.", true);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(vae_matches_torch, T, Types) {
    Rng rng(0);
    nn::VAE<T> model(12, rng, 16, 3);
    load_params(model.parameters(), "vae");
    Tape<T> tape;
    auto x = tape.input(fixture<T>("vae__x"));
    auto out = model.forward(tape, x, fixture<T>("vae__eps"));
    auto loss = nn::vae_loss(out.recon, out.x, out.mu, out.logvar, T(0.5));
    tape.backward(loss);
    for (const char* n : {"recon", "mu", "logvar"}) {
        const Var<T> v = std::string(n) == "recon" ? out.recon : std::string(n) == "mu" ? out.mu : out.logvar;
        BOOST_TEST(rel_err(v.value(), fixture<double>(std::string("vae__") + n)) < tol<T>(), n);
    }
    BOOST_TEST(std::abs(double(loss.item()) - fixture<double>("vae__loss")(0)) < tol<T>() * 10);
    check_params(model.parameters(), "vae", "grad.", true);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(staircase_matches_torch, T, Types) {
    Rng rng(0);
    nn::StaircaseNet<T> model(10, 8, rng);
    load_params(model.parameters(), "staircase");
    Tape<T> tape;
    auto out = model.forward(tape, tape.input(fixture<T>("staircase__x")));
    auto loss = nn::mse_loss(out.output, tape.input(fixture<T>("staircase__y")));
    tape.backward(loss);
    BOOST_TEST(rel_err(out.output.value(), fixture<double>("staircase__out")) < tol<T>());
    BOOST_TEST(std::abs(double(loss.item()) - fixture<double>("staircase__loss")(0)) < tol<T>());
    check_params(model.parameters(), "staircase", "grad.", true);
    BOOST_TEST(shape_str(out.hidden2.shape()) == "(7, 8)");
}

BOOST_AUTO_TEST_CASE(parameter_names_follow_torch_state_dict) {
    Rng rng(0);
    nn::VAE<double> vae(12, rng, 16, 3);
    std::string names;
    for (auto* p : vae.parameters()) names += p->name + " ";
    BOOST_TEST(names ==
               "encoder.0.weight encoder.0.bias encoder.2.weight encoder.2.bias fc_mu.weight fc_mu.bias "
               "fc_logvar.weight fc_logvar.bias decoder.0.weight decoder.0.bias decoder.2.weight decoder.2.bias "
               "decoder.4.weight decoder.4.bias ");
    nn::DNN<double> dnn(4, 3, 2, 3, false, nn::Activation::ReLU, rng);
    BOOST_TEST(dnn.parameters().size() == 4u);  // bias-free: one weight per layer
    BOOST_TEST(dnn.linears().size() == 4u);
    BOOST_TEST(dnn.parameters()[3]->name == "layers.3.weight");
    BOOST_CHECK_THROW(dnn.parameter("layers.9.weight"), ValueError);
}

// Init: U(±1/√fan_in) for weight and bias; N(0, 1/fan_in) for the staircase (moments, by closed form).
BOOST_AUTO_TEST_CASE(init_distributions) {
    Rng rng(42);
    nn::Linear<double> lin(400, 300, true, rng);
    const double bound = 1.0 / 20.0;
    double mx = 0, s2 = 0;
    for (double v : lin.weight.value) {
        mx = std::max(mx, std::abs(v));
        s2 += v * v;
    }
    BOOST_TEST(mx <= bound);
    BOOST_TEST(mx > 0.99 * bound);
    const double var = s2 / lin.weight.value.size();  // U(−b, b) has variance b²/3
    BOOST_TEST(std::abs(var / (bound * bound / 3) - 1) < 0.02);
    for (double v : lin.bias.value) BOOST_TEST(std::abs(v) <= bound);

    nn::Conv2d<double> conv(4, 8, 3, 1, 1, true, rng);
    for (double v : conv.weight.value) BOOST_TEST(std::abs(v) <= 1.0 / 6.0);  // fan_in 4·3·3 = 36

    nn::StaircaseNet<double> st(10, 512, rng);
    double q = 0;
    for (double v : st.layer(1).weight.value) q += v * v;
    BOOST_TEST(std::abs(q / st.layer(1).weight.value.size() * 512 - 1) < 0.02);  // variance 1/fan_in

    Rng a(7), b(7);  // same seed → same weights
    nn::DNN<float> m1(5, 4, 3, 2, true, nn::Activation::GELU, a), m2(5, 4, 3, 2, true, nn::Activation::GELU, b);
    for (std::size_t i = 0; i < m1.parameters().size(); ++i)
        BOOST_TEST(rel_err(m1.parameters()[i]->value, m2.parameters()[i]->value) == 0.0);
}

BOOST_AUTO_TEST_CASE(model_errors_name_what_and_where) {
    Rng rng(0);
    BOOST_CHECK_EXCEPTION(nn::DNN<double>(4, 3, 2, 0, true, nn::Activation::GELU, rng), ValueError,
                          [](const ValueError& e) { return std::string(e.what()).find("num_hidden") != std::string::npos; });
    BOOST_CHECK_THROW(nn::Linear<double>(0, 3, true, rng, "fc"), ValueError);
    nn::CNNOptions bad;
    bad.pool_after = {5};
    BOOST_CHECK_THROW(nn::CNN<double>(1, 28, 28, 10, rng, bad), ValueError);
    BOOST_CHECK_THROW(nn::parse_activation("swish"), ValueError);
    BOOST_TEST((nn::parse_activation("tanh") == nn::Activation::Tanh));

    nn::DNN<double> dnn(6, 3, 2, 1, true, nn::Activation::GELU, rng);
    Tape<double> tape;
    Tensor<double> x = Tensor<double>::from_shape({2, 5});
    x.fill(0.1);
    BOOST_CHECK_EXCEPTION(dnn.forward(tape, tape.input(x)), ShapeError, [](const ShapeError& e) {
        const std::string m = e.what();
        return m.find("DNN::forward") != std::string::npos && m.find("(2, 5)") != std::string::npos;
    });
    nn::CNN<double> cnn(1, 28, 28, 10, rng);
    BOOST_TEST(cnn.classifier().in_features() == 16u * 7 * 7);
    Tensor<double> img = Tensor<double>::from_shape({2, 3, 28, 28});
    BOOST_CHECK_THROW(cnn.forward(tape, tape.input(img)), ShapeError);
}

BOOST_AUTO_TEST_CASE(count_correct_uses_first_argmax) {
    Tensor<double> logits = {{1, 3, 3}, {5, 0, 1}, {0, 0, 0}};
    BOOST_TEST(nn::count_correct(logits, Labels{1, 0, 0}) == 3u);
    BOOST_TEST(nn::count_correct(logits, Labels{2, 1, 2}) == 0u);
    BOOST_CHECK_THROW(nn::count_correct(logits, Labels{1, 0}), ShapeError);
}

BOOST_AUTO_TEST_SUITE_END()
