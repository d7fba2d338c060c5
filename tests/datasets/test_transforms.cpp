// Dataset checks, selection, subsets, splits, one-hot, label randomisation and normalisation.
#include <algorithm>
#include <cmath>
#include <set>

#include <boost/test/unit_test.hpp>

#include "datasets/labels.hpp"
#include "datasets/normalize.hpp"
#include "datasets/subset.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;

namespace {

// N samples whose features (N, 2, 3) all equal the sample index i; label i mod 7; target 10·i.
Dataset<double> indexed(std::size_t n) {
    Dataset<double> d;
    d.name = "indexed";
    d.num_classes = 7;
    d.x = Tensor<double>::from_shape({n, 2, 3});
    d.target = Tensor<double>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < 6; ++j) d.x.data()[i * 6 + j] = double(i);
        d.y.push_back(int(i % 7));
        d.target(i, 0) = 10.0 * double(i);
    }
    return d;
}

// The sample index each row of a subset came from, checked against its label and target.
std::vector<std::size_t> origins(const Dataset<double>& d) {
    std::vector<std::size_t> from;
    for (std::size_t r = 0; r < d.size(); ++r) {
        const auto i = static_cast<std::size_t>(d.x(r, 1, 2));
        BOOST_REQUIRE_EQUAL(d.y[r], int(i % 7));
        BOOST_REQUIRE_EQUAL(d.target(r, 0), 10.0 * double(i));
        for (std::size_t j = 0; j < 6; ++j) BOOST_REQUIRE_EQUAL(d.x.data()[r * 6 + j], double(i));
        from.push_back(i);
    }
    return from;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transforms)

BOOST_AUTO_TEST_CASE(size_sample_shape_and_has_target) {
    const Dataset<double> d = indexed(5);
    BOOST_TEST(d.size() == 5u);
    BOOST_TEST(d.sample_shape() == (Shape{2, 3}), boost::test_tools::per_element());
    BOOST_TEST(d.has_target());
    const Dataset<float> empty;
    BOOST_TEST(empty.size() == 0u);
    BOOST_TEST(empty.sample_shape().empty());
    BOOST_TEST(!empty.has_target());  // a default xarray is a 0-d scalar of size 1, not a target
}

BOOST_AUTO_TEST_CASE(validate_catches_inconsistent_parts) {
    BOOST_CHECK_NO_THROW(validate(indexed(4)));
    Dataset<double> d = indexed(4);
    d.y.pop_back();
    GT_CHECK_THROW_MSG(validate(d), ValueError, "'indexed'", "expected 4 labels", "found 3");
    d = indexed(4);
    d.y[2] = 7;
    GT_CHECK_THROW_MSG(validate(d), ValueError, "expected labels in [0, 7)", "found 7 at sample 2");
    d = indexed(4);
    d.target = Tensor<double>::from_shape({3, 1});
    GT_CHECK_THROW_MSG(validate(d), ShapeError, "expected targets of shape (4, k)", "found (3, 1)");
    d = indexed(4);
    d.y.clear();
    d.target = Tensor<double>();
    GT_CHECK_THROW_MSG(validate(d), ValueError, "expected labels or targets, found neither");
    d.x = Tensor<double>::from_shape({4});
    GT_CHECK_THROW_MSG(validate(d), ShapeError, "at least 2 axes", "found (4,)");
}

BOOST_AUTO_TEST_CASE(select_keeps_rows_labels_targets_in_index_order) {
    const Dataset<double> d = indexed(10);
    const Dataset<double> s = select(d, {7, 2, 2, 9});
    BOOST_TEST(origins(s) == (std::vector<std::size_t>{7, 2, 2, 9}), boost::test_tools::per_element());
    BOOST_TEST(s.num_classes == 7u);
    GT_CHECK_THROW_MSG(select(d, {1, 10}), ValueError, "expected sample indices in [0, 10)", "found 10");
}

