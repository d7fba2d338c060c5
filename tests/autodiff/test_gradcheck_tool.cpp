// The gradient checker itself: its finite differences match closed forms, and it catches a wrong backward.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "helpers.hpp"

using namespace gt;
using namespace gt_test;
using V = Var<double>;

namespace {

// y = 2x with a deliberately wrong backward (∂x += 3g): what a buggy op looks like to the checker.
V wrong_double(V a) {
    Tape<double>& t = tape_of(a, "wrong_double");
    V out = t.push("wrong_double", a.shape(), {a});
    for (std::size_t i = 0; i < a.value().size(); ++i) t.mutable_value(out).data()[i] = 2.0 * a.value().data()[i];
    t.set_backward(out, [](Tape<double>& t, int self) {
        const int ia = t.parents(self)[0];
        Tensor<double>& ga = t.grad_acc(ia);
        for (std::size_t i = 0; i < ga.size(); ++i) ga.data()[i] += 3.0 * t.grad_of(self).data()[i];
    });
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gradcheck_tool)

BOOST_AUTO_TEST_CASE(numeric_gradient_matches_closed_form_with_known_truncation) {
    // For f = Σ x³ the central difference is exactly 3x² + h² (the h² term is the truncation error).
    Tensor<double> x = {0.3, -1.2, 2.0};
    for (double h : {1e-2, 1e-3}) {
        GradcheckOptions o;
        o.h = h;
        auto r = gradcheck([](Tape<double>&, const std::vector<V>& v) { return sum(pow_scalar(v[0], 3.0)); }, {x}, o);
        for (std::size_t i = 0; i < 3; ++i) {
            BOOST_TEST(r.numeric[0](i) == 3 * x(i) * x(i) + h * h, boost::test_tools::tolerance(1e-9));
            BOOST_TEST(r.analytic[0](i) == 3 * x(i) * x(i), boost::test_tools::tolerance(1e-15));
        }
    }
}

BOOST_AUTO_TEST_CASE(relative_error_formula) {
    // analytic g = 3·R (wrong), numeric ĝ = 2·R: ‖g−ĝ‖/‖g+ĝ‖ = 1/5 exactly, whatever R is.
    Rng r(1);
    auto res = gradcheck([](Tape<double>&, const std::vector<V>& v) { return wrong_double(v[0]); }, {uniform(r, {3, 4})});
    BOOST_TEST(res.rel_error.size() == 1u);
    BOOST_TEST(res.rel_error[0] == 0.2, boost::test_tools::tolerance(1e-8));
    BOOST_TEST(res.max_rel_error == res.rel_error[0]);
}

BOOST_AUTO_TEST_CASE(non_scalar_output_is_projected_and_checked) {
    Rng r(2);
    auto res = gradcheck([](Tape<double>&, const std::vector<V>& v) { return mul(v[0], v[1]); },
                         {uniform(r, {2, 3}), uniform(r, {2, 3})});
    BOOST_TEST(res.rel_error.size() == 2u);
    BOOST_TEST(res.max_rel_error < 1e-8);
}

BOOST_AUTO_TEST_CASE(bad_step_is_rejected) {
    GradcheckOptions o;
    o.h = 0.0;
    BOOST_CHECK_THROW(gradcheck([](Tape<double>&, const std::vector<V>& v) { return sum(v[0]); },
                                {Tensor<double>{1.0}}, o),
                      ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
