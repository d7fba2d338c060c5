// AGOP against central finite differences, Σ_t VCS against the Gram change over several GD steps, the
// virtual trajectory, and the Pearson correlation.
#include <boost/test/unit_test.hpp>

#include <deque>

#include "analysis/agop.hpp"
#include "analysis/covariance_tracking.hpp"
#include "analysis/gram_shift.hpp"
#include "analysis/virtual_trajectory.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;
using gt::testing::random_matrix;
namespace tt = boost::test_tools;

namespace {

struct TinyNet {
    Tensor<double> w1, b1, w2;
    Var<double> forward(Tape<double>& t, Var<double> x) const {
        return linear(gelu(linear(x, t.input(w1), t.input(b1))), t.input(w2));
    }
    Tensor<double> eval(const Tensor<double>& x) const {
        Tape<double> t;
        return forward(t, t.input(x)).value();
    }
};

TinyNet tiny(Rng& rng) {
    TinyNet n;
    n.w1 = random_matrix(rng, 5, 4, 0.6);
    n.b1 = Tensor<double>(xt::view(random_matrix(rng, 1, 5), 0, xt::all()));
    n.w2 = random_matrix(rng, 3, 5, 0.6);
    return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(agop_of_the_outputs_matches_finite_differences) {
    Rng rng(0);
    const TinyNet net = tiny(rng);
    const std::size_t n = 6, d = 4, k = 3;
    const Tensor<double> x = random_matrix(rng, n, d);
    Tape<double> t;
    Var<double> xv = t.input(x, true);
    const Tensor<double> agop = agop_outputs(t, xv, net.forward(t, xv));

    Tensor<double> ref = xt::zeros<double>({d, d});
    const double step = 1e-5;
    for (std::size_t c = 0; c < k; ++c)
        for (std::size_t i = 0; i < n; ++i) {
            std::vector<double> g(d);
            for (std::size_t j = 0; j < d; ++j) {
                Tensor<double> xp = x, xm = x;
                xp(i, j) += step;
                xm(i, j) -= step;
                g[j] = (net.eval(xp)(i, c) - net.eval(xm)(i, c)) / (2 * step);
            }
            for (std::size_t a = 0; a < d; ++a)
                for (std::size_t b = 0; b < d; ++b) ref(a, b) += g[a] * g[b] / double(n);
        }
    BOOST_TEST(gt::testing::rel_diff(agop, ref) < 1e-8);
}

BOOST_AUTO_TEST_CASE(agop_of_the_loss_matches_finite_differences_and_leaves_parameters_alone) {
    Rng rng(1);
    const TinyNet net = tiny(rng);
    const std::size_t n = 5, d = 4;
    const Tensor<double> x = random_matrix(rng, n, d);
    const Labels y{0, 2, 1, 1, 0};
    Tape<double> t;
    Tensor<double> w_extra = random_matrix(rng, 3, 3), g_extra;
    Var<double> xv = t.input(x, true);
    Var<double> out = linear(net.forward(t, xv), t.parameter(w_extra, g_extra));
    Var<double> loss = cross_entropy(out, y);
    const Tensor<double> agop = agop_loss(t, xv, loss);
    BOOST_TEST(g_extra.dimension() == 0u);  // the parameter's gradient buffer was never shaped or written

    // Reference: the same loss by central differences in every input coordinate.
    auto full_loss = [&](const Tensor<double>& xx) {
        Tape<double> tt2;
        Var<double> o = linear(net.forward(tt2, tt2.input(xx)), tt2.input(w_extra));
        return cross_entropy(o, y).item();
    };
    Tensor<double> g = xt::zeros<double>({n, d});
    const double step = 1e-5;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) {
            Tensor<double> xp = x, xm = x;
            xp(i, j) += step;
            xm(i, j) -= step;
            g(i, j) = (full_loss(xp) - full_loss(xm)) / (2 * step);
        }
    Tensor<double> ref = xt::zeros<double>({d, d});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t a = 0; a < d; ++a)
            for (std::size_t b = 0; b < d; ++b) ref(a, b) += g(i, a) * g(i, b) / double(n);
    BOOST_TEST(gt::testing::rel_diff(agop, ref) < 1e-7);
}

