// Synthetic sets checked against their defining formulas, recomputed here.
#include <algorithm>
#include <cmath>
#include <set>

#include <boost/test/unit_test.hpp>
#include <xtensor/xview.hpp>

#include "datasets/synthetic.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;

namespace {
const double kPi = 3.14159265358979323846;

std::pair<double, double> min_max(const std::vector<double>& v) {
    return {*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(synthetic)

BOOST_AUTO_TEST_CASE(swissroll_points_follow_the_spiral) {
    const SwissRollPoints s = swissroll_points(1000, 0);
    BOOST_REQUIRE(s.t.size() == 1000u && s.x.size() == 1000u && s.z.size() == 1000u && s.height.size() == 1000u);
    double mean_t = 0.0;
    for (std::size_t i = 0; i < 1000; ++i) {
        BOOST_REQUIRE(s.t[i] >= 1.5 * kPi && s.t[i] < 4.5 * kPi);
        BOOST_REQUIRE(s.height[i] >= 0.0 && s.height[i] < 21.0);
        BOOST_REQUIRE_EQUAL(s.x[i], s.t[i] * std::cos(s.t[i]));
        BOOST_REQUIRE_EQUAL(s.z[i], s.t[i] * std::sin(s.t[i]));
        mean_t += s.t[i] / 1000.0;
    }
    // t is uniform on [1.5π, 4.5π): mean 3π, standard error 3π/√12/√1000 ≈ 0.086
    BOOST_TEST(std::abs(mean_t - 3.0 * kPi) < 0.5);
}

BOOST_AUTO_TEST_CASE(swissroll_dataset_is_min_max_scaled_points) {
    const SwissRollPoints s = swissroll_points(500, 7);
    const Dataset<double> d = make_swissroll<double>(500, 7);
    BOOST_REQUIRE(shape_of(d.x) == (Shape{500, 2}));
    BOOST_REQUIRE(shape_of(d.target) == (Shape{500, 1}));
    BOOST_TEST(d.y.empty());
    BOOST_TEST(d.num_classes == 0u);
    const auto [xlo, xhi] = min_max(s.x);
    const auto [zlo, zhi] = min_max(s.z);
    const auto [tlo, thi] = min_max(s.t);
    for (std::size_t i = 0; i < 500; ++i) {
        BOOST_REQUIRE_CLOSE_FRACTION(d.x(i, 0) + 1.0, (s.x[i] - xlo) / (xhi - xlo) + 1.0, 1e-14);
        BOOST_REQUIRE_CLOSE_FRACTION(d.x(i, 1) + 1.0, (s.z[i] - zlo) / (zhi - zlo) + 1.0, 1e-14);
        BOOST_REQUIRE_CLOSE_FRACTION(d.target(i, 0) + 1.0, (s.t[i] - tlo) / (thi - tlo) + 1.0, 1e-14);
    }
}

BOOST_AUTO_TEST_CASE(swissroll_min_max_exactly_zero_and_one) {
    const Dataset<float> d = make_swissroll<float>(1000, 0);
    for (std::size_t j = 0; j < 2; ++j) {
        const auto col = xt::view(d.x, xt::all(), j);
        BOOST_TEST(xt::amin(col)() == 0.0f);
        BOOST_TEST(xt::amax(col)() == 1.0f);
    }
    BOOST_TEST(xt::amin(d.target)() == 0.0f);
    BOOST_TEST(xt::amax(d.target)() == 1.0f);
}

BOOST_AUTO_TEST_CASE(swissroll_seeds) {
    BOOST_TEST(make_swissroll<double>(50, 3).x == make_swissroll<double>(50, 3).x);
    BOOST_TEST(!(make_swissroll<double>(50, 3).x == make_swissroll<double>(50, 4).x));
    GT_CHECK_THROW_MSG(make_swissroll<float>(1, 0), ValueError, "swissroll", "[2, 10000000]", "found 1");
    GT_CHECK_THROW_MSG(make_swissroll<float>(20'000'000, 0), ValueError, "found 20000000");
}

BOOST_AUTO_TEST_CASE(staircase_target_is_the_staircase_of_x) {
    const Dataset<float> d = make_staircase<float>(1000, 42);
    BOOST_REQUIRE(shape_of(d.x) == (Shape{1000, 10}));
    BOOST_REQUIRE(shape_of(d.target) == (Shape{1000, 1}));
    BOOST_TEST(d.y.empty());
    for (std::size_t i = 0; i < 1000; ++i) {
        const double x1 = d.x(i, 0), x2 = d.x(i, 1), x3 = d.x(i, 2), x4 = d.x(i, 3);
        const double y = x1 * x2 * x3 * x4 + x1 * x2 * x3 + x1 * x2 + x1;
        BOOST_REQUIRE_SMALL(d.target(i, 0) - y, 1e-5 * (1.0 + std::abs(y)));
    }
    GT_CHECK_THROW_MSG(make_staircase<float>(0, 0), ValueError, "staircase", "found 0");
}

BOOST_AUTO_TEST_CASE(staircase_inputs_are_standard_normal_and_var_y_is_4) {
    const std::size_t n = 100000;
    const Dataset<double> d = make_staircase<double>(n, 1);
    // Every column: mean 0 (s.e. 0.003), variance 1 (s.e. 0.0045); E[y²] = 4 (s.e. √428/√n ≈ 0.065).
    for (std::size_t j = 0; j < 10; ++j) {
        double m = 0.0, v = 0.0;
        for (std::size_t i = 0; i < n; ++i) m += d.x(i, j) / double(n);
        for (std::size_t i = 0; i < n; ++i) v += (d.x(i, j) - m) * (d.x(i, j) - m) / double(n);
        BOOST_TEST(std::abs(m) < 0.02);
        BOOST_TEST(std::abs(v - 1.0) < 0.03);
    }
    double y2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) y2 += d.target(i, 0) * d.target(i, 0) / double(n);
    BOOST_TEST(std::abs(y2 - 4.0) < 0.3);
}

BOOST_AUTO_TEST_CASE(modadd_rows_encode_all_pairs_and_their_sum) {
    const int p = 61;
    const Dataset<double> d = make_modadd<double>(p);
    BOOST_REQUIRE(shape_of(d.x) == (Shape{3721, 122}));
    BOOST_TEST(d.num_classes == 61u);
    std::set<std::pair<int, int>> pairs;
    for (std::size_t i = 0; i < 3721; ++i) {
        int a = -1, b = -1, ones = 0;
        for (int j = 0; j < 2 * p; ++j) {
            const double v = d.x(i, j);
            BOOST_REQUIRE(v == 0.0 || v == 1.0);
            if (v == 1.0) {
                ++ones;
                (j < p ? a : b) = j < p ? j : j - p;
            }
        }
        BOOST_REQUIRE_EQUAL(ones, 2);
        BOOST_REQUIRE(a >= 0 && b >= 0);
        BOOST_REQUIRE_EQUAL(d.y[i], (a + b) % p);
        pairs.insert({a, b});
    }
    BOOST_TEST(pairs.size() == 3721u);
}

BOOST_AUTO_TEST_CASE(modadd_modulus_range) {
    BOOST_TEST(make_modadd<float>(2).size() == 4u);
    GT_CHECK_THROW_MSG(make_modadd<float>(1), ValueError, "modadd", "[2, 256]", "found 1");
    GT_CHECK_THROW_MSG(make_modadd<float>(257), ValueError, "found 257");
    GT_CHECK_THROW_MSG(make_modadd<float>(-5), ValueError, "found -5");
}

BOOST_AUTO_TEST_CASE(quadratic_rows_unit_norm_and_balanced_bins) {
    QuadraticOptions o;
    o.n = 400;
    o.num_classes = 4;
    const Dataset<double> c = make_quadratic<double>(o, 5);
    BOOST_REQUIRE(shape_of(c.x) == (Shape{400, 20}));
    for (std::size_t i = 0; i < 400; ++i) {
        double norm2 = 0.0;
        for (std::size_t j = 0; j < 20; ++j) norm2 += c.x(i, j) * c.x(i, j);
        BOOST_REQUIRE_CLOSE_FRACTION(norm2, 1.0, 1e-12);
    }
    std::vector<int> count(4, 0);
    for (int y : c.y) ++count[y];
    BOOST_TEST(count == (std::vector<int>{100, 100, 100, 100}), boost::test_tools::per_element());

    o.num_classes = 0;  // regression: relu of a traceless quadratic form, so both zero and positive values
    const Dataset<double> r = make_quadratic<double>(o, 5);
    BOOST_TEST(r.x == c.x);
    BOOST_TEST(xt::amin(r.target)() == 0.0);
    BOOST_TEST(xt::amax(r.target)() > 0.0);
    // the bins are quantiles of the same form: a larger positive value never has a lower class
    for (std::size_t i = 0; i < 400; ++i)
        for (std::size_t j = 0; j < 400; ++j)
            if (r.target(i, 0) > 0.0 && r.target(i, 0) < r.target(j, 0)) BOOST_REQUIRE(c.y[i] <= c.y[j]);
    o.d = 0;
    GT_CHECK_THROW_MSG(make_quadratic<double>(o, 5), ValueError, "quadratic", "d = 0");
    o.d = 20;
    o.num_classes = 401;
    GT_CHECK_THROW_MSG(make_quadratic<double>(o, 5), ValueError, "num_classes <= n = 400", "found 401");
}

BOOST_AUTO_TEST_SUITE_END()