BOOST_AUTO_TEST_CASE(random_subset_is_distinct_sorted_and_seeded) {
    const Dataset<double> d = indexed(100);
    Rng a(3), b(3), c(4);
    const auto s = origins(random_subset(d, 30, a));
    BOOST_TEST(s.size() == 30u);
    BOOST_TEST(std::is_sorted(s.begin(), s.end()));
    BOOST_TEST(std::set<std::size_t>(s.begin(), s.end()).size() == 30u);
    BOOST_TEST(origins(random_subset(d, 30, b)) == s, boost::test_tools::per_element());
    BOOST_TEST(origins(random_subset(d, 30, c)) != s);
    BOOST_TEST(random_subset(d, 100, a).size() == 100u);
    GT_CHECK_THROW_MSG(random_subset(d, 101, a), ValueError, "at most 100 samples", "found a request for 101");
}

BOOST_AUTO_TEST_CASE(random_split_sizes_and_partition) {
    const Dataset<double> d = indexed(3721);
    Rng rng(0);
    const Split<double> s = random_split(d, 0.3, rng);
    BOOST_TEST(s.test.size() == 1117u);  // ceil(0.3 · 3721), as sklearn
    BOOST_TEST(s.train.size() == 2604u);
    std::vector<std::size_t> all = origins(s.train);
    const auto t = origins(s.test);
    all.insert(all.end(), t.begin(), t.end());
    std::sort(all.begin(), all.end());
    for (std::size_t i = 0; i < all.size(); ++i) BOOST_REQUIRE_EQUAL(all[i], i);
    GT_CHECK_THROW_MSG(random_split(d, 0.0, rng), ValueError, "expected test_fraction in (0, 1)", "found 0");
    GT_CHECK_THROW_MSG(random_split(d, 1.0, rng), ValueError, "found 1");
    GT_CHECK_THROW_MSG(random_split(indexed(1), 0.5, rng), ValueError, "two non-empty parts", "1 test samples out of 1");
}

BOOST_AUTO_TEST_CASE(one_hot_positions) {
    const Tensor<float> h = one_hot<float>({2, 0, 2, 1}, 3);
    const Tensor<float> expected = {{0, 0, 1}, {1, 0, 0}, {0, 0, 1}, {0, 1, 0}};
    BOOST_TEST(h == expected);
    GT_CHECK_THROW_MSG(one_hot<float>({0, 3}, 3), ValueError, "one_hot", "[0, 3)", "found 3 at sample 1");
    GT_CHECK_THROW_MSG(one_hot<float>({-1}, 3), ValueError, "found -1 at sample 0");
    GT_CHECK_THROW_MSG(one_hot<float>({0}, 0), ValueError, "num_classes >= 1");
}

