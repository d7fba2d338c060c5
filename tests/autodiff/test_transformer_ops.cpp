// The transformer ops' semantics beyond their gradient checks: values against direct computations
// written here, the masks (padded keys, ignored labels, dropout), the in-place transposed and
// flattened GEMM operands, and the error messages.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <boost/mpl/list.hpp>

#include "helpers.hpp"

using namespace gt;
using namespace gt_test;
using V = Var<double>;

namespace {

// Attention computed entry by entry in long double: O[b, i, h·d + c] = Σ_j P_ij V[b, j, h·d + c] with
// P_i = softmax_j(Σ_c Q[b, i, h·d + c] K[b, j, h·d + c] / √d) over the keys that are not padding.
Tensor<double> direct_attention(const Tensor<double>& q, const Tensor<double>& k, const Tensor<double>& v,
                                std::size_t heads, const std::vector<std::uint8_t>& pad) {
    const std::size_t B = q.shape()[0], Tq = q.shape()[1], Tk = k.shape()[1], D = q.shape()[2], d = D / heads;
    Tensor<double> o = xt::zeros<double>(q.shape());
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t h = 0; h < heads; ++h)
            for (std::size_t i = 0; i < Tq; ++i) {
                std::vector<long double> s(Tk);
                long double m = -INFINITY, z = 0;
                for (std::size_t j = 0; j < Tk; ++j) {
                    if (!pad.empty() && pad[b * Tk + j]) continue;
                    long double dot = 0;
                    for (std::size_t c = 0; c < d; ++c) dot += (long double)q(b, i, h * d + c) * k(b, j, h * d + c);
                    s[j] = dot / std::sqrt((long double)d);
                    m = std::max(m, s[j]);
                }
                for (std::size_t j = 0; j < Tk; ++j)
                    if (pad.empty() || !pad[b * Tk + j]) z += std::exp(s[j] - m);
                for (std::size_t c = 0; c < d; ++c) {
                    long double acc = 0;
                    for (std::size_t j = 0; j < Tk; ++j)
                        if (pad.empty() || !pad[b * Tk + j]) acc += std::exp(s[j] - m) / z * v(b, j, h * d + c);
                    o(b, i, h * d + c) = double(acc);
                }
            }
    return o;
}

using Types = boost::mpl::list<double, float>;

}  // namespace

BOOST_AUTO_TEST_SUITE(transformer_ops)

// ---- matmul flags and linear on any rank -------------------------------------------------------

BOOST_AUTO_TEST_CASE(matmul_transpose_equals_matmul_of_the_explicit_transpose) {
    Rng r(60);
    for (bool batched : {false, true})
        for (bool ta : {false, true})
            for (bool tb : {false, true}) {
                const std::size_t m = 3, k = 4, n = 5;
                Shape sa = ta ? Shape{k, m} : Shape{m, k}, sb = tb ? Shape{n, k} : Shape{k, n};
                if (batched) sa.insert(sa.begin(), 2), sb.insert(sb.begin(), 2);
                const Tensor<double> A = uniform(r, sa), Bm = uniform(r, sb);
                const Tensor<double> G = uniform(r, batched ? Shape{2, m, n} : Shape{m, n});
                auto t_of = [batched](V x) { return batched ? permute(x, {0, 2, 1}) : transpose(x); };
                Tape<double> t1, t2;
                V a1 = t1.input(A, true), b1 = t1.input(Bm, true), a2 = t2.input(A, true), b2 = t2.input(Bm, true);
                V flagged = matmul(a1, b1, ta, tb);
                V explicit_t = matmul(ta ? t_of(a2) : a2, tb ? t_of(b2) : b2);
                t1.backward(flagged, G);
                t2.backward(explicit_t, G);
                const std::string what = std::string(batched ? "batched " : "") + (ta ? "Aᵀ" : "A") + (tb ? "·Bᵀ" : "·B");
                BOOST_TEST(rel_diff(flagged.value(), explicit_t.value()) < 1e-15, what);
                BOOST_TEST(rel_diff(t1.grad(a1), t2.grad(a2)) < 1e-15, what);
                BOOST_TEST(rel_diff(t1.grad(b1), t2.grad(b2)) < 1e-15, what);
            }
}

