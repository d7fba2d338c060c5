// Gram whitening: the Gram of the whitened weight equals the plain step's Gram (paper §2, App. B.1).
// Deviations are recomputed here from the in×in Grams, independently of the optimizer's own formula.
#include <cmath>
#include <memory>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "fixtures.hpp"
#include "nn/dnn.hpp"
#include "nn/gram_whiten.hpp"
#include "nn/losses.hpp"
#include "nn/polar.hpp"
#include "nn/sgd.hpp"

using namespace gt;
using namespace gt::test;

namespace {

/// ‖AᵀA − BᵀB‖_F / ‖BᵀB‖_F from the explicit in×in Grams.
double gram_deviation(const Tensor<double>& a, const Tensor<double>& b) {
    const Tensor<double> ga = matmul_plain(a, a, true, false), gb = matmul_plain(b, b, true, false);
    return rel_err(ga, gb);
}

Tensor<double> random_matrix(std::size_t m, std::size_t n, Rng& rng, double scale = 1.0) {
    Tensor<double> t = Tensor<double>::from_shape({m, n});
    for (double& v : t) v = rng.normal(0.0, scale);
    return t;
}

/// One SGD step (lr 0.01) of the Figure-2 MLP at init on a random MNIST-like batch, whitened with
/// `method`; returns, per weight, (direct deviation, the optimizer's reported deviation).
std::vector<std::pair<double, double>> figure2_step(nn::PolarMethod method) {
    Rng rng(3);
    nn::DNN<double> model(784, 256, 10, 2, true, nn::Activation::GELU, rng);
    Tensor<double> x = Tensor<double>::from_shape({64, 784});
    for (double& v : x) v = rng.uniform();
    Labels y(64);
    for (int& c : y) c = static_cast<int>(rng.below(10));
    nn::SGDOptions so;
    so.lr = 0.01;
    so.momentum = 0.95;
    nn::GramWhitenOptions wo;
    wo.method = method;
    nn::GramWhiten<double> opt(std::make_unique<nn::SGD<double>>(model.parameters(), so), wo);
    Tape<double> tape;
    tape.backward(nn::cross_entropy_loss(model.forward(tape, tape.input(x)).logits, y));
    // The plain step W̃ = W − lr·g (first momentum step: buf = g), computed here.
    std::vector<Tensor<double>> plain;
    for (auto* l : model.linears()) plain.push_back(l->weight.value - 0.01 * l->weight.grad);
    opt.step();
    std::vector<std::pair<double, double>> r;
    for (std::size_t i = 0; i < plain.size(); ++i)
        r.emplace_back(gram_deviation(model.linears()[i]->weight.value, plain[i]), opt.gram_deviation()[i]);
    return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gram_whitening)

// Closed form: on a diagonal A the iteration acts on each entry by p(x) = x(15 − 10x² + 3x⁴)/8.
BOOST_AUTO_TEST_CASE(newton_schulz_on_diagonal_is_the_scalar_quintic) {
    const std::vector<double> d = {3.0, -1.0, 0.2, 0.001};
    Tensor<double> a = Tensor<double>::from_shape({4, 4});
    a.fill(0.0);
    double norm = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        a(i, i) = d[i];
        norm += d[i] * d[i];
    }
    norm = std::sqrt(norm) + 1e-8;
    Tensor<double> q;
    nn::PolarWorkspace<double> ws;
    nn::newton_schulz_polar(a, 10, q, ws);
    for (std::size_t i = 0; i < 4; ++i) {
        double x = d[i] / norm;
        for (int k = 0; k < 10; ++k) x = x * (15 - 10 * x * x + 3 * x * x * x * x) / 8;
        BOOST_TEST(q(i, i) == x, boost::test_tools::tolerance(1e-13));
        for (std::size_t j = 0; j < 4; ++j)
            if (j != i) BOOST_TEST(q(i, j) == 0.0);
    }
    BOOST_TEST(std::abs(q(0, 0) - 1.0) < 1e-12);   // large singular values converge to ±1 …
    BOOST_TEST(std::abs(q(3, 3)) < 0.5);           // … but 0.001/3.2 ≈ 3e-4 (below 1/540) has not (§1.6)
}

