// The vectorized float sigmoid and binary cross-entropy (autodiff/fast_math_f32.hpp's exp and log) against
// the double formulas computed here with std::exp / std::log / std::log1p, through the public ops and
// their gradients: a dense grid, random inputs over the whole exponent range, and the edges (0, ±0,
// denormals, 1 − ulp, ±∞, NaN). Relative error bounds are about 4 ulp (5e-7); the worst errors are
// printed with --log_level=message.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "autodiff/autodiff.hpp"
#include "autodiff/cpu_features.hpp"

using namespace gt;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kDenormUlp = 0x1p-149;  // the float spacing below 2^-126
constexpr double kTol = 5e-7;

Tensor<float> vec(const std::vector<float>& v) {
    Tensor<float> t = Tensor<float>::from_shape({v.size()});
    for (std::size_t i = 0; i < v.size(); ++i) t(i) = v[i];
    return t;
}

double sigmoid_ref(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double log_ref(double p) { return std::max(std::log(p), -100.0); }
double log1m_ref(double p) { return std::max(std::log1p(-p), -100.0); }
double bce_ref(double p, double y) { return -(y * log_ref(p) + (1.0 - y) * log1m_ref(p)); }

// Sigmoid inputs: every edge, a dense grid over [−120, 120] (through the saturation and denormal
// outputs) and random magnitudes from 1e-30 to 1e30 of both signs.
std::vector<float> sigmoid_inputs() {
    std::vector<float> v = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -1e-40f, 1.17549435e-38f, -1.17549435e-38f,
                            1e-7f, -1e-7f, 16.0f, 17.0f, -17.0f, 87.0f, -87.0f, 87.4f, -87.4f, 88.0f, -88.0f,
                            100.0f, -100.0f, 103.9f, -103.9f, 104.0f, -104.0f, 110.0f, -110.0f, 1e30f, -1e30f,
                            std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(), kInf, -kInf};
    for (int i = -240000; i <= 240000; ++i) v.push_back(float(i) * 5e-4f);
    Rng rng(71);
    for (int i = 0; i < 200000; ++i) {
        const float m = float(std::pow(10.0, rng.uniform(-30.0, 30.0)));
        v.push_back(rng.uniform() < 0.5 ? m : -m);
    }
    return v;
}

// Probabilities: the edges (0, denormals, e^-100 ≈ 3.7e-44 where the clamp starts, 1 − ulp, 1), a grid
// over [0, 1], and log-uniform values near 0 and near 1.
std::vector<float> probabilities(std::size_t n_random) {
    std::vector<float> v = {0.0f, -0.0f, 1e-45f, 3e-44f, 3.7e-44f, 3.8e-44f, 1e-40f, 1.17549435e-38f, 1e-30f,
                            1e-12f, 1e-10f, 0x1p-25f, 0x1p-24f, 1e-7f, 0.25f, std::nextafter(0.5f, 0.0f), 0.5f,
                            std::nextafter(0.5f, 1.0f), 0.75f, 0.9999f, 1.0f - 0x1p-23f, 1.0f - 0x1p-24f, 1.0f};
    for (int i = 0; i <= 4096; ++i) v.push_back(float(i) / 4096.0f);
    Rng rng(72);
    for (std::size_t i = 0; i < n_random; ++i) {
        const double u = rng.uniform();
        if (u < 0.3) v.push_back(float(rng.uniform()));
        else if (u < 0.65) v.push_back(float(std::pow(10.0, rng.uniform(-45.0, 0.0))));
        else v.push_back(1.0f - float(std::pow(10.0, rng.uniform(-7.3, 0.0))));  // rounds to [1 − 2^-24·…, 1]
    }
    return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fast_math)

