#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"

using namespace gt;

BOOST_AUTO_TEST_CASE(hidden_gradient_equals_wT_dz) {
    Tape<double> t;
    Tensor<double> W = {{1.0, -2.0, 0.5}, {0.3, 0.2, -1.0}};
    Tensor<double> gW;
    auto x = t.input(Tensor<double>{{0.1, 0.2, 0.3}, {-1.0, 0.5, 2.0}}, true);
    auto w = t.parameter(W, gW);
    auto z = linear(x, w);
    auto loss = mean(mul(z, z));
    t.backward(loss);
    // ∂L/∂z = 2z/4 ; ∂L/∂x = ∂L/∂z · W
    Tensor<double> dz = 2.0 * z.value() / 4.0;
    auto dx = matmul_plain(dz, W);
    for (std::size_t i = 0; i < dx.size(); ++i) BOOST_TEST(t.grad(x).data()[i] == dx.data()[i], boost::test_tools::tolerance(1e-14));
    auto dw = matmul_plain(dz, x.value(), true, false);
    for (std::size_t i = 0; i < dw.size(); ++i) BOOST_TEST(gW.data()[i] == dw.data()[i], boost::test_tools::tolerance(1e-14));
}
