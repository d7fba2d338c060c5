// Eq. (1) read off the tape: ∇_h L hᵀ (from the tape's feature gradients) must equal Wᵀ∇_W L (from the
// tape's weight gradients) to round-off, for every layer of MLPs and CNNs, with and without bias.
#include <boost/test/unit_test.hpp>

#include <deque>

#include "analysis/feature_learning.hpp"
#include "autodiff/ops_conv.hpp"
#include "autodiff/ops_shape.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;
using gt::testing::random_matrix;

namespace {

struct Net {
    Tape<double> tape;
    std::deque<Tensor<double>> values, grads;
    std::vector<std::pair<Var<double>, Var<double>>> layers;  // (h, W) per weight layer
    std::vector<bool> conv;

    Var<double> param(Rng& rng, const Shape& shape) {
        Tensor<double> v = Tensor<double>::from_shape(shape);
        for (auto& e : v) e = rng.uniform(-0.5, 0.5);
        values.push_back(v);
        grads.emplace_back();
        return tape.parameter(values.back(), grads.back());
    }
};

// depth weight layers with random widths; GELU between; mean cross-entropy.
void build_mlp(Net& net, Rng& rng, std::size_t batch, std::size_t depth, bool bias) {
    std::size_t fan_in = 3 + rng.below(12);
    Var<double> h = net.tape.input(random_matrix(rng, batch, fan_in), true);
    const std::size_t classes = 2 + rng.below(6);
    for (std::size_t l = 0; l < depth; ++l) {
        const std::size_t out = l + 1 == depth ? classes : 2 + rng.below(20);
        Var<double> w = net.param(rng, {out, fan_in});
        Var<double> b = bias ? net.param(rng, {out}) : Var<double>{};
        net.layers.push_back({h, w});
        net.conv.push_back(false);
        Var<double> z = linear(h, w, b);
        h = l + 1 == depth ? z : gelu(z);
        fan_in = out;
    }
    Labels y(batch);
    for (auto& v : y) v = int(rng.below(classes));
    net.tape.backward(cross_entropy(h, y));
}

// conv layer in the unfold form: U = unfold(x), rows = patches, z = rows·W̃ᵀ (+b), back to NCHW.
Var<double> unfold_conv(Net& net, Var<double> x, Var<double> kernel, Var<double> b, std::size_t pad) {
    const Shape xs = x.shape(), ks = kernel.shape();
    const std::size_t B = xs[0], H = xs[2], W = xs[3], cout = ks[0], D = ks[1] * ks[2] * ks[3];
    const std::size_t Ho = H + 2 * pad - ks[2] + 1, Wo = W + 2 * pad - ks[3] + 1, L = Ho * Wo;
    Var<double> u = unfold(x, Conv2dGeometry{ks[2], ks[3], 1, pad});
    net.layers.push_back({u, kernel});
    net.conv.push_back(true);
    Var<double> rows = reshape(permute(u, {0, 2, 1}), {B * L, D});
    Var<double> z = linear(rows, reshape(kernel, {cout, D}), b);
    return reshape(permute(reshape(z, {B, L, cout}), {0, 2, 1}), {B, cout, Ho, Wo});
}

}  // namespace

BOOST_AUTO_TEST_CASE(fl_equation_holds_for_every_mlp_layer) {
    for (std::uint64_t seed = 0; seed < 6; ++seed)
        for (bool bias : {true, false}) {
            Rng rng(seed);
            Net net;
            build_mlp(net, rng, 1 + rng.below(40), 2 + rng.below(3), bias);
            for (std::size_t l = 0; l < net.layers.size(); ++l) {
                const auto [h, w] = net.layers[l];
                const FlSides<double> fl = feature_learning(net.tape, h, w);
                BOOST_TEST_CONTEXT("seed " << seed << " bias " << bias << " layer " << l) {
                    BOOST_TEST(fl.residual < 1e-12);
                    BOOST_TEST(gt::testing::norm(fl.rhs) > 0.0);
                    // LHS orientation: (Σ_i ∇_{h_i}L h_iᵀ)_{jk} = Σ_i dh_ij h_ik, by loops.
                    const Tensor<double> ref = gt::testing::loop_product(
                        gt::testing::loop_transpose(net.tape.grad(h)), net.tape.value(h));
                    BOOST_TEST(gt::testing::rel_diff(fl.lhs, ref) < 1e-13);
                }
            }
        }
}

BOOST_AUTO_TEST_CASE(fl_equation_from_tensors_matches_the_tape_overload) {
    Rng rng(3);
    Net net;
    build_mlp(net, rng, 9, 3, true);
    const auto [h, w] = net.layers[1];
    const FlSides<double> a = feature_learning(net.tape, h, w);
    const FlSides<double> b = feature_learning<double>(net.tape.value(h), net.tape.grad(h), net.tape.value(w),
                                                       net.tape.grad(w));
    BOOST_TEST(gt::testing::rel_diff(a.lhs, b.lhs) == 0.0);
    BOOST_TEST(gt::testing::rel_diff(a.rhs, b.rhs) == 0.0);
}

