// Shared helpers for the analysis tests: seeded random matrices and small independent reference
// computations (plain loops, no code under test).
#pragma once

#include <cmath>
#include <string>

#include <xtensor/xview.hpp>

#include "autodiff/autodiff.hpp"

namespace gt::testing {

inline Tensor<double> random_matrix(Rng& rng, std::size_t r, std::size_t c, double scale = 1.0) {
    Tensor<double> m = Tensor<double>::from_shape({r, c});
    for (auto& e : m) e = scale * rng.normal();
    return m;
}

/// A·B by triple loop (an independent product for reference values).
inline Tensor<double> loop_product(const Tensor<double>& a, const Tensor<double>& b) {
    Tensor<double> c = xt::zeros<double>({a.shape()[0], b.shape()[1]});
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
        for (std::size_t k = 0; k < a.shape()[1]; ++k)
            for (std::size_t j = 0; j < b.shape()[1]; ++j) c(i, j) += a(i, k) * b(k, j);
    return c;
}

inline Tensor<double> loop_transpose(const Tensor<double>& a) {
    Tensor<double> t = Tensor<double>::from_shape({a.shape()[1], a.shape()[0]});
    for (std::size_t i = 0; i < a.shape()[0]; ++i)
        for (std::size_t j = 0; j < a.shape()[1]; ++j) t(j, i) = a(i, j);
    return t;
}

inline double norm(const Tensor<double>& a) {
    double s = 0;
    for (auto v : a) s += v * v;
    return std::sqrt(s);
}

inline double rel_diff(const Tensor<double>& a, const Tensor<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (a.data()[i] - b.data()[i]) * (a.data()[i] - b.data()[i]);
    const double nb = norm(b);
    return nb > 0 ? std::sqrt(s) / nb : std::sqrt(s);
}

/// True if calling f throws E whose message contains every fragment.
template <class E, class F>
bool throws_with(F&& f, std::initializer_list<const char*> fragments) {
    try {
        f();
    } catch (const E& e) {
        const std::string m = e.what();
        for (const char* s : fragments)
            if (m.find(s) == std::string::npos) return false;
        return true;
    } catch (...) {
        return false;
    }
    return false;
}

}  // namespace gt::testing
