// Test helpers: PyTorch reference tensors from tests/fixtures/nn (made by make_nn_fixtures.py).
#pragma once

#include <cmath>
#include <cstdlib>
#include <string>
#include <type_traits>

#include <boost/test/unit_test.hpp>
#include <xtensor/xnpy.hpp>

#include "autodiff/tensor.hpp"
#include "nn/parameter.hpp"

namespace gt::test {

inline std::string fixture_path(const std::string& name) {
    const char* root = std::getenv("GT_SOURCE_ROOT");
    return std::string(root ? root : ".") + "/tests/fixtures/nn/" + name + ".npy";
}

/// A float64 fixture, cast to T.
template <class T>
Tensor<T> fixture(const std::string& name) {
    const auto a = xt::load_npy<double>(fixture_path(name));
    Tensor<T> r = Tensor<T>::from_shape(a.shape());
    std::transform(a.begin(), a.end(), r.begin(), [](double v) { return static_cast<T>(v); });
    return r;
}

inline Labels fixture_labels(const std::string& name) {
    const auto a = xt::load_npy<std::int64_t>(fixture_path(name));
    return Labels(a.begin(), a.end());
}

/// ‖a − b‖_F / ‖b‖_F (shapes must match; +inf otherwise).
template <class A, class B>
double rel_err(const A& a, const B& b) {
    if (!std::equal(a.shape().begin(), a.shape().end(), b.shape().begin(), b.shape().end()) ||
        a.dimension() != b.dimension())
        return INFINITY;
    double num = 0, den = 0;
    auto ia = a.begin();
    for (auto ib = b.begin(); ib != b.end(); ++ib, ++ia) {
        const double d = double(*ia) - double(*ib);
        num += d * d;
        den += double(*ib) * double(*ib);
    }
    return std::sqrt(num / (den > 0 ? den : 1.0));
}

/// Parity tolerance: 1e-10 in double, 1e-5 in float.
template <class T>
constexpr double tol() {
    return std::is_same<T, double>::value ? 1e-10 : 1e-5;
}

/// Overwrite every parameter with the fixture "<case>__<prefix><name>".
template <class T>
void load_params(const std::vector<nn::Parameter<T>*>& ps, const std::string& case_, const std::string& prefix = "") {
    for (nn::Parameter<T>* p : ps) {
        Tensor<T> v = fixture<T>(case_ + "__" + prefix + p->name);
        BOOST_REQUIRE_MESSAGE(v.shape() == p->value.shape(), "fixture shape of " + p->name);
        p->value = v;
    }
}

/// Every parameter (or its gradient) matches the fixture to tol<T>().
template <class T>
void check_params(const std::vector<nn::Parameter<T>*>& ps, const std::string& case_, const std::string& prefix,
                  bool grads = false, double tolerance = tol<T>()) {
    for (nn::Parameter<T>* p : ps) {
        const Tensor<double> ref = fixture<double>(case_ + "__" + prefix + p->name);
        const double e = rel_err(grads ? p->grad : p->value, ref);
        BOOST_TEST(e < tolerance, case_ << " " << prefix << p->name << ": relative error " << e);
    }
}

}  // namespace gt::test
