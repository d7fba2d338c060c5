// Target Linearity against an independent SVD-based least-squares solve (LAPACK gelsd via
// xt::linalg::lstsq), plus its invariants.
#include <boost/test/unit_test.hpp>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/target_linearity.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;
using gt::testing::random_matrix;
namespace tt = boost::test_tools;

namespace {

// ‖Y − H B‖² with B from lstsq on the augmented system [H; √λ I] B ≈ [Y; 0] (ridge as plain LS).
double lstsq_residual(const Tensor<double>& h, const Tensor<double>& y, double lambda) {
    const std::size_t n = h.shape()[0], d = h.shape()[1], c = y.shape()[1];
    Tensor<double> a = xt::zeros<double>({n + d, d}), b = xt::zeros<double>({n + d, c});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) a(i, j) = h(i, j);
        for (std::size_t j = 0; j < c; ++j) b(i, j) = y(i, j);
    }
    for (std::size_t j = 0; j < d; ++j) a(n + j, j) = std::sqrt(lambda);
    const auto sol = xt::linalg::lstsq(a, b);
    const auto& coef = std::get<0>(sol);
    double r = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < c; ++k) {
            double f = 0;
            for (std::size_t j = 0; j < d; ++j) f += h(i, j) * coef(j, k);
            r += (y(i, k) - f) * (y(i, k) - f);
        }
    return r;
}

double column_centred_ss(const Tensor<double>& y) {
    double s = 0;
    for (std::size_t k = 0; k < y.shape()[1]; ++k) {
        double m = 0;
        for (std::size_t i = 0; i < y.shape()[0]; ++i) m += y(i, k) / double(y.shape()[0]);
        for (std::size_t i = 0; i < y.shape()[0]; ++i) s += (y(i, k) - m) * (y(i, k) - m);
    }
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tl_matches_an_independent_least_squares_solve) {
    for (std::uint64_t seed = 0; seed < 4; ++seed)
        for (double lambda : {0.0, 0.3, 10.0}) {
            Rng rng(seed);
            const Tensor<double> h = random_matrix(rng, 60, 7);
            const Tensor<double> y = random_matrix(rng, 60, 1);
            const TlResult r = target_linearity<double>(h, y, {lambda});
            const double expect = 1.0 - lstsq_residual(h, y, lambda) / column_centred_ss(y);
            BOOST_TEST_CONTEXT("seed " << seed << " lambda " << lambda) {
                BOOST_TEST(r.tl == expect, tt::tolerance(1e-9));
                BOOST_TEST(r.ridge == lambda);
                BOOST_TEST(r.total_ss == column_centred_ss(y), tt::tolerance(1e-12));
            }
        }
}