BOOST_AUTO_TEST_CASE(matmul_transpose_shape_errors_name_both_operands) {
    Rng r(61);
    Tape<double> t;
    V a = t.input(uniform(r, {3, 4})), b = t.input(uniform(r, {3, 5})), c = t.input(uniform(r, {2, 4, 3}));
    expect_error<ShapeError>([&] { matmul(a, b); }, {"matmul", "(3, 4)", "(3, 5)"});
    BOOST_TEST(shape_of(matmul(a, b, true, false).value()) == (Shape{4, 5}));
    expect_error<ShapeError>([&] { matmul(a, b, false, true); }, {"matmul", "(3, 4)", "(3, 5)ᵀ"});
    expect_error<ShapeError>([&] { matmul(c, t.input(uniform(r, {3, 3, 4})), true, true); },
                             {"matmul", "batch", "(2, 4, 3)", "(3, 3, 4)"});
    expect_error<ShapeError>([&] { matmul(c, c, true, true); }, {"matmul", "batched (2, 4, 3)ᵀ times (2, 4, 3)ᵀ"});
}

BOOST_AUTO_TEST_CASE(linear_on_3d_input_equals_linear_on_its_rows) {
    Rng r(62);
    const Tensor<double> X = uniform(r, {2, 3, 4}), W = uniform(r, {5, 4}), b = uniform(r, {5});
    const Tensor<double> G = uniform(r, {2, 3, 5});
    Tape<double> t1, t2;
    V x1 = t1.input(X, true), w1 = t1.input(W, true), b1 = t1.input(b, true);
    V x2 = t2.input(X, true), w2 = t2.input(W, true), b2 = t2.input(b, true);
    V y1 = linear(x1, w1, b1);
    V y2 = reshape(linear(reshape(x2, {6, 4}), w2, b2), {2, 3, 5});
    BOOST_TEST(shape_of(y1.value()) == (Shape{2, 3, 5}));
    t1.backward(y1, G);
    t2.backward(y2, G);
    BOOST_TEST(rel_diff(y1.value(), y2.value()) == 0.0);
    BOOST_TEST(rel_diff(t1.grad(x1), t2.grad(x2)) == 0.0);
    BOOST_TEST(rel_diff(t1.grad(w1), t2.grad(w2)) == 0.0);
    BOOST_TEST(rel_diff(t1.grad(b1), t2.grad(b2)) == 0.0);
    expect_error<ShapeError>([&] { linear(t1.input(uniform(r, {2, 3, 5})), w1); }, {"linear", "(2, 3, 5)", "(5, 4)"});
    expect_error<ShapeError>([&] { linear(t1.input(uniform(r, {4})), w1); }, {"linear", "rank", "(4,)"});
}

// ---- softmax -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(softmax_subtracts_the_maximum_and_rows_sum_to_one, T, Types) {
    Tape<T> t;
    Tensor<T> x = {{T(1000), T(1000), T(-1000)}, {T(0), std::log(T(3)), T(-1e4)}};
    Var<T> y = softmax(t.input(x));
    BOOST_TEST(y.value()(0, 0) == T(0.5));
    BOOST_TEST(y.value()(0, 1) == T(0.5));
    BOOST_TEST(y.value()(0, 2) == T(0));
    BOOST_TEST(std::abs(y.value()(1, 0) - T(0.25)) < T(1e-6));
    BOOST_TEST(std::abs(y.value()(1, 1) - T(0.75)) < T(1e-6));
    expect_error<ShapeError>([&] { softmax(t.input(Tensor<T>(T(1)))); }, {"softmax", "rank"});
}

