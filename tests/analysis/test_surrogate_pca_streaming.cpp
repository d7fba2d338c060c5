// Surrogate against the explicit N × N formula, PCA against an SVD of the centred features, and the
// streaming statistics against the one-shot computations.
#include <boost/test/unit_test.hpp>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/pca.hpp"
#include "analysis/streaming.hpp"
#include "analysis/surrogate.hpp"
#include "analysis/target_linearity.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;
using gt::testing::loop_product;
using gt::testing::loop_transpose;
using gt::testing::random_matrix;
namespace tt = boost::test_tools;

namespace {

// Σ_c y_cᵀ (Z Zᵀ) y_c with the N × N kernel formed explicitly, as the reference code does.
double surrogate_by_kernel(const Tensor<double>& z, const Tensor<double>& y) {
    const Tensor<double> k = loop_product(z, loop_transpose(z));
    double s = 0;
    for (std::size_t c = 0; c < y.shape()[1]; ++c)
        for (std::size_t i = 0; i < k.shape()[0]; ++i)
            for (std::size_t j = 0; j < k.shape()[1]; ++j) s += y(i, c) * k(i, j) * y(j, c);
    return s;
}

// Top-k right singular vectors of the centred matrix (d × k), by SVD.
Tensor<double> svd_components(const Tensor<double>& h, std::size_t k, Tensor<double>* sing = nullptr) {
    Tensor<double> c = h;
    const std::size_t n = h.shape()[0], d = h.shape()[1];
    for (std::size_t j = 0; j < d; ++j) {
        double m = 0;
        for (std::size_t i = 0; i < n; ++i) m += h(i, j) / double(n);
        for (std::size_t i = 0; i < n; ++i) c(i, j) -= m;
    }
    auto [u, s, vt] = xt::linalg::svd(c, false);
    Tensor<double> v = Tensor<double>::from_shape({d, k});
    for (std::size_t a = 0; a < k; ++a)
        for (std::size_t j = 0; j < d; ++j) v(j, a) = vt(a, j);
    if (sing) *sing = s;
    return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(surrogate_equals_the_explicit_kernel_formula) {
    Rng rng(0);
    const Tensor<double> h = random_matrix(rng, 25, 6), w = random_matrix(rng, 4, 6);
    Labels labels(25);
    for (auto& l : labels) l = int(rng.below(3));
    const Tensor<double> y = centred_one_hot<double>(labels, 3);
    const SurrogateResult r = surrogate<double>(h, w, y);
    const Tensor<double> z = loop_product(h, loop_transpose(w));
    BOOST_TEST(r.s == surrogate_by_kernel(z, y), tt::tolerance(1e-12));
    BOOST_TEST(r.s_mean == r.s / 3.0, tt::tolerance(1e-15));
    BOOST_TEST(r.z_norm2 == gt::testing::norm(z) * gt::testing::norm(z), tt::tolerance(1e-12));
    BOOST_TEST(r.width == 4u);
}

BOOST_AUTO_TEST_CASE(surrogate_projects_wide_z_onto_its_principal_components) {
    Rng rng(1);
    const Tensor<double> h = random_matrix(rng, 40, 5), w = random_matrix(rng, 12, 5);
    const Tensor<double> y = random_matrix(rng, 40, 2);
    const SurrogateResult r = surrogate<double>(h, w, y, {10, 3});  // out 12 > 10: project to 3
    const Tensor<double> z = loop_product(h, loop_transpose(w));
    const Tensor<double> zp = loop_product(z, svd_components(z, 3));
    BOOST_TEST(r.width == 3u);
    BOOST_TEST(r.s == surrogate_by_kernel(zp, y), tt::tolerance(1e-10));
    BOOST_TEST(r.z_norm2 == gt::testing::norm(zp) * gt::testing::norm(zp), tt::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(pca_matches_the_svd_of_the_centred_features) {
    Rng rng(2);
    Tensor<double> h = random_matrix(rng, 50, 8);
    for (std::size_t i = 0; i < 50; ++i)
        for (std::size_t j = 0; j < 8; ++j) h(i, j) = h(i, j) * double(j + 1) + 2.0;  // distinct variances, offset
    Tensor<double> s;
    const Tensor<double> v = svd_components(h, 4, &s);
    const Pca<double> p = pca_fit<double>(h, 4);
    for (std::size_t a = 0; a < 4; ++a) {
        double dot = 0;
        for (std::size_t j = 0; j < 8; ++j) dot += v(j, a) * p.components(j, a);
        BOOST_TEST(std::abs(dot) == 1.0, tt::tolerance(1e-10));  // same direction up to sign
        BOOST_TEST(p.variances(a) == s(a) * s(a) / 49.0, tt::tolerance(1e-10));
    }
    // Projection of the uncentred H, as the reference code does.
    const Tensor<double> proj = pca_project<double>(h, 4);
    BOOST_TEST(gt::testing::rel_diff(proj, loop_product(h, p.components)) < 1e-13);
    // reduce_if_wide: untouched up to the threshold, projected above it.
    BOOST_TEST(gt::testing::rel_diff(reduce_if_wide<double>(h, 8, 4), h) == 0.0);
    BOOST_TEST(reduce_if_wide<double>(h, 7, 4).shape()[1] == 4u);
}

BOOST_AUTO_TEST_CASE(pca_rejects_bad_k) {
    Rng rng(0);
    const Tensor<double> h = random_matrix(rng, 10, 3);
    using gt::testing::throws_with;
    BOOST_TEST(throws_with<ValueError>([&] { pca_fit<double>(h, 4); }, {"pca", "1 <= k <= d = 3", "k = 4"}));
    BOOST_TEST(throws_with<ValueError>([&] { pca_fit<double>(h, 0); }, {"k = 0"}));
}

BOOST_AUTO_TEST_CASE(streaming_statistics_equal_the_one_shot_computation) {
    Rng rng(3);
    const std::size_t n = 103, d = 7, c = 4;
    Tensor<double> h = random_matrix(rng, n, d), y = random_matrix(rng, n, c);
    for (std::size_t i = 0; i < n; ++i) y(i, 1) += 1.5;
    const Tensor<double> w = random_matrix(rng, 5, d);
    LayerStatistics<double> stats(d, c, "layer 1");
    for (std::size_t start = 0; start < n;) {  // uneven batches, including one empty
        const std::size_t len = std::min<std::size_t>(n - start, start % 3 == 0 ? 17 : 9);
        stats.add(xt::view(h, xt::range(start, start + len), xt::all()),
                  xt::view(y, xt::range(start, start + len), xt::all()));
        if (start == 0) stats.add(Tensor<double>::from_shape({0, d}), Tensor<double>::from_shape({0, c}));
        start += len;
    }
    BOOST_TEST(stats.samples() == n);
    for (auto centring : {DenominatorCentring::RowMean, DenominatorCentring::Column})
        for (double lambda : {0.0, 2.0}) {
            const TlResult a = stats.target_linearity({lambda, centring});
            const TlResult b = target_linearity<double>(h, y, {lambda, centring});
            BOOST_TEST(a.tl == b.tl, tt::tolerance(1e-10));
            BOOST_TEST(a.total_ss == b.total_ss, tt::tolerance(1e-10));
            BOOST_TEST(a.residual_ss == b.residual_ss, tt::tolerance(1e-10));
        }
    // TL after the PCA of wide features (here d = 7 > 5 → 3) equals TL of the explicitly projected H.
    const TlResult pa = stats.target_linearity({}, 5, 3);
    const TlResult pb = target_linearity<double>(reduce_if_wide<double>(h, 5, 3), y);
    BOOST_TEST(pa.tl == pb.tl, tt::tolerance(1e-10));
    BOOST_TEST(pa.tl < stats.target_linearity().tl);  // fewer directions fit less
    for (SurrogateOptions o : {SurrogateOptions{}, SurrogateOptions{4, 2}}) {  // plain, and with PCA of Z
        const SurrogateResult a = stats.surrogate(w, o);
        const SurrogateResult b = surrogate<double>(h, w, y, o);
        BOOST_TEST(a.s == b.s, tt::tolerance(1e-10));
        BOOST_TEST(a.s_mean == b.s_mean, tt::tolerance(1e-10));
        BOOST_TEST(a.z_norm2 == b.z_norm2, tt::tolerance(1e-10));
        BOOST_TEST(a.width == b.width);
    }
}

BOOST_AUTO_TEST_CASE(streaming_rejects_bad_batches) {
    LayerStatistics<double> stats(3, 2, "layer 4");
    using gt::testing::throws_with;
    BOOST_TEST(throws_with<ShapeError>([&] { stats.add(xt::zeros<double>({5, 4}), xt::zeros<double>({5, 2})); },
                                       {"layer 4", "(n × 3)", "(5, 4)"}));
    BOOST_TEST(throws_with<ShapeError>([&] { stats.add(xt::zeros<double>({5, 3}), xt::zeros<double>({4, 2})); },
                                       {"(4, 2)"}));
    BOOST_TEST(throws_with<ValueError>([&] { stats.target_linearity(); }, {"layer 4", "at least 2 samples"}));
    BOOST_TEST(throws_with<ShapeError>([&] { stats.surrogate(xt::zeros<double>({2, 5})); }, {"(out × 3)", "(2, 5)"}));
    BOOST_TEST(throws_with<ValueError>([&] { LayerStatistics<double>(0, 2, "x"); }, {"d = 0"}));
}
