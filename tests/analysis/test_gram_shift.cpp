// Theorem 1: ΔG = W⁺ᵀW⁺ − WᵀW equals the Virtual Covariance Shift plus the exact remainder R; without
// R the gap is O(γ²).
#include <boost/test/unit_test.hpp>

#include <deque>

#include "analysis/gram_shift.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;
using gt::testing::random_matrix;

namespace {

// A two-layer network on a fixed batch; returns the tape-read (h, dh, W, dW) of the layer asked for.
struct Read {
    Tensor<double> h, dh, w, dw;
};

Read two_layer(std::uint64_t seed, std::size_t layer, std::size_t batch) {
    Rng rng(seed);
    Tape<double> t;
    std::deque<Tensor<double>> vals{random_matrix(rng, 12, 6, 0.4), random_matrix(rng, 3, 12, 0.3)};
    std::deque<Tensor<double>> grads(2);
    Var<double> x = t.input(random_matrix(rng, batch, 6), true);
    Var<double> w0 = t.parameter(vals[0], grads[0]), w1 = t.parameter(vals[1], grads[1]);
    Var<double> h1 = tanh(linear(x, w0));
    Labels y(batch);
    for (auto& v : y) v = int(rng.below(3));
    t.backward(cross_entropy(linear(h1, w1), y));
    if (layer == 0) return {x.value(), t.grad(x), vals[0], grads[0]};
    return {h1.value(), t.grad(h1), vals[1], grads[1]};
}

}  // namespace

BOOST_AUTO_TEST_CASE(gram_shift_equals_vcs_plus_remainder_to_round_off) {
    for (std::uint64_t seed = 0; seed < 5; ++seed)
        for (std::size_t layer : {0u, 1u})
            for (double gamma : {0.05, 0.5, 2.0}) {
                const Read r = two_layer(seed, layer, 5 + 7 * seed);
                const GramShift<double> g = gram_shift<double>(r.h, r.dh, r.w, r.dw, gamma);
                BOOST_TEST_CONTEXT("seed " << seed << " layer " << layer << " gamma " << gamma) {
                    BOOST_TEST(g.residual_exact < 1e-12);
                    BOOST_TEST(g.residual_first > 10 * g.residual_exact);  // R is really needed
                }
            }
}

BOOST_AUTO_TEST_CASE(gram_shift_parts_match_their_definitions) {
    // Each part from its definition, by loops: ΔG from the updated weight, VCS from the virtually
    // updated samples, R from the gradients.
    const Read r = two_layer(4, 1, 6);
    const double gamma = 0.3;
    const GramShift<double> g = gram_shift<double>(r.h, r.dh, r.w, r.dw, gamma);
    const std::size_t d = r.h.shape()[1];
    Tensor<double> dg = xt::zeros<double>({d, d}), vcs = dg, rem = dg;
    for (std::size_t a = 0; a < d; ++a)
        for (std::size_t b = 0; b < d; ++b) {
            for (std::size_t o = 0; o < r.w.shape()[0]; ++o) {
                const double pa = r.w(o, a) - gamma * r.dw(o, a), pb = r.w(o, b) - gamma * r.dw(o, b);
                dg(a, b) += pa * pb - r.w(o, a) * r.w(o, b);
                rem(a, b) += gamma * gamma * r.dw(o, a) * r.dw(o, b);
            }
            for (std::size_t i = 0; i < r.h.shape()[0]; ++i) {
                const double pa = r.h(i, a) - gamma * r.dh(i, a), pb = r.h(i, b) - gamma * r.dh(i, b);
                vcs(a, b) += pa * pb - r.h(i, a) * r.h(i, b);
                rem(a, b) -= gamma * gamma * r.dh(i, a) * r.dh(i, b);
            }
        }
    BOOST_TEST(gt::testing::rel_diff(g.delta_gram, dg) < 1e-12);
    BOOST_TEST(gt::testing::rel_diff(g.vcs, vcs) < 1e-12);
    BOOST_TEST(gt::testing::rel_diff(g.remainder, rem) < 1e-12);
}

BOOST_AUTO_TEST_CASE(first_order_gap_shrinks_as_gamma_squared) {
    const Read r = two_layer(2, 0, 16);
    const double g0 = 0.2;
    const double e1 = gram_shift<double>(r.h, r.dh, r.w, r.dw, g0).abs_first;
    const double e2 = gram_shift<double>(r.h, r.dh, r.w, r.dw, g0 / 2).abs_first;
    const double e4 = gram_shift<double>(r.h, r.dh, r.w, r.dw, g0 / 4).abs_first;
    BOOST_TEST(e1 / e2 == 4.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(e2 / e4 == 4.0, boost::test_tools::tolerance(1e-6));
    // ... while ΔG itself is first order: halving γ about halves it.
    const double d1 = gt::testing::norm(gram_shift<double>(r.h, r.dh, r.w, r.dw, g0).delta_gram);
    const double d2 = gt::testing::norm(gram_shift<double>(r.h, r.dh, r.w, r.dw, g0 / 2).delta_gram);
    BOOST_TEST(d1 / d2 > 1.8);
    BOOST_TEST(d1 / d2 < 2.2);
}

BOOST_AUTO_TEST_CASE(single_sample_remainder_has_the_closed_form) {
    // One sample, z = W h: ∇_W L = ∇_z L hᵀ so γ²∇_WLᵀ∇_WL = γ²‖∇_z L‖² h hᵀ (notes §1.2).
    Rng rng(9);
    Tape<double> t;
    Tensor<double> w = random_matrix(rng, 4, 3), gw;
    Var<double> h = t.input(random_matrix(rng, 1, 3), true);
    Var<double> wv = t.parameter(w, gw);
    Var<double> z = linear(h, wv);
    t.backward(sum(mul(tanh(z), tanh(z))));
    const double gamma = 0.7;
    const GramShift<double> g = gram_shift(t, h, wv, gamma);
    const Tensor<double>& dz = t.grad(z);
    const Tensor<double>& dh = t.grad(h);
    const Tensor<double>& hv = h.value();
    double dz2 = 0;
    for (auto v : dz) dz2 += v * v;
    Tensor<double> expect = xt::zeros<double>({3, 3});
    for (std::size_t a = 0; a < 3; ++a)
        for (std::size_t b = 0; b < 3; ++b)
            expect(a, b) = gamma * gamma * (dz2 * hv(0, a) * hv(0, b) - dh(0, a) * dh(0, b));
    BOOST_TEST(gt::testing::rel_diff(g.remainder, expect) < 1e-13);
}

BOOST_AUTO_TEST_CASE(gram_shift_rejects_bad_input) {
    Rng rng(0);
    const Tensor<double> h = random_matrix(rng, 4, 3), w = random_matrix(rng, 2, 3);
    using gt::testing::throws_with;
    BOOST_TEST(throws_with<ValueError>([&] { gram_shift<double>(h, h, w, w, 0.0); }, {"gram_shift", "gamma > 0", "0"}));
    BOOST_TEST(throws_with<ValueError>([&] { gram_shift<double>(h, h, w, w, -1.0); }, {"gamma > 0"}));
    const Tensor<double> w2 = random_matrix(rng, 2, 4);
    BOOST_TEST(throws_with<ShapeError>([&] { gram_shift<double>(h, h, w2, w2, 0.1); }, {"gram_shift", "(2, 4)"}));
    const Tensor<double> dw = random_matrix(rng, 3, 3);
    BOOST_TEST(throws_with<ShapeError>([&] { gram_shift<double>(h, h, w, dw, 0.1); }, {"same shape", "(3, 3)"}));
}