// ---- multi-head attention ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(attention_matches_a_direct_computation) {
    Rng r(63);
    const Tensor<double> Q = uniform(r, {2, 4, 6}, -2, 2), K = uniform(r, {2, 5, 6}, -2, 2), Vv = uniform(r, {2, 5, 6});
    const std::vector<std::uint8_t> pad{0, 1, 0, 0, 1, 1, 1, 1, 0, 1};
    for (std::size_t heads : {1, 2, 3, 6})
        for (bool masked : {false, true}) {
            Tape<double> t;
            const auto& p = masked ? pad : std::vector<std::uint8_t>{};
            V o = multi_head_attention(t.input(Q), t.input(K), t.input(Vv), heads, p);
            BOOST_TEST(rel_diff(o.value(), direct_attention(Q, K, Vv, heads, p)) < 1e-14,
                       heads << " heads, masked " << masked);
        }
}

// A padded key has weight exactly 0: changing its k and v rows leaves the output bit for bit the same,
// and its k and v rows get a gradient of exactly 0.
BOOST_AUTO_TEST_CASE(padded_keys_get_weight_zero_and_gradient_zero) {
    Rng r(64);
    const std::size_t B = 2, T = 4, D = 4;
    const Tensor<double> Q = uniform(r, {B, T, D}), K = uniform(r, {B, T, D}), Vv = uniform(r, {B, T, D});
    const Tensor<double> G = uniform(r, {B, T, D});
    const std::vector<std::uint8_t> pad{0, 0, 1, 1, 1, 0, 0, 0};  // (b 0: keys 2, 3), (b 1: key 0)
    Tensor<double> K2 = K, V2 = Vv;
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < T; ++j)
            if (pad[b * T + j])
                for (std::size_t c = 0; c < D; ++c) K2(b, j, c) = 1e3, V2(b, j, c) = -1e3;
    Tape<double> t1, t2;
    V q = t1.input(Q, true), k = t1.input(K, true), v = t1.input(Vv, true);
    V o1 = multi_head_attention(q, k, v, 2, pad);
    V o2 = multi_head_attention(t2.input(Q), t2.input(K2), t2.input(V2), 2, pad);
    BOOST_TEST(rel_diff(o1.value(), o2.value()) == 0.0);
    t1.backward(o1, G);
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < T; ++j)
            for (std::size_t c = 0; c < D; ++c) {
                const bool padded = pad[b * T + j];
                BOOST_TEST((t1.grad(k)(b, j, c) == 0.0) == padded, "k grad at " << b << "," << j << "," << c);
                BOOST_TEST((t1.grad(v)(b, j, c) == 0.0) == padded, "v grad at " << b << "," << j << "," << c);
            }
}

// With q, k and v the same node, its gradient is the sum of the three gradients of separate inputs,
// whether the node's gradient is fresh or already holds another op's contribution.
BOOST_AUTO_TEST_CASE(self_attention_gradient_is_the_sum_of_the_q_k_v_gradients) {
    Rng r(65);
    const Tensor<double> X = uniform(r, {2, 3, 4}), G = uniform(r, {2, 3, 4});
    const std::vector<std::uint8_t> pad{0, 0, 1, 0, 0, 0};
    for (bool also_used : {false, true}) {
        Tape<double> t1, t2;
        V x = t1.input(X, true);
        V y1 = multi_head_attention(x, x, x, 2, pad);
        if (also_used) y1 = add(y1, x);
        t1.backward(y1, G);
        V q = t2.input(X, true), k = t2.input(X, true), v = t2.input(X, true);
        V y2 = multi_head_attention(q, k, v, 2, pad);
        t2.backward(y2, G);
        Tensor<double> sum = t2.grad(q) + t2.grad(k) + t2.grad(v);
        if (also_used) sum += G;
        BOOST_TEST(rel_diff(t1.grad(x), sum) < 1e-15, "also used elsewhere: " << also_used);
    }
}