BOOST_AUTO_TEST_CASE(sigmoid_float_matches_double) {
    const std::vector<float> xs = sigmoid_inputs();
    const std::size_t n = xs.size();
    Rng rng(73);
    std::vector<float> gv(n);
    for (auto& g : gv) g = float(rng.uniform(-2.0, 2.0));
    Tape<float> t;
    Var<float> x = t.input(vec(xs), true);
    Var<float> y1 = sigmoid(x), y2 = sigmoid(x);  // two uses: the first backward writes ∂x, the second adds
    t.backward(add(y1, y2), vec(gv));
    double worst_val = 0, worst_grad = 0;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double ref = sigmoid_ref(xs[i]), y = y1.value()(i);
        const double err = std::abs(y - ref);
        if (!(err <= kTol * ref + kDenormUlp)) {
            if (++bad <= 5) BOOST_ERROR("sigmoid(" << xs[i] << ") = " << y << ", expected " << ref);
        }
        if (ref >= 1.17549435e-38) worst_val = std::max(worst_val, err / ref);
        // backward from the saved float output: ∂x = 2·g·y(1 − y)
        const double dref = 2.0 * double(gv[i]) * y * (1.0 - y), d = t.grad(x)(i);
        const double derr = std::abs(d - dref);
        if (!(derr <= kTol * std::abs(dref) + 2 * kDenormUlp)) {  // y(1 − y) and g·… may round as denormals
            if (++bad <= 5) BOOST_ERROR("sigmoid'(" << xs[i] << ") = " << d << ", expected " << dref);
        }
        if (std::abs(dref) >= 1.17549435e-38) worst_grad = std::max(worst_grad, derr / std::abs(dref));
    }
    BOOST_TEST(bad == 0u, bad << " of " << n << " sigmoid values or gradients out of bounds");
    BOOST_TEST_MESSAGE("sigmoid: worst relative error " << worst_val << " (value), " << worst_grad << " (gradient)");
    BOOST_TEST(worst_val < kTol);

    // exact values PyTorch gives too
    Tape<float> t2;
    const std::vector<float> edge = {0.0f, 100.0f, 1e30f, kInf, -kInf, -1e30f, -110.0f, -100.0f, kNaN};
    Var<float> ye = sigmoid(t2.input(vec(edge)));
    BOOST_TEST(ye.value()(0) == 0.5f);
    BOOST_TEST(ye.value()(1) == 1.0f);
    BOOST_TEST(ye.value()(2) == 1.0f);
    BOOST_TEST(ye.value()(3) == 1.0f);
    BOOST_TEST(ye.value()(4) == 0.0f);
    BOOST_TEST(ye.value()(5) == 0.0f);
    BOOST_TEST(ye.value()(6) == 0.0f);
    BOOST_TEST(std::abs(double(ye.value()(7)) - 3.720075976020836e-44) <= kDenormUlp);  // a denormal, as in PyTorch
    BOOST_TEST(std::isnan(ye.value()(8)));
}

// One element at a time (Sum over a single entry), so no error hides in an average.
BOOST_AUTO_TEST_CASE(bce_float_loss_per_element) {
    const std::vector<float> ps = probabilities(20000);
    double worst = 0;
    std::size_t bad = 0;
    Tape<float> t;
    for (float y : {1.0f, 0.0f, 0.3f, 0.97f}) {
        for (float p : ps) {
            t.reset();
            const float loss = binary_cross_entropy(t.input(vec({p})), t.input(vec({y})), Reduction::Sum).value()();
            const double ref = bce_ref(p, y), err = std::abs(double(loss) - ref);
            if (!(err <= kTol * ref + 1e-37)) {
                if (++bad <= 5) BOOST_ERROR("bce(p = " << p << ", y = " << y << ") = " << loss << ", expected " << ref);
            }
            if (ref > 0) worst = std::max(worst, err / ref);
        }
    }
    BOOST_TEST(bad == 0u, bad << " BCE values out of bounds");
    BOOST_TEST_MESSAGE("bce per element: worst relative error " << worst);
    // the clamps: log 0 and log(1 − 1) count −100, and p = y ∈ {0, 1} costs exactly 0
    auto bce1 = [&](float p, float y) {
        t.reset();
        return binary_cross_entropy(t.input(vec({p})), t.input(vec({y})), Reduction::Sum).value()();
    };
    BOOST_TEST(bce1(0.0f, 1.0f) == 100.0f);
    BOOST_TEST(bce1(1.0f, 0.0f) == 100.0f);
    BOOST_TEST(bce1(0.0f, 0.0f) == 0.0f);
    BOOST_TEST(bce1(1.0f, 1.0f) == 0.0f);
    BOOST_TEST(bce1(1e-45f, 1.0f) == 100.0f);  // log(1e-45) = −103.3, clamped
}

