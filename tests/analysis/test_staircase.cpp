// Staircase diagnostics against an independent ridge least-squares solve.
#include <boost/test/unit_test.hpp>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/staircase.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;
using gt::testing::random_matrix;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_CASE(staircase_norms_match_an_augmented_least_squares_fit) {
    Rng rng(0);
    const std::size_t n = 50, d = 8;
    const Tensor<double> h = random_matrix(rng, n, d);
    Tensor<double> y = Tensor<double>::from_shape({n}), yhat = Tensor<double>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) y(i) = h(i, 0) * h(i, 1) + h(i, 2), yhat(i) = 0.5 * h(i, 2) + 0.1 * rng.normal();
    // [H; √ε I] b ≈ [y; 0] solved by SVD least squares.
    const double eps = 0.01;
    Tensor<double> a = xt::zeros<double>({n + d, d}), rhs = xt::zeros<double>({n + d});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j) a(i, j) = h(i, j);
        rhs(i) = y(i);
    }
    for (std::size_t j = 0; j < d; ++j) a(n + j, j) = std::sqrt(eps);
    const Tensor<double> coef = std::get<0>(xt::linalg::lstsq(a, rhs));
    double e1 = 0, e2 = 0, e3 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double ols = 0;
        for (std::size_t j = 0; j < d; ++j) ols += h(i, j) * coef(j);
        e1 += (y(i) - ols) * (y(i) - ols);
        e2 += (yhat(i) - ols) * (yhat(i) - ols);
        e3 += (y(i) - yhat(i)) * (y(i) - yhat(i));
    }
    const StaircaseNorms s = staircase<double>(h, y, yhat);
    BOOST_TEST(s.y_minus_ols == std::sqrt(e1), tt::tolerance(1e-10));
    BOOST_TEST(s.yhat_minus_ols == std::sqrt(e2), tt::tolerance(1e-10));
    BOOST_TEST(s.y_minus_yhat == std::sqrt(e3), tt::tolerance(1e-12));
    BOOST_TEST(s.ridge == eps);
    BOOST_TEST(s.y_minus_yhat <= s.y_minus_ols + s.yhat_minus_ols + 1e-12);  // the triangle of Fig. 8
}

BOOST_AUTO_TEST_CASE(staircase_rejects_mismatched_targets) {
    Rng rng(0);
    const Tensor<double> h = random_matrix(rng, 10, 3);
    using gt::testing::throws_with;
    BOOST_TEST(throws_with<ShapeError>([&] { staircase<double>(h, xt::zeros<double>({9}), xt::zeros<double>({10})); },
                                       {"staircase", "y", "(10,)", "(9,)"}));
    BOOST_TEST(throws_with<ValueError>(
        [&] { staircase<double>(h, xt::zeros<double>({10}), xt::zeros<double>({10}), -1.0); }, {"lambda >= 0"}));
}