BOOST_AUTO_TEST_CASE(attention_refuses_bad_shapes_heads_and_all_padding_rows) {
    Rng r(66);
    Tape<double> t;
    V a = t.input(uniform(r, {2, 3, 4})), b = t.input(uniform(r, {2, 5, 4})), c = t.input(uniform(r, {2, 3, 6}));
    expect_error<ValueError>([&] { multi_head_attention(a, a, a, 2, {0, 0, 0, 1, 1, 1}); },
                             {"multi_head_attention", "batch row 1", "padding"});
    expect_error<ShapeError>([&] { multi_head_attention(a, a, a, 2, {0, 0, 0}); },
                             {"multi_head_attention", "6 key_padding flags", "got 3"});
    expect_error<ValueError>([&] { multi_head_attention(a, a, a, 3); }, {"multi_head_attention", "D = 4", "heads = 3"});
    expect_error<ValueError>([&] { multi_head_attention(a, a, a, 0); }, {"multi_head_attention", "heads = 0"});
    expect_error<ShapeError>([&] { multi_head_attention(a, c, c, 2); }, {"multi_head_attention", "(2, 3, 4)", "(2, 3, 6)"});
    expect_error<ShapeError>([&] { multi_head_attention(a, b, a, 2); }, {"multi_head_attention", "(2, 5, 4)", "(2, 3, 4)"});
    expect_error<ShapeError>([&] { multi_head_attention(t.input(uniform(r, {3, 4})), a, a, 2); },
                             {"multi_head_attention", "(3, 4)"});
    // cross-attention: 3 queries on 5 keys is a valid shape
    BOOST_TEST(shape_of(multi_head_attention(a, b, b, 2).value()) == (Shape{2, 3, 4}));
}

// ---- layer norm ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(layer_norm_matches_a_direct_computation) {
    Rng r(67);
    const Tensor<double> X = uniform(r, {2, 3, 5}, -3, 3), g = uniform(r, {5}), b = uniform(r, {5});
    for (double eps : {1e-5, 0.5}) {
        Tape<double> t;
        V y = layer_norm(t.input(X), t.input(g), t.input(b), eps);
        V yn = layer_norm(t.input(X), V{}, V{}, eps);
        Tensor<double> want = X, want_n = X;
        for (std::size_t row = 0; row < 6; ++row) {
            long double mu = 0, var = 0;
            for (std::size_t j = 0; j < 5; ++j) mu += X.data()[row * 5 + j];
            mu /= 5;
            for (std::size_t j = 0; j < 5; ++j) var += (X.data()[row * 5 + j] - mu) * (X.data()[row * 5 + j] - mu);
            var /= 5;  // biased, as PyTorch
            for (std::size_t j = 0; j < 5; ++j) {
                const double xh = double((X.data()[row * 5 + j] - mu) / std::sqrt(var + eps));
                want_n.data()[row * 5 + j] = xh;
                want.data()[row * 5 + j] = xh * g(j) + b(j);
            }
        }
        BOOST_TEST(rel_diff(y.value(), want) < 1e-15, "eps " << eps);
        BOOST_TEST(rel_diff(yn.value(), want_n) < 1e-15, "eps " << eps);
    }
}

BOOST_AUTO_TEST_CASE(layer_norm_errors_name_the_shapes) {
    Rng r(68);
    Tape<double> t;
    V x = t.input(uniform(r, {2, 4}));
    expect_error<ShapeError>([&] { layer_norm(x, t.input(uniform(r, {3})), V{}); }, {"layer_norm", "gamma", "(4,)", "(3,)", "(2, 4)"});
    expect_error<ShapeError>([&] { layer_norm(x, V{}, t.input(uniform(r, {4, 1}))); }, {"layer_norm", "beta", "(4,)", "(4, 1)"});
    expect_error<ShapeError>([&] { layer_norm(t.input(Tensor<double>(1.0)), V{}, V{}); }, {"layer_norm", "0-d"});
    expect_error<ValueError>([&] { layer_norm(x, V{}, V{}, -1.0); }, {"layer_norm", "eps"});
}

