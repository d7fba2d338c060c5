// Neural Collapse metrics: all ≈ 0 at a constructed simplex-ETF collapse, large on random features,
// and NC1 against an explicit SVD pseudo-inverse.
#include <boost/test/unit_test.hpp>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/neural_collapse.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;
using namespace gt::testing;  // random_matrix, loop_product, loop_transpose, throws_with
namespace tt = boost::test_tools;

namespace {

struct Collapsed {
    Tensor<double> h, w, b;
    Labels labels;
};

// Class means on a simplex ETF √(C/(C−1))(I − 11ᵀ/C) embedded by an orthonormal P (d × C), every sample
// exactly at its class mean plus a global offset; classifier rows = the centred means, bias cancels
// the offset.
Collapsed simplex_etf(std::size_t C, std::size_t d, std::size_t per_class, Rng& rng) {
    auto [q, r] = xt::linalg::qr(random_matrix(rng, d, C));
    Tensor<double> p = q;
    Tensor<double> m = Tensor<double>::from_shape({C, C});
    for (std::size_t a = 0; a < C; ++a)
        for (std::size_t c = 0; c < C; ++c) m(a, c) = std::sqrt(double(C) / (C - 1)) * ((a == c) - 1.0 / C);
    const Tensor<double> means = loop_transpose(loop_product(p, m));  // C × d, rows centred means
    const Tensor<double> offset = random_matrix(rng, 1, d);
    Collapsed out;
    out.h = Tensor<double>::from_shape({C * per_class, d});
    for (std::size_t i = 0; i < C * per_class; ++i) {
        const std::size_t c = i % C;
        out.labels.push_back(int(c));
        for (std::size_t j = 0; j < d; ++j) out.h(i, j) = means(c, j) + offset(0, j);
    }
    out.w = 2.5 * means;
    out.b = Tensor<double>::from_shape({C});
    for (std::size_t c = 0; c < C; ++c) {
        double s = 0;
        for (std::size_t j = 0; j < d; ++j) s += out.w(c, j) * offset(0, j);
        out.b(c) = -s;
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(nc_metrics_vanish_at_simplex_etf_collapse) {
    Rng rng(0);
    const Collapsed c = simplex_etf(5, 9, 6, rng);
    const NeuralCollapse nc = neural_collapse<double>(c.h, c.labels, 5, c.w, c.b);
    BOOST_TEST(nc.nc1 < 1e-20);
    BOOST_TEST(nc.nc2_equinorm < 1e-12);
    BOOST_TEST(nc.nc2_equiangular < 1e-12);
    BOOST_TEST(nc.nc3 < 1e-12);
    BOOST_TEST(nc.nc4 == 0.0);
}

BOOST_AUTO_TEST_CASE(nc_metrics_are_large_on_random_features) {
    Rng rng(1);
    const std::size_t n = 200, d = 6, C = 4;
    const Tensor<double> h = random_matrix(rng, n, d), w = random_matrix(rng, C, d);
    Labels labels(n);
    for (auto& l : labels) l = int(rng.below(C));
    const NeuralCollapse nc = neural_collapse<double>(h, labels, C, w);
    BOOST_TEST(nc.nc1 > 1.0);  // within-class spread dwarfs the tiny between-class spread
    BOOST_TEST(nc.nc2_equinorm > 0.05);
    BOOST_TEST(nc.nc2_equiangular > 0.05);
    BOOST_TEST(nc.nc3 > 0.5);
    BOOST_TEST(nc.nc4 > 0.3);
}

BOOST_AUTO_TEST_CASE(nc1_matches_an_explicit_pseudo_inverse) {
    Rng rng(2);
    const std::size_t n = 120, d = 4, C = 7;  // d < C − 1: Σ_B is full rank, no threshold ambiguity
    Tensor<double> h = random_matrix(rng, n, d);
    Labels labels(n);
    for (std::size_t i = 0; i < n; ++i) labels[i] = int(i % C);
    for (std::size_t i = 0; i < n; ++i) h(i, labels[i] % d) += 3.0 * (labels[i] + 1);
    Tensor<double> mu = xt::zeros<double>({C, d}), mg = xt::zeros<double>({d});
    std::vector<double> cnt(C, 0);
    for (std::size_t i = 0; i < n; ++i) {
        cnt[labels[i]] += 1;
        for (std::size_t j = 0; j < d; ++j) mu(labels[i], j) += h(i, j), mg(j) += h(i, j) / n;
    }
    for (std::size_t c = 0; c < C; ++c)
        for (std::size_t j = 0; j < d; ++j) mu(c, j) /= cnt[c];
    Tensor<double> sw = xt::zeros<double>({d, d}), sb = xt::zeros<double>({d, d});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t a = 0; a < d; ++a)
            for (std::size_t b = 0; b < d; ++b)
                sw(a, b) += (h(i, a) - mu(labels[i], a)) * (h(i, b) - mu(labels[i], b)) / n;
    for (std::size_t c = 0; c < C; ++c)
        for (std::size_t a = 0; a < d; ++a)
            for (std::size_t b = 0; b < d; ++b) sb(a, b) += (mu(c, a) - mg(a)) * (mu(c, b) - mg(b)) / C;
    const Tensor<double> sbp = xt::linalg::pinv(sb);
    const Tensor<double> prod = loop_product(sw, sbp);
    double tr = 0;
    for (std::size_t a = 0; a < d; ++a) tr += prod(a, a);
    const NeuralCollapse nc = neural_collapse<double>(h, labels, C, random_matrix(rng, C, d));
    BOOST_TEST(nc.nc1 == tr / C, tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(nc_rejects_bad_input) {
    Rng rng(0);
    const Tensor<double> h = random_matrix(rng, 6, 3), w = random_matrix(rng, 3, 3);
    BOOST_TEST(throws_with<ValueError>([&] { neural_collapse<double>(h, {0, 1, 0, 1, 0, 1}, 3, w); },
                                       {"neural_collapse", "class 2 has none"}));
    BOOST_TEST(throws_with<ValueError>([&] { neural_collapse<double>(h, {0, 1, 2, 1, 5, 1}, 3, w); },
                                       {"[0, 3)", "got 5", "sample 4"}));
    BOOST_TEST(throws_with<ShapeError>([&] { neural_collapse<double>(h, {0, 1, 2}, 3, w); }, {"one label per row"}));
    const Tensor<double> w2 = random_matrix(rng, 2, 3);
    BOOST_TEST(throws_with<ShapeError>([&] { neural_collapse<double>(h, {0, 1, 2, 0, 1, 2}, 3, w2); },
                                       {"classifier", "(3, 3)", "(2, 3)"}));
}
