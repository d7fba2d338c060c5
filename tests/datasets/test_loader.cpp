// BatchLoader: coverage per epoch, batch sizes, determinism by seed, drop_last, resume from state().
#include <algorithm>
#include <numeric>

#include <boost/test/unit_test.hpp>

#include "datasets/loader.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;

namespace {

// N samples of shape (3,), every feature equal to the sample index; label i mod 4; optional target −i.
Dataset<float> counting(std::size_t n, bool regression = false) {
    Dataset<float> d;
    d.name = "counting";
    d.x = Tensor<float>::from_shape({n, 3});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < 3; ++j) d.x(i, j) = float(i);
    if (regression) {
        d.target = Tensor<float>::from_shape({n, 1});
        for (std::size_t i = 0; i < n; ++i) d.target(i, 0) = -float(i);
    } else {
        d.num_classes = 4;
        for (std::size_t i = 0; i < n; ++i) d.y.push_back(int(i % 4));
    }
    return d;
}

// One epoch's batches as lists of sample indices (read back from the features), checking labels.
std::vector<std::vector<std::size_t>> epoch(BatchLoader<float>& loader) {
    std::vector<std::vector<std::size_t>> batches;
    Tensor<float> x;
    Labels y;
    while (loader.next(x, y)) {
        std::vector<std::size_t> b;
        for (std::size_t r = 0; r < x.shape()[0]; ++r) {
            const auto i = static_cast<std::size_t>(x(r, 0));
            BOOST_REQUIRE(x(r, 1) == float(i) && x(r, 2) == float(i));
            BOOST_REQUIRE_EQUAL(y[r], int(i % 4));
            b.push_back(i);
        }
        BOOST_REQUIRE_EQUAL(y.size(), b.size());
        batches.push_back(b);
    }
    return batches;
}

std::vector<std::size_t> flatten(const std::vector<std::vector<std::size_t>>& batches) {
    std::vector<std::size_t> all;
    for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
    return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loader)

BOOST_AUTO_TEST_CASE(every_sample_once_per_epoch_with_partial_last_batch) {
    const Dataset<float> d = counting(103);
    BatchLoader<float> loader(d, 10, true, 1);
    BOOST_TEST(loader.num_batches() == 11u);
    std::vector<std::size_t> previous;
    for (int e = 0; e < 3; ++e) {
        loader.start_epoch();
        const auto batches = epoch(loader);
        BOOST_REQUIRE_EQUAL(batches.size(), 11u);
        for (std::size_t b = 0; b < 10; ++b) BOOST_TEST(batches[b].size() == 10u);
        BOOST_TEST(batches[10].size() == 3u);
        auto all = flatten(batches);
        BOOST_TEST(all != previous);  // a new order each epoch
        previous = all;
        std::sort(all.begin(), all.end());
        for (std::size_t i = 0; i < 103; ++i) BOOST_REQUIRE_EQUAL(all[i], i);
    }
    BOOST_TEST(loader.epoch() == 3u);
}

BOOST_AUTO_TEST_CASE(drop_last_drops_only_the_tail) {
    const Dataset<float> d = counting(103);
    BatchLoader<float> loader(d, 10, true, 1, /*drop_last=*/true);
    BOOST_TEST(loader.num_batches() == 10u);
    loader.start_epoch();
    const auto batches = epoch(loader);
    BOOST_REQUIRE_EQUAL(batches.size(), 10u);
    auto all = flatten(batches);
    BOOST_TEST(all.size() == 100u);
    std::sort(all.begin(), all.end());
    BOOST_TEST((std::adjacent_find(all.begin(), all.end()) == all.end()));  // no sample twice
    // the three left out are exactly the tail of this epoch's order
    std::vector<std::size_t> tail(loader.order().end() - 3, loader.order().end());
    for (std::size_t i : tail) BOOST_TEST(!std::binary_search(all.begin(), all.end(), i));
}