// ---- cross-entropy with ignored rows ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(ignored_rows_give_no_loss_and_no_gradient) {
    Rng r(69);
    const Tensor<double> Z = uniform(r, {5, 4}, -2, 2);
    const Labels y{1, -100, 3, -100, 0};
    Tape<double> t;
    V z = t.input(Z, true);
    V loss = cross_entropy(z, y);
    t.backward(loss);
    // closed form over the three kept rows
    double want = 0;
    Tensor<double> dz = xt::zeros<double>({5, 4});
    for (std::size_t i = 0; i < 5; ++i) {
        if (y[i] == -100) continue;
        double s = 0;
        for (std::size_t j = 0; j < 4; ++j) s += std::exp(Z(i, j));
        want -= Z(i, y[i]) - std::log(s);
        for (std::size_t j = 0; j < 4; ++j) dz(i, j) = (std::exp(Z(i, j)) / s - (int(j) == y[i])) / 3.0;
    }
    BOOST_TEST(std::abs(loss.item() - want / 3.0) < 1e-15);
    BOOST_TEST(rel_diff(t.grad(z), dz) < 1e-15);
    for (std::size_t j = 0; j < 4; ++j) {
        BOOST_TEST(t.grad(z)(1, j) == 0.0);
        BOOST_TEST(t.grad(z)(3, j) == 0.0);
    }
}

BOOST_AUTO_TEST_CASE(every_row_ignored_gives_nan_and_zero_gradient) {
    Rng r(70);
    Tape<double> t;
    V z = t.input(uniform(r, {2, 3}), true);
    V loss = cross_entropy(z, Labels{-100, -100});
    BOOST_TEST(std::isnan(loss.item()));
    t.backward(loss);
    for (double g : t.grad(z)) BOOST_TEST(g == 0.0);
    expect_error<ValueError>([&] { cross_entropy(z, Labels{-100, 3}); },
                             {"cross_entropy", "label 3", "position 1", "[0, 3)", "-100"});
    expect_error<ValueError>([&] { cross_entropy(z, Labels{-100, 0}, -1); }, {"cross_entropy", "label -100", "-1"});
}

// ---- dropout ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(dropout_is_the_same_var_when_not_training_or_p_zero) {
    Rng r(71);
    Tape<double> t;
    V x = t.input(uniform(r, {3, 4}), true);
    const std::size_t before = t.size();
    BOOST_TEST(dropout(x, 0.0, r).index == x.index);
    BOOST_TEST(dropout(x, 0.5, r, false).index == x.index);
    BOOST_TEST(t.size() == before);
    for (double p : {1.0, -0.1, std::nan("")})
        expect_error<ValueError>([&] { dropout(x, p, r); }, {"dropout", "[0, 1)"});
}

// The mask is m_i = 1[u_i ≥ p] for the Rng's uniforms in element order; kept entries are x_i·(1/(1 − p))
// exactly, dropped ones exactly 0, and about 1 − p of them are kept.
BOOST_AUTO_TEST_CASE_TEMPLATE(dropout_keeps_about_1_minus_p_and_scales_exactly, T, Types) {
    const std::size_t n = 20000;
    const double p = 0.25;
    Rng r(72);
    Tensor<T> X = Tensor<T>::from_shape({100, n / 100});
    for (auto& v : X) v = T(r.uniform(0.5, 1.5));
    Tensor<T> G = X * T(0.5);
    Tape<T> t;
    Var<T> x = t.input(X, true);
    Rng mask_rng(73), replay(73);
    Var<T> y = dropout(x, p, mask_rng);
    t.backward(y, G);
    const T scale = T(1.0 / (1.0 - p));
    std::size_t kept = 0;
    bool values_ok = true, grads_ok = true;
    for (std::size_t i = 0; i < n; ++i) {
        const bool keep = replay.uniform() >= p;
        kept += keep;
        values_ok = values_ok && y.value().data()[i] == (keep ? X.data()[i] * scale : T(0));
        grads_ok = grads_ok && t.grad(x).data()[i] == (keep ? G.data()[i] * scale : T(0));
    }
    BOOST_TEST(values_ok);
    BOOST_TEST(grads_ok);
    // binomial(n, 0.75): standard deviation √(n·p(1 − p)) ≈ 61, so 5σ ≈ 0.015 of n
    BOOST_TEST(std::abs(double(kept) / double(n) - (1.0 - p)) < 0.015);
}

BOOST_AUTO_TEST_SUITE_END()
