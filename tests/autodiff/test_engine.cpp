// Engine semantics: which gradients exist after backward, accumulation rules, grad(), hooks, no-grad,
// and the error paths (each message must name the op and the shapes or values involved).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "nn/vae_ops.hpp"

using namespace gt;
using namespace gt_test;
using V = Var<double>;

namespace {

// A small net with parameters outside the tape: x → linear → gelu → linear → cross-entropy.
struct Net {
    Tensor<double> W1, b1, W2, b2, gW1, gb1, gW2, gb2, X;
    Labels y{0, 2, 1, 2};
    explicit Net(std::uint64_t seed) {
        Rng r(seed);
        W1 = uniform(r, {5, 3});
        b1 = uniform(r, {5});
        W2 = uniform(r, {3, 5});
        b2 = uniform(r, {3});
        X = uniform(r, {4, 3});
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(engine)

BOOST_AUTO_TEST_CASE(every_intermediate_gradient_is_readable_and_correct) {
    Net n(1);
    Tape<double> t;
    V x = t.input(n.X, true), w1 = t.parameter(n.W1, n.gW1), b1 = t.parameter(n.b1, n.gb1);
    V w2 = t.parameter(n.W2, n.gW2), b2 = t.parameter(n.b2, n.gb2);
    V z1 = linear(x, w1, b1), h1 = gelu(z1), z2 = linear(h1, w2, b2), loss = cross_entropy(z2, n.y);
    t.backward(loss);
    for (V v : {x, w1, b1, w2, b2, z1, h1, z2, loss}) BOOST_TEST(t.has_grad(v));
    // Closed forms computed here: ∂z2 = (softmax − onehot)/N, ∂h1 = ∂z2·W2, ∂z1 = ∂h1 ⊙ gelu'(z1).
    const auto& Z2 = z2.value();
    Tensor<double> dz2 = Z2;
    for (std::size_t i = 0; i < 4; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < 3; ++j) s += std::exp(Z2(i, j));
        for (std::size_t j = 0; j < 3; ++j) dz2(i, j) = (std::exp(Z2(i, j)) / s - (int(j) == n.y[i])) / 4.0;
    }
    BOOST_TEST(rel_diff(t.grad(z2), dz2) < 1e-14);
    const Tensor<double> dh1 = matmul_plain(dz2, n.W2);
    BOOST_TEST(rel_diff(t.grad(h1), dh1) < 1e-14);
    Tensor<double> dz1 = dh1;
    for (std::size_t i = 0; i < dz1.size(); ++i) {
        const double z = z1.value().data()[i];
        dz1.data()[i] *= 0.5 * (1 + std::erf(z / std::sqrt(2.0))) + z * std::exp(-z * z / 2) / std::sqrt(2 * M_PI);
    }
    BOOST_TEST(rel_diff(t.grad(z1), dz1) < 1e-14);
    BOOST_TEST(rel_diff(n.gW2, matmul_plain(dz2, h1.value(), true, false)) < 1e-14);  // ∂W = ∂zᵀ·h
    BOOST_TEST(rel_diff(t.grad(x), matmul_plain(dz1, n.W1)) < 1e-14);
    BOOST_TEST(t.grad(loss)() == 1.0);
}

BOOST_AUTO_TEST_CASE(backward_twice_accumulates_parameters_only) {
    Net n(2);
    Tape<double> t;
    V x = t.input(n.X, true), w1 = t.parameter(n.W1, n.gW1), b1 = t.parameter(n.b1, n.gb1);
    V h = gelu(linear(x, w1, b1));
    V loss = mean(mul(h, h));
    t.backward(loss);
    const Tensor<double> gh1 = t.grad(h), gx1 = t.grad(x), gw1 = n.gW1, gb1 = n.gb1;
    t.backward(loss);
    BOOST_TEST(rel_diff(t.grad(h), gh1) == 0.0);  // intermediate: reset, not doubled
    BOOST_TEST(rel_diff(t.grad(x), gx1) == 0.0);  // input leaves are intermediate too
    BOOST_TEST(rel_diff(n.gW1, Tensor<double>(2.0 * gw1)) < 1e-15);  // parameters: accumulated
    BOOST_TEST(rel_diff(n.gb1, Tensor<double>(2.0 * gb1)) < 1e-15);
    BOOST_TEST(rel_diff(t.grad(w1), n.gW1) == 0.0);  // tape.grad(parameter) reads the parameter's buffer
}

BOOST_AUTO_TEST_CASE(grad_leaves_parameter_gradients_untouched) {
    Net n(3);
    Tape<double> t;
    V x = t.input(n.X, true), w1 = t.parameter(n.W1, n.gW1), b1 = t.parameter(n.b1, n.gb1);
    V h = gelu(linear(x, w1, b1));
    V loss = sum(h);
    n.gW1 = xt::ones<double>({5, 3});  // a stale value that grad() must not change
    const Tensor<double> before = n.gW1;
    auto gs = t.grad(loss, {w1, h, x});
    BOOST_TEST(rel_diff(n.gW1, before) == 0.0);
    BOOST_TEST(n.gb1.dimension() == 0u);  // never touched: still the default 0-d buffer
    // The returned gradients equal those of a plain backward on a fresh tape.
    Tape<double> t2;
    Tensor<double> gW, gb;
    V x2 = t2.input(n.X, true), w2 = t2.parameter(n.W1, gW), b2 = t2.parameter(n.b1, gb);
    V h2 = gelu(linear(x2, w2, b2));
    t2.backward(sum(h2));
    BOOST_TEST(rel_diff(gs[0], gW) == 0.0);
    BOOST_TEST(rel_diff(gs[1], t2.grad(h2)) == 0.0);
    BOOST_TEST(rel_diff(gs[2], t2.grad(x2)) == 0.0);
}

BOOST_AUTO_TEST_CASE(hooks_see_the_final_gradient) {
    // h feeds two branches; its hook must see the sum of both contributions.
    Rng r(4);
    Tape<double> t;
    V x = t.input(uniform(r, {2, 3}), true);
    V h = gelu(x);
    Tensor<double> seen;
    int calls = 0;
    t.add_hook(h, [&](const Tensor<double>& g) {
        seen = g;
        ++calls;
    });
    V loss = add(sum(mul_scalar(h, 3.0)), sum(mul(h, h)));
    t.backward(loss);
    BOOST_TEST(calls == 1);
    const Tensor<double> expected = 3.0 + 2.0 * h.value();  // ∂/∂h (3h + h²)
    BOOST_TEST(rel_diff(seen, expected) < 1e-15);
    BOOST_TEST(rel_diff(seen, t.grad(h)) == 0.0);
}

BOOST_AUTO_TEST_CASE(no_grad_guard_records_nothing) {
    Net n(5);
    Tape<double> t;
    V x = t.input(n.X, true);
    V w = t.parameter(n.W1, n.gW1);
    V loss;
    {
        NoGradGuard<double> guard(t);
        BOOST_TEST(!t.grad_enabled());
        loss = sum(gelu(linear(x, w)));
        BOOST_TEST(!t.requires_grad(loss));
        BOOST_TEST(t.parents(loss.index).empty());
    }
    BOOST_TEST(t.grad_enabled());
    expect_error<Error>([&] { t.backward(loss); }, {"backward", "sum", "does not depend"});
    expect_error<Error>([&] { t.grad(w); }, {"grad", "no gradient"});
    BOOST_TEST(n.gW1.dimension() == 0u);  // never shaped by a backward
}

BOOST_AUTO_TEST_CASE(error_paths_name_the_op_and_the_shapes) {
    Rng r(6);
    Tape<double> t;
    V a = t.input(uniform(r, {3, 4}), true), b = t.input(uniform(r, {5}), true);
    V img = t.input(uniform(r, {2, 3, 6, 6}), true);
    expect_error<ShapeError>([&] { add(a, b); }, {"add", "(3, 4)", "(5,)"});
    expect_error<ShapeError>([&] { matmul(a, a); }, {"matmul", "(3, 4)"});
    expect_error<ShapeError>([&] { linear(a, t.input(uniform(r, {2, 5}))); }, {"linear", "(3, 4)", "(2, 5)"});
    expect_error<ShapeError>([&] { reshape(a, {5, 2}); }, {"reshape", "(3, 4)", "(5, 2)"});
    expect_error<ShapeError>([&] { transpose(img); }, {"transpose", "(2, 3, 6, 6)"});
    expect_error<ShapeError>([&] { permute(a, {0, 0}); }, {"permute", "(3, 4)", "[0, 0]"});
    expect_error<ShapeError>([&] { slice(a, 1, 3, 2); }, {"slice", "(3, 4)", "[3, 5)"});
    expect_error<ShapeError>([&] { concat<double>({a, t.input(uniform(r, {2, 5}))}, 0); }, {"concat", "(2, 5)", "(3, 4)"});
    expect_error<ShapeError>([&] { conv2d(img, t.input(uniform(r, {4, 2, 3, 3})), V{}); }, {"conv2d", "(2, 3, 6, 6)", "(4, 2, 3, 3)"});
    expect_error<ShapeError>([&] { conv2d(img, t.input(uniform(r, {4, 3, 3, 3})), b); }, {"conv2d", "(4,)", "(5,)"});
    expect_error<ShapeError>([&] { conv2d(a, t.input(uniform(r, {4, 3, 3, 3})), V{}); }, {"conv2d", "(3, 4)"});
    expect_error<ShapeError>([&] { max_pool2d(img, 7); }, {"max_pool2d", "(2, 3, 6, 6)", "7x7"});
    expect_error<ShapeError>([&] { unfold(a, Conv2dGeometry{}); }, {"unfold", "(3, 4)"});
    expect_error<ShapeError>([&] { nn::gaussian_kl(a, b); }, {"gaussian_kl", "(3, 4)", "(5,)"});
    expect_error<ShapeError>([&] { nn::reparameterize(a, a, Tensor<double>(xt::zeros<double>({4, 3}))); },
                             {"reparameterize", "(3, 4)", "(4, 3)"});
    expect_error<ShapeError>([&] { mse(a, b); }, {"mse", "(3, 4)", "(5,)"});
    expect_error<ShapeError>([&] { sum(a, 2); }, {"sum", "axis 2", "(3, 4)"});
    expect_error<ShapeError>([&] { cross_entropy(a, Labels{0, 1}); }, {"cross_entropy", "3 labels", "(3, 4)", "got 2"});
    // bad labels / indices / probabilities
    expect_error<ValueError>([&] { cross_entropy(a, Labels{0, 5, 1}); }, {"cross_entropy", "label 5", "position 1", "[0, 4)"});
    expect_error<ValueError>([&] { embedding(a, Labels{2, -1}); }, {"embedding", "index -1", "(3, 4)"});
    expect_error<ValueError>([&] { binary_cross_entropy(a, a); }, {"binary_cross_entropy", "probability"});
    // non-scalar backward
    expect_error<ShapeError>([&] { t.backward(gelu(a)); }, {"backward", "scalar", "(3, 4)"});
    expect_error<ShapeError>([&] { t.backward(gelu(a), Tensor<double>(xt::zeros<double>({4, 3}))); },
                             {"backward", "(4, 3)", "(3, 4)"});
}

BOOST_AUTO_TEST_CASE(foreign_stale_and_empty_vars_are_rejected) {
    Rng r(7);
    Tape<double> t1, t2;
    V a = t1.input(uniform(r, {2, 2}), true), b = t2.input(uniform(r, {2, 2}), true);
    expect_error<Error>([&] { add(a, b); }, {"add", "same tape"});
    expect_error<Error>([&] { linear(a, b); }, {"linear", "same tape"});
    expect_error<Error>([&] { t2.grad(a); }, {"grad", "another tape"});
    expect_error<Error>([&] { gelu(V{}); }, {"gelu", "empty"});
    expect_error<Error>([&] { reshape(V{}, {4}); }, {"reshape", "empty"});
    V c = gelu(a);
    t1.reset();
    t1.input(uniform(r, {3}));  // one live node now; c (node 1) is stale
    expect_error<Error>([&] { gelu(c); }, {"gelu", "stale", "reset"});
    expect_error<Error>([&] { t1.backward(c); }, {"backward", "stale"});
}

BOOST_AUTO_TEST_CASE(reset_reuses_buffers_and_recomputes) {
    // After reset the same program gives the same numbers (no state leaks between steps).
    Rng r(8);
    const Tensor<double> X = uniform(r, {2, 3, 5, 5}), W = uniform(r, {4, 3, 3, 3});
    Tensor<double> gW;
    Tape<double> t;
    Tensor<double> first;
    for (int step = 0; step < 2; ++step) {
        t.reset();
        gW = xt::zeros<double>(W.shape());
        V x = t.input(X, true), w = t.parameter(W, gW);
        t.backward(sum(max_pool2d(relu(conv2d(x, w, V{}, 1, 1)), 2)));
        if (step == 0) first = gW;
    }
    BOOST_TEST(rel_diff(gW, first) == 0.0);
}

// ∂L/∂h of each hidden layer of a 3-layer GELU MLP equals (a) Wᵀ∂L/∂z of the next layer (paper Eq. (1),
// ∇_h f = Wᵀ∇_z f) and (b) central differences of a zero "probe" added to h and perturbed.
BOOST_AUTO_TEST_CASE(hidden_gradients_equal_WT_dz_and_probe_differences) {
    Rng r(9);
    const std::size_t N = 4;
    const Tensor<double> X = uniform(r, {N, 3});
    const Tensor<double> W1 = uniform(r, {6, 3}), b1 = uniform(r, {6}), W2 = uniform(r, {5, 6}), b2 = uniform(r, {5});
    const Tensor<double> W3 = uniform(r, {3, 5}), b3 = uniform(r, {3});
    const Labels y{2, 0, 1, 1};
    // builds the net with probes p1, p2 added to the hidden activations
    auto net = [&](Tape<double>& t, V p1, V p2, V* hs, V* zs) {
        V h1 = add(gelu(linear(t.input(X), t.input(W1), t.input(b1))), p1);
        V z2 = linear(h1, t.input(W2), t.input(b2));
        V h2 = add(gelu(z2), p2);
        V z3 = linear(h2, t.input(W3), t.input(b3));
        if (hs) hs[0] = h1, hs[1] = h2;
        if (zs) zs[0] = z2, zs[1] = z3;
        return cross_entropy(z3, y);
    };
    const Tensor<double> zero1 = xt::zeros<double>(Shape{N, 6}), zero2 = xt::zeros<double>(Shape{N, 5});
    Tape<double> t;
    V p1 = t.input(zero1, true), p2 = t.input(zero2, true);
    V hs[2], zs[2];
    t.backward(net(t, p1, p2, hs, zs));
    // (a) Wᵀ ∂L/∂z, in row-sample form ∂L/∂h = ∂L/∂z · W
    BOOST_TEST(rel_diff(t.grad(hs[0]), matmul_plain(t.grad(zs[0]), W2)) < 1e-14);
    BOOST_TEST(rel_diff(t.grad(hs[1]), matmul_plain(t.grad(zs[1]), W3)) < 1e-14);
    // the probe's gradient is the hidden gradient
    BOOST_TEST(rel_diff(t.grad(p1), t.grad(hs[0])) == 0.0);
    // (b) central differences through the probes
    auto fd = gradcheck([&](Tape<double>& t, const std::vector<V>& p) { return net(t, p[0], p[1], nullptr, nullptr); },
                        {zero1, zero2});
    BOOST_TEST(rel_diff(fd.numeric[0], t.grad(hs[0])) < 1e-8);
    BOOST_TEST(rel_diff(fd.numeric[1], t.grad(hs[1])) < 1e-8);
    BOOST_TEST(fd.max_rel_error < 1e-8);
}

// NaN must travel forward as in PyTorch (torch.relu(nan) is nan), so a broken weight shows up in the
// loss instead of being silently zeroed; the backward mask (output > 0) gives 0 there, as PyTorch's.
BOOST_AUTO_TEST_CASE(relu_propagates_nan_like_pytorch) {
    for (int width : {3, 37}) {  // a short tail and a full vector body
        Tape<float> tf;
        Tensor<float> xf = Tensor<float>::from_shape({1, std::size_t(width)});
        for (int i = 0; i < width; ++i) xf(0, i) = float(i % 3) - 1.0f;  // -1, 0, 1, ...
        xf(0, width - 1) = std::nanf("");
        auto vf = tf.input(xf);
        auto yf = relu(vf);
        BOOST_TEST(std::isnan(yf.value()(0, width - 1)));
        for (int i = 0; i + 1 < width; ++i) BOOST_TEST(yf.value()(0, i) == std::max(0.0f, xf(0, i)));
    }
    Tape<double> t;
    Tensor<double> x = {{-1.0, std::nan(""), 2.0}}, gx;
    auto y = relu(t.parameter(x, gx));
    BOOST_TEST(std::isnan(y.value()(0, 1)));
    t.backward(sum(y));
    BOOST_TEST(gx(0, 0) == 0.0);
    BOOST_TEST(gx(0, 1) == 0.0);
    BOOST_TEST(gx(0, 2) == 1.0);
}

// The GEMM wrapper's opt-in accounting (the benchmark's GEMM rate) counts the FLOPs BLAS executes
// and only while it is on.
BOOST_AUTO_TEST_CASE(gemm_accounting_counts_blas_work_only_when_on) {
    Tensor<double> a = xt::ones<double>({3, 4}), b = xt::ones<double>({4, 5}), c;
    reset_gemm_stats();
    gemm(a, false, b, false, c);
    BOOST_TEST(gemm_stats().calls == 0);
    set_gemm_accounting(true);
    gemm(a, false, b, false, c);  // 2·3·5·4
    Tensor<double> s = xt::zeros<double>({4, 4});
    syrk_raw(true, 4, 3, 1.0, a.data(), 4, 0.0, s.data(), 4);  // AᵀA: n(n+1)k = 4·5·3
    set_gemm_accounting(false);
    gemm(a, false, b, false, c);
    const GemmStats st = gemm_stats();
    BOOST_TEST(st.calls == 2);
    BOOST_TEST(st.flops == 120.0 + 60.0);
    BOOST_TEST(st.seconds >= 0.0);
    BOOST_TEST(c(2, 4) == 4.0);
    BOOST_TEST(s(3, 0) == 3.0);  // the mirrored lower triangle
    reset_gemm_stats();
    BOOST_TEST(gemm_stats().calls == 0);
}

// syrk_raw by BLAS syrk and by 32×32 GEMM blocks, against a long-double sum: both transposes, block
// remainders (n = 100 is three full blocks and a 4-wide one), beta = 0 and 1, a leading dimension larger
// than n, and a C whose lower triangle holds garbage on entry (both paths return the full symmetric C).
BOOST_AUTO_TEST_CASE(syrk_paths_agree_with_a_direct_sum) {
    Rng rng(11);
    for (const SyrkPath path : {SyrkPath::blas_syrk, SyrkPath::gemm_blocks, SyrkPath::automatic})
        for (const bool ta : {true, false})
            for (const std::size_t n : {std::size_t(5), std::size_t(64), std::size_t(100)})
                for (const std::size_t k : {std::size_t(1), std::size_t(37), std::size_t(256)})
                    for (const double beta : {0.0, 1.0}) {
                        const std::size_t lda = (ta ? n : k) + 3, ldc = n + 2;
                        const std::size_t rows = ta ? k : n;
                        std::vector<double> a(rows * lda), c(n * ldc), c0;
                        for (auto& v : a) v = rng.normal();
                        for (std::size_t i = 0; i < n; ++i)
                            for (std::size_t j = 0; j < n; ++j)
                                c[i * ldc + j] = i <= j ? rng.normal() : 1e30;  // lower: never read
                        c0 = c;
                        set_syrk_path(path);
                        syrk_raw(ta, n, k, 0.5, a.data(), lda, beta, c.data(), ldc);
                        set_syrk_path(SyrkPath::automatic);
                        double worst = 0.0;
                        for (std::size_t i = 0; i < n; ++i)
                            for (std::size_t j = 0; j < n; ++j) {
                                long double sum = 0;
                                for (std::size_t r = 0; r < k; ++r)
                                    sum += (long double)(ta ? a[r * lda + i] : a[i * lda + r]) *
                                           (ta ? a[r * lda + j] : a[j * lda + r]);
                                const double up = c0[std::min(i, j) * ldc + std::max(i, j)];
                                const double want = 0.5 * double(sum) + (beta != 0.0 ? beta * up : 0.0);
                                worst = std::max(worst, std::abs(c[i * ldc + j] - want) / (1.0 + std::abs(want)));
                            }
                        BOOST_TEST(worst < 1e-13, "path " << int(path) << " ta " << ta << " n " << n << " k " << k
                                                          << " beta " << beta << ": " << worst);
                    }
}

BOOST_AUTO_TEST_SUITE_END()
