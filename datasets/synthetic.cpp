#include "datasets/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "autodiff/random.hpp"
#include "datasets/normalize.hpp"

namespace gt::data {

namespace {

void check_size(const char* what, std::size_t n, std::size_t lo) {
    if (n < lo || n > kMaxSyntheticSamples)
        throw ValueError(std::string(what) + ": expected a sample count n in [" + std::to_string(lo) + ", " +
                         std::to_string(kMaxSyntheticSamples) + "], found " + std::to_string(n));
}

}  // namespace

SwissRollPoints swissroll_points(std::size_t n, std::uint64_t seed) {
    check_size("swissroll", n, 2);
    Rng rng(seed);
    const double pi = 3.14159265358979323846;
    SwissRollPoints s;
    s.t.resize(n);
    s.height.resize(n);
    for (double& t : s.t) t = 1.5 * pi * (1.0 + 2.0 * rng.uniform());
    for (double& h : s.height) h = 21.0 * rng.uniform();
    for (double t : s.t) {
        s.x.push_back(t * std::cos(t));
        s.z.push_back(t * std::sin(t));
    }
    return s;
}

template <class T>
Dataset<T> make_swissroll(std::size_t n, std::uint64_t seed) {
    const SwissRollPoints s = swissroll_points(n, seed);
    Dataset<T> d;
    d.name = "swissroll";
    d.x = Tensor<T>::from_shape({n, 2});
    d.target = Tensor<T>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) {
        d.x.data()[2 * i] = T(s.x[i]);
        d.x.data()[2 * i + 1] = T(s.z[i]);
        d.target.data()[i] = T(s.t[i]);
    }
    min_max_columns(d.x);
    min_max_columns(d.target);
    return d;
}

template <class T>
Dataset<T> make_staircase(std::size_t n, std::uint64_t seed) {
    check_size("staircase", n, 1);
    Rng rng(seed);
    Dataset<T> d;
    d.name = "staircase";
    d.x = Tensor<T>::from_shape({n, 10});
    d.target = Tensor<T>::from_shape({n, 1});
    T* x = d.x.data();
    for (std::size_t i = 0; i < 10 * n; ++i) x[i] = T(rng.normal());
    for (std::size_t i = 0; i < n; ++i) {
        const double x1 = x[10 * i], x2 = x[10 * i + 1], x3 = x[10 * i + 2], x4 = x[10 * i + 3];
        d.target.data()[i] = T(x1 * x2 * x3 * x4 + x1 * x2 * x3 + x1 * x2 + x1);
    }
    return d;
}

template <class T>
Dataset<T> make_modadd(int p) {
    if (p < 2 || p > kMaxModulus)
        throw ValueError("modadd: expected a modulus p in [2, " + std::to_string(kMaxModulus) + "], found " +
                         std::to_string(p));
    const auto q = static_cast<std::size_t>(p);
    Dataset<T> d;
    d.name = "modadd";
    d.num_classes = q;
    d.x = xt::zeros<T>(Shape{q * q, 2 * q});
    d.y.resize(q * q);
    T* x = d.x.data();
    for (std::size_t a = 0; a < q; ++a)
        for (std::size_t b = 0; b < q; ++b) {
            const std::size_t i = a * q + b;
            x[i * 2 * q + a] = T(1);
            x[i * 2 * q + q + b] = T(1);
            d.y[i] = static_cast<int>((a + b) % q);
        }
    return d;
}

template <class T>
Dataset<T> make_quadratic(const QuadraticOptions& o, std::uint64_t seed) {
    check_size("quadratic", o.n, 2);
    const std::size_t cap = 10 * kMaxSyntheticSamples;  // each factor <= cap, so products cannot overflow
    const bool fits = o.d >= 1 && o.latent_dim >= 1 && o.d <= cap && o.latent_dim <= cap && o.n * o.d <= cap &&
                      o.n * o.latent_dim <= cap && o.d * o.d <= cap && o.latent_dim * o.d <= cap;
    if (!fits)
        throw ValueError("quadratic: expected d, latent_dim >= 1 with n·d, n·latent_dim, d·d, latent_dim·d <= " +
                         std::to_string(cap) + ", found n = " + std::to_string(o.n) + ", d = " + std::to_string(o.d) +
                         ", latent_dim = " + std::to_string(o.latent_dim));
    if (o.num_classes > o.n)
        throw ValueError("quadratic: expected num_classes <= n = " + std::to_string(o.n) + ", found " +
                         std::to_string(o.num_classes));
    const std::size_t n = o.n, d = o.d, m = o.latent_dim;
    Rng rng(seed);
    std::vector<double> c(m * d), z(n * m), x(n * d, 0.0), b(d * d), s(n);
    for (double& v : c) v = rng.normal();
    for (double& v : z) v = rng.normal();
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < m; ++k)
            for (std::size_t j = 0; j < d; ++j) x[i * d + j] += z[i * m + k] * c[k * d + j];
        double norm2 = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
            x[i * d + j] += o.noise * rng.normal();
            norm2 += x[i * d + j] * x[i * d + j];
        }
        const double inv = norm2 > 0.0 ? 1.0 / std::sqrt(norm2) : 0.0;
        for (std::size_t j = 0; j < d; ++j) x[i * d + j] *= inv;
    }
    for (double& v : b) v = rng.normal();
    double trace = 0.0;
    for (std::size_t j = 0; j < d; ++j) trace += b[j * d + j];
    for (std::size_t i = 0; i < n; ++i) {  // s_i = x_iᵀ A x_i with A = (B + Bᵀ)/2 − (tr B / d) I
        double q = 0.0, sq = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
            sq += x[i * d + j] * x[i * d + j];
            for (std::size_t k = 0; k < d; ++k) q += x[i * d + j] * b[j * d + k] * x[i * d + k];
        }
        s[i] = q - trace / static_cast<double>(d) * sq;  // xᵀ sym(B) x = xᵀ B x
    }
    Dataset<T> out;
    out.name = "quadratic";
    out.x = Tensor<T>::from_shape({n, d});
    std::transform(x.begin(), x.end(), out.x.data(), [](double v) { return T(v); });
    if (o.num_classes > 0) {
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), std::size_t(0));
        std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return s[i] < s[j]; });
        out.num_classes = o.num_classes;
        out.y.resize(n);
        for (std::size_t r = 0; r < n; ++r) out.y[order[r]] = static_cast<int>(r * o.num_classes / n);
    } else {
        out.target = Tensor<T>::from_shape({n, 1});
        for (std::size_t i = 0; i < n; ++i) out.target.data()[i] = T(std::max(s[i], 0.0));
    }
    return out;
}

#define GT_INSTANTIATE(T)                                                 \
    template Dataset<T> make_swissroll<T>(std::size_t, std::uint64_t);    \
    template Dataset<T> make_staircase<T>(std::size_t, std::uint64_t);    \
    template Dataset<T> make_modadd<T>(int);                              \
    template Dataset<T> make_quadratic<T>(const QuadraticOptions&, std::uint64_t);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::data