BOOST_AUTO_TEST_CASE(fl_equation_conv_form_holds_for_every_cnn_layer) {
    for (std::uint64_t seed = 0; seed < 4; ++seed)
        for (bool bias : {true, false}) {
            Rng rng(100 + seed);
            Net net;
            const std::size_t B = 1 + rng.below(4), S = 4 + rng.below(4), C1 = 2 + rng.below(4);
            Tensor<double> x = Tensor<double>::from_shape({B, 2, S, S});
            for (auto& e : x) e = rng.normal();
            Var<double> h = net.tape.input(x, true);
            Var<double> k1 = net.param(rng, {C1, 2, 3, 3});
            h = relu(unfold_conv(net, h, k1, bias ? net.param(rng, {C1}) : Var<double>{}, 1));
            Var<double> k2 = net.param(rng, {3, C1, 2, 2});
            h = gelu(unfold_conv(net, h, k2, bias ? net.param(rng, {3}) : Var<double>{}, 0));
            const std::size_t flat = 3 * (S - 1) * (S - 1);
            h = reshape(h, {B, flat});
            Var<double> wo = net.param(rng, {4, flat});
            net.layers.push_back({h, wo});
            net.conv.push_back(false);
            Labels y(B);
            for (auto& v : y) v = int(rng.below(4));
            net.tape.backward(cross_entropy(linear(h, wo, bias ? net.param(rng, {4}) : Var<double>{}), y));
            for (std::size_t l = 0; l < net.layers.size(); ++l) {
                const auto [u, w] = net.layers[l];
                const FlSides<double> fl =
                    net.conv[l] ? feature_learning_conv(net.tape, u, w) : feature_learning(net.tape, u, w);
                BOOST_TEST_CONTEXT("seed " << seed << " bias " << bias << " layer " << l) {
                    BOOST_TEST(fl.residual < 1e-12);
                    BOOST_TEST(gt::testing::norm(fl.rhs) > 0.0);
                }
            }
        }
}

BOOST_AUTO_TEST_CASE(unfold_form_is_the_same_convolution_as_conv2d) {
    // The conv form is only meaningful if the unfold network is an ordinary convolution: same output
    // and same kernel gradient as gt::conv2d.
    Rng rng(7);
    Net a;
    Tensor<double> x = Tensor<double>::from_shape({2, 3, 5, 5});
    for (auto& e : x) e = rng.normal();
    Var<double> k = a.param(rng, {4, 3, 3, 3});
    Var<double> b = a.param(rng, {4});
    Var<double> out_a = unfold_conv(a, a.tape.input(x, true), k, b, 1);
    a.tape.backward(sum(mul(out_a, out_a)));

    Tape<double> t;
    Tensor<double> gk, gb;
    Var<double> kk = t.parameter(a.values[0], gk), bb = t.parameter(a.values[1], gb);
    Var<double> out_b = conv2d(t.input(x, true), kk, bb, 1, 1);
    t.backward(sum(mul(out_b, out_b)));
    BOOST_TEST(gt::testing::rel_diff(out_a.value(), out_b.value()) < 1e-14);
    BOOST_TEST(gt::testing::rel_diff(a.grads[0], gk) < 1e-13);
}

BOOST_AUTO_TEST_CASE(fl_equation_in_float_holds_to_float_round_off) {
    Rng rng(11);
    Tape<float> t;
    Tensor<float> w = xt::cast<float>(random_matrix(rng, 7, 5, 0.4)), gw;
    Var<float> h = t.input(Tensor<float>(xt::cast<float>(random_matrix(rng, 13, 5))), true);
    Var<float> wv = t.parameter(w, gw);
    Var<float> z = gelu(linear(h, wv));
    t.backward(mean(mul(z, z)));
    BOOST_TEST(feature_learning(t, h, wv).residual < 1e-5);
}

BOOST_AUTO_TEST_CASE(fl_equation_rejects_mismatched_shapes) {
    Rng rng(0);
    const Tensor<double> h = random_matrix(rng, 4, 3), w = random_matrix(rng, 2, 5);
    using gt::testing::throws_with;
    BOOST_TEST(throws_with<ShapeError>([&] { feature_learning<double>(h, h, w, w); },
                                       {"feature_learning", "share d_in", "(4, 3)", "(2, 5)"}));
    const Tensor<double> dh = random_matrix(rng, 4, 2);
    BOOST_TEST(throws_with<ShapeError>([&] { feature_learning<double>(h, dh, w, w); },
                                       {"feature_learning", "gradient", "(4, 3)", "(4, 2)"}));
    BOOST_TEST(throws_with<ShapeError>([&] { feature_learning_conv<double>(h, h, w, w); },
                                       {"feature_learning_conv", "(B, D, L)", "(4, 3)"}));
    Tensor<double> v = xt::zeros<double>({5});
    BOOST_TEST(throws_with<ShapeError>([&] { feature_learning<double>(v, v, w, w); }, {"2-D", "(5,)"}));
}

BOOST_AUTO_TEST_CASE(patches_as_rows_orders_samples_by_batch_then_position) {
    Tensor<double> u = Tensor<double>::from_shape({2, 3, 4});  // (B, D, L)
    for (std::size_t i = 0; i < u.size(); ++i) u.data()[i] = double(i);
    const Tensor<double> r = patches_as_rows(u, "test");
    BOOST_TEST(r.shape()[0] == 8u);
    BOOST_TEST(r.shape()[1] == 3u);
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t d = 0; d < 3; ++d)
            for (std::size_t l = 0; l < 4; ++l) BOOST_TEST(r(b * 4 + l, d) == u(b, d, l));
}