// The whole array at once: the sums (16 double lanes plus a tail: n is not a multiple of 16) and both
// gradients, each written fresh by the first use of p and y and added by the second.
BOOST_AUTO_TEST_CASE(bce_float_sum_and_gradients) {
    const std::vector<float> ps = probabilities(100000);
    const std::size_t n = ps.size();
    BOOST_REQUIRE(n % 16 != 0);
    Rng rng(74);
    std::vector<float> ys(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double u = rng.uniform();
        ys[i] = u < 0.1 ? 0.0f : u < 0.2 ? 1.0f : u < 0.3 ? ps[i] : float(rng.uniform());
    }
    double ref_sum = 0;
    for (std::size_t i = 0; i < n; ++i) ref_sum += bce_ref(ps[i], ys[i]);
    for (Reduction r : {Reduction::Sum, Reduction::Mean}) {
        Tape<float> t;
        Var<float> p = t.input(vec(ps), true), y = t.input(vec(ys), true);
        Var<float> l1 = binary_cross_entropy(p, y, r), l2 = binary_cross_entropy(p, y, r);
        const double ref = r == Reduction::Sum ? ref_sum : ref_sum / double(n);
        const double rel = std::abs(double(l1.value()()) - ref) / ref;
        BOOST_TEST_MESSAGE("bce " << (r == Reduction::Sum ? "sum" : "mean") << " over " << n << ": relative error " << rel);
        BOOST_TEST(rel < 1e-7);  // the per-element errors average out; a float running sum would not stay this close
        const float g = 1.75f;
        t.backward(mul_scalar(add(l1, l2), g));
        const double gs = 2.0 * double(g) * (r == Reduction::Sum ? 1.0 : 1.0 / double(n));
        double worst_p = 0, worst_y = 0;
        std::size_t bad = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double pd = ps[i], yd = ys[i];
            const double dp_ref = gs * (pd - yd) / std::max(pd * (1.0 - pd), 1e-12);
            const double dp_err = std::abs(double(t.grad(p)(i)) - dp_ref);
            const double dy_ref = gs * (log1m_ref(pd) - log_ref(pd));
            const double dy_scale = gs * (std::abs(log1m_ref(pd)) + std::abs(log_ref(pd)));  // cancels near p = ½
            const double dy_err = std::abs(double(t.grad(y)(i)) - dy_ref);
            if (!(dp_err <= kTol * std::abs(dp_ref) + 1e-37) || !(dy_err <= kTol * dy_scale + 1e-37)) {
                if (++bad <= 5)
                    BOOST_ERROR("bce gradients at p = " << pd << ", y = " << yd << ": ∂p " << t.grad(p)(i) << " vs "
                                                       << dp_ref << ", ∂y " << t.grad(y)(i) << " vs " << dy_ref);
            }
            if (dp_ref != 0) worst_p = std::max(worst_p, dp_err / std::abs(dp_ref));
            if (dy_scale != 0) worst_y = std::max(worst_y, dy_err / dy_scale);
        }
        BOOST_TEST(bad == 0u, bad << " of " << n << " BCE gradients out of bounds");
        BOOST_TEST_MESSAGE("bce gradients: worst relative error " << worst_p << " (∂p), " << worst_y
                                                                  << " (∂y, of |log(1−p)| + |log p|)");
    }
}

BOOST_AUTO_TEST_CASE(bce_float_rejects_non_probabilities_by_index) {
    for (float bad : {-1e-30f, 1.0f + 0x1p-23f, kNaN, kInf}) {
        std::vector<float> ps(37, 0.5f);
        ps[21] = bad;
        Tape<float> t;
        Var<float> p = t.input(vec(ps), true), y = t.input(vec(std::vector<float>(37, 1.0f)));
        try {
            binary_cross_entropy(p, y);
            BOOST_ERROR("no error for p = " << bad);
        } catch (const ValueError& e) {
            BOOST_TEST(std::string(e.what()).find("input 21 ") != std::string::npos, e.what());
        }
    }
}

// The kernels run as the widest build this CPU has (read independently from /proc/cpuinfo).
BOOST_AUTO_TEST_CASE(kernels_use_the_widest_instruction_set) {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    std::set<std::string> flags;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            for (std::string w; words >> w;) flags.insert(w);
            break;
        }
    if (flags.empty()) return;  // not Linux: nothing to compare with
    auto has = [&](const char* f) { return flags.count(f) > 0; };
    const Isa expected = has("avx512f") && has("avx512dq") && has("avx512vl") ? Isa::Avx512
                              : has("avx2") && has("fma")                         ? Isa::Avx2
                                                                                  : Isa::Baseline;
    BOOST_TEST(int(best_isa()) == int(expected));
}

BOOST_AUTO_TEST_SUITE_END()
