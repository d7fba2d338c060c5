#include "helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace gt_test {

Tensor<double> uniform(gt::Rng& rng, const Shape& s, double lo, double hi) {
    Tensor<double> t(s);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = rng.uniform(lo, hi);
    return t;
}

Tensor<double> away_from_zero(gt::Rng& rng, const Shape& s, double lo, double hi) {
    Tensor<double> t(s);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = (rng.uniform() < 0.5 ? -1.0 : 1.0) * rng.uniform(lo, hi);
    return t;
}

Tensor<double> distinct(gt::Rng& rng, const Shape& s) {
    Tensor<double> t(s);
    const auto perm = rng.permutation(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = 0.05 * double(perm[i]) - 0.025 * double(t.size());
    return t;
}

void expect_gradcheck(const std::string& what, const gt::GradcheckFn& f, const std::vector<Tensor<double>>& inputs,
                      double tol) {
    const gt::GradcheckResult r = gt::gradcheck(f, inputs);
    std::ostringstream msg;
    msg << what << ": relative errors";
    for (double e : r.rel_error) msg << ' ' << e;
    BOOST_TEST(r.max_rel_error < tol, msg.str());
    for (std::size_t k = 0; k < r.analytic.size(); ++k) {
        double norm = 0;
        for (std::size_t i = 0; i < r.analytic[k].size(); ++i) norm += std::abs(r.analytic[k].data()[i]);
        BOOST_TEST(norm > 0.0, what << ": the gradient of input " << k << " is all zero (vacuous check)");
    }
}

std::map<std::string, std::set<std::string>>& coverage() {
    static std::map<std::string, std::set<std::string>> m;
    return m;
}

Covers::Covers(const char* test, std::initializer_list<const char*> keys) {
    for (const char* k : keys) coverage()[k].insert(test);
}

double rel_diff(const Tensor<double>& a, const Tensor<double>& b) {
    if (a.shape() != b.shape()) return INFINITY;
    double d = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        d += (a.data()[i] - b.data()[i]) * (a.data()[i] - b.data()[i]);
        na += a.data()[i] * a.data()[i];
        nb += b.data()[i] * b.data()[i];
    }
    return std::sqrt(d) / std::max({std::sqrt(na), std::sqrt(nb), 1e-300});
}

}  // namespace gt_test