BOOST_AUTO_TEST_CASE(svd_polar_is_orthogonal_and_agrees_with_newton_schulz_when_well_conditioned) {
    Rng rng(1);
    // A = R·diag(1..2)·R' with R, R' orthogonal (polar factors of random matrices): well conditioned.
    Tensor<double> r1, r2;
    nn::svd_polar(random_matrix(8, 8, rng), r1);
    nn::svd_polar(random_matrix(8, 8, rng), r2);
    BOOST_TEST(rel_err(matmul_plain(r1, r1, true, false), Tensor<double>(xt::eye<double>(8))) < 1e-13);
    Tensor<double> s = xt::zeros<double>({8, 8});
    for (std::size_t i = 0; i < 8; ++i) s(i, i) = 1.0 + i / 7.0;
    const Tensor<double> a = matmul_plain(matmul_plain(r1, s), r2);
    Tensor<double> q_exact, q_ns;
    nn::svd_polar(a, q_exact);
    nn::PolarWorkspace<double> ws;
    nn::newton_schulz_polar(a, 10, q_ns, ws);
    const Tensor<double> want = matmul_plain(r1, r2);  // the polar factor by construction
    BOOST_TEST(rel_err(q_exact, want) < 1e-12);
    BOOST_TEST(rel_err(q_ns, want) < 1e-12);
}

BOOST_AUTO_TEST_CASE(exact_polar_preserves_the_gram_to_roundoff) {
    const auto devs = figure2_step(nn::PolarMethod::SVD);
    for (std::size_t i = 0; i < devs.size(); ++i) {
        BOOST_TEST_MESSAGE("SVD polar, layer " << i << ": Gram deviation " << devs[i].first << " (reported "
                                               << devs[i].second << ")");
        BOOST_TEST(devs[i].first < 1e-10);
        BOOST_TEST(std::abs(devs[i].second - devs[i].first) < 1e-10);
    }
}

BOOST_AUTO_TEST_CASE(newton_schulz_preserves_the_gram_of_a_wide_layer) {
    const auto devs = figure2_step(nn::PolarMethod::NewtonSchulz);
    // 256×784 first layer: W1·W2ᵀ is well conditioned at init, 10 steps suffice.
    BOOST_TEST(devs[0].first < 1e-3);
    BOOST_TEST(std::abs(devs[0].second - devs[0].first) <= 1e-6 * devs[0].first + 1e-12);
    // The square 256×256 layer's smallest singular values do not converge in 10 steps (reported only).
    BOOST_TEST_MESSAGE("Newton–Schulz Gram deviation: 256×784 " << devs[0].first << ", 256×256 " << devs[1].first
                                                                << ", 10×256 " << devs[2].first);
    BOOST_TEST(devs[1].first < 0.1);
    std::printf("[gram_whitening] Newton–Schulz Gram deviation after one step at init: 256x784 %.3g, 256x256 %.3g, "
                "10x256 %.3g\n",
                devs[0].first, devs[1].first, devs[2].first);
}

// The whitened weight is the Procrustes solution: closer to W1 than the plain step, same Gram.
BOOST_AUTO_TEST_CASE(whitened_step_is_closer_to_the_old_weight) {
    Rng rng(5);
    nn::Parameter<double> w("w", random_matrix(6, 15, rng, 0.3));
    const Tensor<double> w1 = w.value;
    w.grad = random_matrix(6, 15, rng);
    nn::SGDOptions so;
    so.lr = 0.05;
    nn::GramWhitenOptions wo;
    wo.method = nn::PolarMethod::SVD;
    nn::GramWhiten<double> opt(std::make_unique<nn::SGD<double>>(std::vector<nn::Parameter<double>*>{&w}, so), wo);
    const Tensor<double> plain = w1 - 0.05 * w.grad;
    opt.step();
    BOOST_TEST(gram_deviation(w.value, plain) < 1e-12);
    BOOST_TEST(rel_err(w.value, w1) <= rel_err(plain, w1));
    // Any other orthogonal Q·W̃ (here a random one) is no closer than the polar solution.
    Tensor<double> r;
    nn::svd_polar(random_matrix(6, 6, rng), r);
    BOOST_TEST(rel_err(w.value, w1) <= rel_err(matmul_plain(r, plain), w1));
}

BOOST_AUTO_TEST_CASE(polar_errors) {
    Tensor<double> q;
    nn::PolarWorkspace<double> ws;
    BOOST_CHECK_THROW(nn::newton_schulz_polar(Tensor<double>::from_shape({3}), 10, q, ws), ShapeError);
    BOOST_CHECK_THROW(nn::newton_schulz_polar(Tensor<double>(xt::eye<double>(3)), -1, q, ws), ValueError);
    BOOST_CHECK_THROW(nn::svd_polar(Tensor<double>::from_shape({2, 2, 2}), q), ShapeError);
}

BOOST_AUTO_TEST_SUITE_END()
