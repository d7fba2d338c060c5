// The float fast paths (vectorized GELU with our own erf/exp) against the double reference, on a grid
// that covers both polynomial regions, their joint, the saturation beyond |x/√2| = 4 and tiny inputs.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "autodiff/ops_activation.hpp"
#include "autodiff/ops_reduce.hpp"

using namespace gt;

BOOST_AUTO_TEST_SUITE(fast_kernels)

BOOST_AUTO_TEST_CASE(gelu_float_matches_double_erf) {
    const std::size_t n = 40001;
    Tensor<float> xf = Tensor<float>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) xf(i) = -20.0f + 40.0f * float(i) / float(n - 1);
    xf(n / 2) = 1e-30f;  // denormal-free tiny input
    Tape<float> t;
    Var<float> x = t.input(xf, true);
    Var<float> y = gelu(x);
    t.backward(sum(y));
    double worst_val = 0, worst_der = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double xd = double(xf(i));
        const double phi = 0.5 * (1.0 + std::erf(xd / std::sqrt(2.0)));
        const double val = xd * phi;
        const double der = phi + xd * std::exp(-0.5 * xd * xd) / std::sqrt(2.0 * M_PI);
        // float's own rounding of x·Φ(x): measure against |x|·(1 − Φ) + ... via a floor of 1e-7·|x|
        worst_val = std::max(worst_val, std::abs(double(y.value()(i)) - val) / std::max(std::abs(xd), 1e-30));
        worst_der = std::max(worst_der, std::abs(double(x.grad()(i)) - der));
    }
    BOOST_TEST(worst_val < 3e-7, "worst |Δgelu|/|x| = " << worst_val);
    BOOST_TEST(worst_der < 3e-7, "worst |Δgelu'| = " << worst_der);
}

BOOST_AUTO_TEST_SUITE_END()
