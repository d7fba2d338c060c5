// Numerical guards beyond the message table: a singular Gram in Target Linearity is solved with the
// stated fallback ridge, which the result reports, and a well-conditioned one is not touched.
#include <boost/test/unit_test.hpp>

#include "analysis/matrix.hpp"
#include "analysis/target_linearity.hpp"
#include "autodiff/random.hpp"

using namespace gt;

BOOST_AUTO_TEST_SUITE(numerical_guards)

BOOST_AUTO_TEST_CASE(singular_gram_in_target_linearity_reports_the_ridge_used) {
    Rng rng(3);
    Tensor<double> h = Tensor<double>::from_shape({50, 4});
    Tensor<double> y = Tensor<double>::from_shape({50, 1});
    for (std::size_t i = 0; i < 50; ++i) {
        for (std::size_t j = 0; j < 3; ++j) h(i, j) = rng.normal();
        h(i, 3) = h(i, 0) + h(i, 1);  // a dependent column: HᵀH is singular
        y(i, 0) = 2 * h(i, 0) - h(i, 2);
    }
    const analysis::TlResult singular = analysis::target_linearity(h, y);
    BOOST_TEST(singular.ridge == analysis::kFallbackRidge);
    BOOST_TEST(singular.tl > 0.999999);  // y is linear in H: the ridge barely changes the fit
    BOOST_TEST(singular.tl <= 1.0);

    for (std::size_t i = 0; i < 50; ++i) h(i, 3) = rng.normal();  // independent again
    const analysis::TlResult regular = analysis::target_linearity(h, y);
    BOOST_TEST(regular.ridge == 0.0);
    BOOST_TEST(regular.tl == 1.0, boost::test_tools::tolerance(1e-12));

    const analysis::TlResult with_lambda = analysis::target_linearity(h, y, {0.5});
    BOOST_TEST(with_lambda.ridge == 0.5);
}

BOOST_AUTO_TEST_SUITE_END()