BOOST_AUTO_TEST_CASE(summed_vcs_tracks_the_gram_change_over_training) {
    // Full-batch GD on a two-layer net; first layer, h = the input. Each step's Gram change is exactly
    // VCS_t + R_t, so Σ VCS + Σ R equals W_τᵀW_τ − W_0ᵀW_0 to round-off, and the gap without R is O(γ²).
    auto train = [](double gamma, Tensor<double>* gap_out) {
        Rng rng(5);
        std::deque<Tensor<double>> w{random_matrix(rng, 16, 6, 0.4), random_matrix(rng, 3, 16, 0.3)};
        std::deque<Tensor<double>> g(2);
        const Tensor<double> x = random_matrix(rng, 24, 6);
        Labels y(24);
        for (auto& v : y) v = int(rng.below(3));
        const GramChange<double> change(w[0]);
        VcsAccumulator<double> vcs(6);
        VirtualTrajectory<double> traj(x);
        Tensor<double> rem_sum = xt::zeros<double>({6, 6}), grad_x_sum = xt::zeros<double>({24, 6});
        for (int step = 0; step < 8; ++step) {
            Tape<double> t;
            g[0] = Tensor<double>(), g[1] = Tensor<double>();
            Var<double> xv = t.input(x, true);
            Var<double> w0 = t.parameter(w[0], g[0]), w1 = t.parameter(w[1], g[1]);
            t.backward(cross_entropy(linear(tanh(linear(xv, w0)), w1), y));
            vcs.add(t, xv, gamma);
            rem_sum += gram_shift(t, xv, w0, gamma).remainder;
            traj.step(t.grad(xv), gamma);
            grad_x_sum += t.grad(xv);
            w[0] -= gamma * g[0];
            w[1] -= gamma * g[1];
        }
        const Tensor<double> dg = change.change(w[0]);
        BOOST_TEST(vcs.steps() == 8u);
        // Exact identity; the tolerance is rounding only: ΔG = W_T W_Tᵀ − W_0 W_0ᵀ cancels most of its
        // terms, so its relative error is ε times ‖W Wᵀ‖/‖ΔG‖ (≈ 1e-12 here, depending on the sum order).
        BOOST_TEST(gt::testing::rel_diff(Tensor<double>(vcs.total() + rem_sum), dg) < 1e-11);
        BOOST_TEST(gt::testing::rel_diff(traj.position(), Tensor<double>(x - gamma * grad_x_sum)) < 1e-14);
        *gap_out = vcs.total() - dg;
        return std::make_pair(gt::testing::norm(vcs.total() - dg), diagonal_pearson(vcs.total(), dg));
    };
    Tensor<double> gap1, gap2;
    const auto [e1, rho1] = train(0.02, &gap1);
    const auto [e2, rho2] = train(0.01, &gap2);
    BOOST_TEST(e1 / e2 > 3.5);  // O(γ²) per step: halving γ quarters the gap (up to trajectory change)
    BOOST_TEST(e1 / e2 < 4.5);
    BOOST_TEST(rho1 > 0.99);
    BOOST_TEST(rho2 > rho1 - 1e-3);
}

BOOST_AUTO_TEST_CASE(pearson_correlation_on_hand_computed_cases) {
    BOOST_TEST(pearson({1, 2, 3}, {2, 4, 6}) == 1.0, tt::tolerance(1e-15));
    BOOST_TEST(pearson({1, 2, 3}, {3, 2, 1}) == -1.0, tt::tolerance(1e-15));
    BOOST_TEST(pearson({1, 2, 3, 4}, {1, 3, 2, 4}) == 0.8, tt::tolerance(1e-15));
    Tensor<double> a = {{1, 9}, {9, 2}}, b = {{2, 0}, {0, 4}};
    Tensor<double> a3 = {{1, 0, 0}, {0, 2, 0}, {0, 0, 3}}, b3 = {{1, 0, 0}, {0, 3, 0}, {0, 0, 2}};
    BOOST_TEST(diagonal_pearson<double>(a, b) == 1.0, tt::tolerance(1e-15));
    BOOST_TEST(diagonal_pearson<double>(a3, b3) == 0.5, tt::tolerance(1e-15));
    using gt::testing::throws_with;
    BOOST_TEST(throws_with<ValueError>([] { pearson({1, 1, 1}, {1, 2, 3}); }, {"pearson", "constant"}));
    BOOST_TEST(throws_with<ValueError>([] { pearson({1, 2}, {1, 2, 3}); }, {"equal length", "2", "3"}));
    BOOST_TEST(throws_with<ShapeError>([&] { diagonal_pearson<double>(a, a3); }, {"(2, 2)", "(3, 3)"}));
}

BOOST_AUTO_TEST_CASE(trackers_reject_bad_shapes) {
    using gt::testing::throws_with;
    VcsAccumulator<double> acc(3);
    Tensor<double> h = xt::zeros<double>({4, 5});
    BOOST_TEST(throws_with<ShapeError>([&] { acc.add(h, h, 0.1); }, {"VcsAccumulator", "width 3", "(4, 5)"}));
    GramChange<double> gc(xt::zeros<double>({2, 3}));
    BOOST_TEST(throws_with<ShapeError>([&] { gc.change(xt::zeros<double>({2, 4})); }, {"3 input columns", "(2, 4)"}));
}
