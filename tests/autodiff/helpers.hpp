// Shared test helpers: seeded random tensors, the gradient-check assertion, and the record of which
// op (registry key) each gradient-check test covers.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"

namespace gt_test {

using gt::Shape;
using gt::Tensor;

/// Uniform in [lo, hi) from a seeded engine.
Tensor<double> uniform(gt::Rng& rng, const Shape& s, double lo = -1.0, double hi = 1.0);
/// Uniform magnitude in [lo, hi) with a random sign: stays at least lo away from 0 (kinks of relu/abs).
Tensor<double> away_from_zero(gt::Rng& rng, const Shape& s, double lo = 0.1, double hi = 1.0);
/// Distinct values spaced ≥ 0.05 apart in random order: no near-ties for max-pooling.
Tensor<double> distinct(gt::Rng& rng, const Shape& s);

/// Runs gt::gradcheck and asserts max relative error < tol and that no input's gradient is all zero
/// (a vacuous pass). The message names the test's op and each input's error.
void expect_gradcheck(const std::string& what, const gt::GradcheckFn& f, const std::vector<Tensor<double>>& inputs,
                      double tol = 1e-6);

/// registry key → names of the tests that cover it (filled at static-initialisation time).
std::map<std::string, std::set<std::string>>& coverage();
struct Covers {
    Covers(const char* test, std::initializer_list<const char*> keys);
};

/// Asserts that f throws E and that the message contains every fragment.
template <class E>
void expect_error(const std::function<void()>& f, std::initializer_list<std::string> fragments) {
    try {
        f();
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const auto& frag : fragments) BOOST_TEST(msg.find(frag) != std::string::npos, "'" << msg << "' lacks '" << frag << "'");
        return;
    } catch (const std::exception& e) {
        BOOST_ERROR("wrong exception type: " << e.what());
        return;
    }
    BOOST_ERROR("no exception thrown; expected one mentioning " << *fragments.begin());
}

/// Relative difference ‖a − b‖ / max(‖a‖, ‖b‖, tiny), plus a shape check.
double rel_diff(const Tensor<double>& a, const Tensor<double>& b);

}  // namespace gt_test

/// A gradient-check test case that declares the registry keys it covers.
#define GRADCHECK_CASE(test_name, ...)                                              \
    static const gt_test::Covers test_name##_covers(#test_name, {__VA_ARGS__});    \
    BOOST_AUTO_TEST_CASE(test_name)