BOOST_AUTO_TEST_CASE(without_shuffle_the_order_is_the_identity) {
    const Dataset<float> d = counting(7);
    BatchLoader<float> loader(d, 3, false, 99);
    std::vector<std::size_t> expected(7);
    std::iota(expected.begin(), expected.end(), std::size_t(0));
    for (int e = 0; e < 2; ++e) {
        loader.start_epoch();
        BOOST_TEST(flatten(epoch(loader)) == expected, boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_CASE(first_next_starts_an_epoch_and_epoch_end_is_sticky) {
    const Dataset<float> d = counting(5);
    BatchLoader<float> loader(d, 2, true, 0);
    Tensor<float> x;
    Labels y;
    int batches = 0;
    while (loader.next(x, y)) ++batches;
    BOOST_TEST(batches == 3);
    BOOST_TEST(loader.epoch() == 1u);
    BOOST_TEST(!loader.next(x, y));
}

BOOST_AUTO_TEST_CASE(deterministic_by_seed) {
    const Dataset<float> d = counting(50);
    BatchLoader<float> a(d, 8, true, 5), b(d, 8, true, 5), c(d, 8, true, 6);
    for (int e = 0; e < 3; ++e) {
        a.start_epoch();
        b.start_epoch();
        c.start_epoch();
        const auto ea = flatten(epoch(a));
        BOOST_TEST(ea == flatten(epoch(b)), boost::test_tools::per_element());
        BOOST_TEST(ea != flatten(epoch(c)));
    }
}

BOOST_AUTO_TEST_CASE(regression_targets_follow_their_samples) {
    const Dataset<float> d = counting(9, /*regression=*/true);
    BatchLoader<float> loader(d, 4, true, 2);
    Tensor<float> x, t;
    Labels y = {1, 2, 3};
    std::size_t seen = 0;
    while (loader.next(x, y, &t)) {
        BOOST_TEST(y.empty());
        BOOST_REQUIRE(shape_of(t) == (Shape{x.shape()[0], 1}));
        for (std::size_t r = 0; r < x.shape()[0]; ++r) BOOST_REQUIRE_EQUAL(t(r, 0), -x(r, 0));
        seen += x.shape()[0];
    }
    BOOST_TEST(seen == 9u);

    const Dataset<float> c = counting(9);
    BatchLoader<float> labels_only(c, 4, true, 2);
    GT_CHECK_THROW_MSG(labels_only.next(x, y, &t), ValueError, "'counting'", "expected a dataset with regression targets");
}

BOOST_AUTO_TEST_CASE(resume_from_state_reproduces_the_rest_of_the_run) {
    const Dataset<float> d = counting(37);
    BatchLoader<float> a(d, 5, true, 77);
    Tensor<float> x;
    Labels y;
    a.start_epoch();
    epoch(a);
    a.start_epoch();
    for (int k = 0; k < 3; ++k) a.next(x, y);
    const std::string saved = a.state();
    BOOST_TEST(saved == "BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 drop_last=0 epoch=2 position=3");

    BatchLoader<float> b(d, 5, true, 77);
    b.restore(saved);
    BOOST_TEST(b.state() == saved);
    BOOST_TEST(b.order() == a.order(), boost::test_tools::per_element());
    BOOST_TEST(flatten(epoch(b)) == flatten(epoch(a)), boost::test_tools::per_element());  // rest of epoch 2
    a.start_epoch();
    b.start_epoch();
    BOOST_TEST(flatten(epoch(b)) == flatten(epoch(a)), boost::test_tools::per_element());  // epoch 3

    BatchLoader<float> fresh(d, 5, true, 77);
    fresh.restore("BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 drop_last=0 epoch=0 position=0");
    BOOST_TEST(fresh.order().empty());
}

BOOST_AUTO_TEST_CASE(restore_rejects_foreign_or_malformed_states) {
    const Dataset<float> d = counting(37);
    BatchLoader<float> l(d, 5, true, 77);
    const std::string ok = "BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 drop_last=0 epoch=2 position=3";
    BOOST_CHECK_NO_THROW(l.restore(ok));
    GT_CHECK_THROW_MSG(l.restore("Loader v1 seed=77"), ValueError, "expected a state starting 'BatchLoader v1'");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=78 n=37 batch=5 shuffle=1 drop_last=0 epoch=2 position=3"),
                       ValueError, "expected seed=77 (this loader), found seed=78");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=36 batch=5 shuffle=1 drop_last=0 epoch=2 position=3"),
                       ValueError, "expected n=37", "found n=36");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=37 batch=4 shuffle=1 drop_last=0 epoch=2 position=3"),
                       ValueError, "expected batch=5", "found batch=4");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=37 batch=5 shuffle=0 drop_last=0 epoch=2 position=3"),
                       ValueError, "expected shuffle=1");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 drop_last=1 epoch=2 position=3"),
                       ValueError, "expected drop_last=0");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 drop_last=0 epoch=2 position=9"),
                       ValueError, "expected position <= 8", "found position=9");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 drop_last=0 epoch=0 position=1"),
                       ValueError, "0 before the first epoch");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 drop_last=0 epoch=2"), ValueError,
                       "expected a field 'position'");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=77 n=37 batch=5 shuffle=1 epoch=2 position=1"), ValueError,
                       "expected a field 'drop_last'");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=-1 n=37"), ValueError, "expected key=number", "'seed=-1'");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed=99999999999999999999999"), ValueError, "expected key=number");
    GT_CHECK_THROW_MSG(l.restore("BatchLoader v1 seed"), ValueError, "expected key=number", "'seed'");
    BOOST_TEST(l.state() == ok);  // failed restores leave the loader as it was
}

BOOST_AUTO_TEST_CASE(constructor_errors) {
    const Dataset<float> d = counting(10);
    GT_CHECK_THROW_MSG(BatchLoader<float>(d, 0, true, 0), ValueError, "'counting'", "batch size >= 1", "found 0");
    GT_CHECK_THROW_MSG(BatchLoader<float>(d, 11, true, 0, true), ValueError, "batch size <= 10", "drop_last", "found 11");
    BOOST_CHECK_NO_THROW(BatchLoader<float>(d, 11, true, 0, false));
    Dataset<float> bad = counting(10);
    bad.y[0] = 4;
    GT_CHECK_THROW_MSG(BatchLoader<float>(bad, 2, true, 0), ValueError, "expected labels in [0, 4)");
}

BOOST_AUTO_TEST_SUITE_END()