BOOST_AUTO_TEST_CASE(tl_has_no_intercept_but_a_centred_denominator) {
    // y = constant + noise: a fit with an intercept would explain the constant, ours must not.
    Rng rng(5);
    const Tensor<double> h = random_matrix(rng, 80, 2);
    Tensor<double> y = random_matrix(rng, 80, 1, 0.1);
    for (auto& v : y) v += 5.0;
    const TlResult r = target_linearity<double>(h, y);
    BOOST_TEST(r.tl < -10.0);  // ‖y‖² ≫ ‖y − ȳ‖²: far worse than predicting the mean
    BOOST_TEST(r.tl == 1.0 - lstsq_residual(h, y, 0.0) / column_centred_ss(y), tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(tl_is_one_for_a_linear_target) {
    Rng rng(1);
    const Tensor<double> h = random_matrix(rng, 50, 6);
    const Tensor<double> a = random_matrix(rng, 6, 3);
    const Tensor<double> y = gt::testing::loop_product(h, a);
    for (auto c : {DenominatorCentring::RowMean, DenominatorCentring::Column})
        BOOST_TEST(target_linearity<double>(h, y, {0.0, c}).tl == 1.0, tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(tl_is_invariant_to_an_invertible_map_of_the_features) {
    Rng rng(2);
    const Tensor<double> h = random_matrix(rng, 70, 5);
    const Tensor<double> y = random_matrix(rng, 70, 2);
    Tensor<double> a = random_matrix(rng, 5, 5);
    for (std::size_t i = 0; i < 5; ++i) a(i, i) += 3.0;  // well conditioned
    const Tensor<double> ha = gt::testing::loop_product(h, a);
    BOOST_TEST(target_linearity<double>(ha, y).tl == target_linearity<double>(h, y).tl, tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(tl_decreases_in_lambda_and_tends_to_the_zero_predictor) {
    Rng rng(3);
    const Tensor<double> h = random_matrix(rng, 40, 4);
    const Tensor<double> y = gt::testing::loop_product(h, random_matrix(rng, 4, 1));
    double previous = 2.0;
    for (double lambda : {0.0, 0.1, 1.0, 10.0, 100.0}) {
        const double tl = target_linearity<double>(h, y, {lambda}).tl;
        BOOST_TEST(tl < previous);
        previous = tl;
    }
    // Ŷ_λ → 0, so TL → 1 − ‖Y‖²/‖Y − Ȳ‖².
    double yy = 0;
    for (auto v : y) yy += v * v;
    BOOST_TEST(target_linearity<double>(h, y, {1e12}).tl == 1.0 - yy / column_centred_ss(y), tt::tolerance(1e-8));
}

BOOST_AUTO_TEST_CASE(multi_column_denominators_follow_the_notes) {
    Rng rng(4);
    const Tensor<double> h = random_matrix(rng, 30, 3);
    Tensor<double> y = random_matrix(rng, 30, 4);
    for (std::size_t i = 0; i < 30; ++i) y(i, 2) += 3.0;  // column means differ
    // Row-mean quirk (reference code): subtract each sample's mean over the columns.
    double row_ss = 0;
    for (std::size_t i = 0; i < 30; ++i) {
        const double m = (y(i, 0) + y(i, 1) + y(i, 2) + y(i, 3)) / 4.0;
        for (std::size_t k = 0; k < 4; ++k) row_ss += (y(i, k) - m) * (y(i, k) - m);
    }
    const TlResult quirk = target_linearity<double>(h, y);
    const TlResult paper = target_linearity<double>(h, y, {0.0, DenominatorCentring::Column});
    BOOST_TEST(quirk.total_ss == row_ss, tt::tolerance(1e-12));
    BOOST_TEST(paper.total_ss == column_centred_ss(y), tt::tolerance(1e-12));
    BOOST_TEST(quirk.residual_ss == lstsq_residual(h, y, 0.0), tt::tolerance(1e-9));
    BOOST_TEST(quirk.residual_ss == paper.residual_ss);
    // For a centred one-hot target both read ‖Y‖²_F.
    Labels labels(30);
    for (std::size_t i = 0; i < 30; ++i) labels[i] = int(i % 3);
    const Tensor<double> oh = centred_one_hot<double>(labels, 3);
    double oo = 0;
    for (auto v : oh) oo += v * v;
    BOOST_TEST(target_linearity<double>(h, oh).total_ss == oo, tt::tolerance(1e-12));
    BOOST_TEST(target_linearity<double>(h, oh, {0.0, DenominatorCentring::Column}).total_ss == oo,
               tt::tolerance(1e-12));
    // A single column is centred over samples whatever the option.
    const Tensor<double> y1 = xt::view(y, xt::all(), xt::range(2, 3));
    BOOST_TEST(target_linearity<double>(h, y1).total_ss == column_centred_ss(y1), tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(centred_one_hot_has_zero_column_means_and_rows_summing_to_zero) {
    const Labels labels{0, 2, 2, 1, 0};
    const Tensor<double> y = centred_one_hot<double>(labels, 4);
    BOOST_TEST(y.shape()[0] == 5u);
    BOOST_TEST(y.shape()[1] == 4u);
    BOOST_TEST(y(0, 0) == 1.0 - 2.0 / 5.0, tt::tolerance(1e-15));
    BOOST_TEST(y(0, 2) == -2.0 / 5.0, tt::tolerance(1e-15));
    BOOST_TEST(y(3, 3) == 0.0);  // class 3 absent: a zero column
    for (std::size_t i = 0; i < 5; ++i) BOOST_TEST(xt::sum(xt::row(y, i))() == 0.0, tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(singular_features_fall_back_to_the_stated_ridge) {
    Rng rng(6);
    Tensor<double> h = random_matrix(rng, 20, 4);
    for (std::size_t i = 0; i < 20; ++i) h(i, 3) = 0.0;  // HᵀH has a zero row and column
    const Tensor<double> y = random_matrix(rng, 20, 1);
    const TlResult r = target_linearity<double>(h, y);
    BOOST_TEST(r.ridge == 1e-5);
    BOOST_TEST(r.tl == 1.0 - lstsq_residual(h, y, 1e-5) / column_centred_ss(y), tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(tl_float_agrees_with_double) {
    Rng rng(8);
    const Tensor<double> h = random_matrix(rng, 200, 8);
    const Tensor<double> y = random_matrix(rng, 200, 3);
    const Tensor<float> hf = xt::cast<float>(h), yf = xt::cast<float>(y);
    BOOST_TEST(target_linearity<float>(hf, yf).tl == target_linearity<double>(h, y).tl, tt::tolerance(1e-4));
}

BOOST_AUTO_TEST_CASE(tl_rejects_bad_input) {
    Rng rng(0);
    const Tensor<double> h = random_matrix(rng, 10, 3), y = random_matrix(rng, 9, 1);
    using gt::testing::throws_with;
    BOOST_TEST(throws_with<ShapeError>([&] { target_linearity<double>(h, y); },
                                       {"target_linearity", "same number of samples", "(10, 3)", "(9, 1)"}));
    const Tensor<double> y10 = random_matrix(rng, 10, 1);
    BOOST_TEST(throws_with<ValueError>([&] { target_linearity<double>(h, y10, {-0.5}); }, {"lambda >= 0", "-0.5"}));
    const Tensor<double> constant = xt::ones<double>({10, 1});
    BOOST_TEST(throws_with<ValueError>([&] { target_linearity<double>(h, constant); }, {"zero variance"}));
    BOOST_TEST(throws_with<ValueError>([&] { centred_one_hot<double>({0, 3, 1}, 3); },
                                       {"centred_one_hot", "[0, 3)", "got 3", "sample 1"}));
    BOOST_TEST(throws_with<ValueError>([&] { centred_one_hot<double>({0, -1}, 3); }, {"got -1", "sample 1"}));
}