BOOST_AUTO_TEST_CASE(randomize_labels_rate_is_p_times_one_minus_one_over_c) {
    const std::size_t n = 200000, c = 10;
    Labels y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = int(i % c);
    for (double p : {0.0, 0.25, 0.75, 1.0}) {
        Rng rng(11);
        const Labels r = randomize_labels(y, c, p, rng);
        std::size_t changed = 0;
        std::vector<std::size_t> hist(c, 0);
        for (std::size_t i = 0; i < n; ++i) {
            changed += r[i] != y[i];
            BOOST_REQUIRE(r[i] >= 0 && r[i] < int(c));
            ++hist[r[i]];
        }
        // binomial: s.e. of the rate ≤ 0.5/√n ≈ 0.0011
        BOOST_TEST(std::abs(double(changed) / n - p * (1.0 - 1.0 / c)) < 0.006);
        for (std::size_t k = 0; k < c; ++k) BOOST_TEST(std::abs(double(hist[k]) / n - 0.1) < 0.006);
    }
    Rng a(5), b(5);
    BOOST_TEST(randomize_labels(y, c, 0.5, a) == randomize_labels(y, c, 0.5, b), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(randomize_labels_errors) {
    Rng rng(0);
    GT_CHECK_THROW_MSG(randomize_labels({0, 1}, 10, 1.5, rng), ValueError, "probability p in [0, 1]", "found 1.5");
    GT_CHECK_THROW_MSG(randomize_labels({0, 1}, 10, std::nan(""), rng), ValueError, "found nan");
    GT_CHECK_THROW_MSG(randomize_labels({0, 10}, 10, 0.5, rng), ValueError, "found 10 at sample 1");
    GT_CHECK_THROW_MSG(randomize_labels({0}, 0, 0.5, rng), ValueError, "num_classes >= 1");
}

BOOST_AUTO_TEST_CASE(normalize_channels_per_channel_affine) {
    Tensor<double> x = Tensor<double>::from_shape({2, 3, 2, 2});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = double(i) / 10.0;
    const Tensor<double> before = x;
    const std::vector<double> mean = {0.5, -1.0, 2.0}, sd = {0.5, 2.0, 4.0};
    normalize_channels(x, mean, sd);
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t h = 0; h < 2; ++h)
                for (std::size_t w = 0; w < 2; ++w)
                    BOOST_REQUIRE_CLOSE_FRACTION(x(n, c, h, w) + 10.0, (before(n, c, h, w) - mean[c]) / sd[c] + 10.0,
                                                 1e-14);
    // Normalize(0.5, 0.5) maps [0, 1] onto [−1, 1]
    Tensor<float> img = {{{{0.0f, 1.0f}}}};
    normalize_channels(img, {0.5}, {0.5});
    BOOST_TEST(img(0, 0, 0, 0) == -1.0f);
    BOOST_TEST(img(0, 0, 0, 1) == 1.0f);
    GT_CHECK_THROW_MSG(normalize_channels(x, {0.5}, {0.5}), ValueError, "expected 3 means and stds", "(2, 3, 2, 2)",
                       "found 1 and 1");
    GT_CHECK_THROW_MSG(normalize_channels(x, mean, {1.0, 0.0, 1.0}), ValueError, "std > 0", "found 0", "channel 1");
    Tensor<double> flat = {1.0, 2.0};
    GT_CHECK_THROW_MSG(normalize_channels(flat, {0.0}, {1.0}), ShapeError, "(N, C, ...)", "found (2,)");
}

BOOST_AUTO_TEST_CASE(min_max_columns_exact_ends) {
    Tensor<double> x = {{3.0, -1.0}, {5.0, 1.0}, {4.0, 0.0}};
    min_max_columns(x);
    const Tensor<double> expected = {{0.0, 0.0}, {1.0, 1.0}, {0.5, 0.5}};
    BOOST_TEST(x == expected);
    Tensor<double> constant = {{1.0, 2.0}, {1.0, 3.0}};
    GT_CHECK_THROW_MSG(min_max_columns(constant), ValueError, "non-constant column", "column 0");
    Tensor<double> empty = Tensor<double>::from_shape({0, 2});
    GT_CHECK_THROW_MSG(min_max_columns(empty), ShapeError, "N > 0", "found (0, 2)");
}

BOOST_AUTO_TEST_SUITE_END()

// Regression: gather_rows into a tensor whose buffer was moved away (the shape survives a move, the
// storage does not) used to write through a null pointer.
BOOST_AUTO_TEST_CASE(gather_rows_into_a_moved_from_tensor) {
    gt::Tensor<float> src = {{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}};
    gt::Tensor<float> dst = {{0.f, 0.f}, {0.f, 0.f}};
    gt::Tensor<float> taken = std::move(dst);  // dst keeps shape (2, 2) but no buffer
    const std::size_t idx[] = {2, 0};
    gt::data::gather_rows(src, idx, 2, dst);
    BOOST_TEST(dst.storage().size() == 4u);
    BOOST_TEST(dst(0, 0) == 5.f);
    BOOST_TEST(dst(0, 1) == 6.f);
    BOOST_TEST(dst(1, 0) == 1.f);
    BOOST_TEST(dst(1, 1) == 2.f);
    BOOST_TEST(taken.size() == 4u);
}
