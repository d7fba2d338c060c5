// Huge-page backed sample storage: the advice is given only where it can apply, and data stored in such
// storage (loaded, gathered) is exactly what ordinary storage would hold.
#include <fstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "datasets/dataset.hpp"
#include "datasets/huge_pages.hpp"

using namespace gt;
using namespace gt::data;

namespace {

std::string thp_mode() {
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string s;
    std::getline(f, s);
    return s;  // e.g. "always [madvise] never"; empty where the kernel has no THP
}

}  // namespace

BOOST_AUTO_TEST_SUITE(huge_pages)

BOOST_AUTO_TEST_CASE(small_or_null_ranges_get_no_advice) {
    std::vector<char> small(kHugePageMinBytes - 1);
    BOOST_TEST(!advise_huge_pages(small.data(), small.size()));
    BOOST_TEST(!advise_huge_pages(nullptr, kHugePageMinBytes * 2));
    // A tensor below the threshold is ordinary storage of the requested shape.
    const Tensor<float> t = sample_storage<float>({3, 5});
    BOOST_TEST((shape_of(t) == Shape{3, 5}));
}

BOOST_AUTO_TEST_CASE(large_storage_is_advised_where_the_kernel_has_huge_pages) {
    const std::string mode = thp_mode();
    std::vector<char> big(kHugePageMinBytes * 3);
    const bool advised = advise_huge_pages(big.data(), big.size());
    BOOST_TEST_MESSAGE("transparent huge pages: '" << mode << "', advice accepted: " << advised);
    // The kernel accepts MADV_HUGEPAGE whenever it was built with THP, whatever the current mode.
    if (!mode.empty()) BOOST_TEST(advised);
}

BOOST_AUTO_TEST_CASE(gathering_into_large_storage_copies_the_rows_exactly) {
    // 6000 rows × 784 floats ≈ 18.8 MB source; 2000 gathered rows ≈ 6.3 MB: above the threshold.
    const std::size_t n = 6000, row = 784, k = 2000;
    Tensor<float> src = sample_storage<float>({n, row});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < row; ++j) src(i, j) = float(i) + float(j) / 1024.0f;
    std::vector<std::size_t> index(k);
    for (std::size_t i = 0; i < k; ++i) index[i] = (i * 2654435761u) % n;  // scattered, with repeats
    Tensor<float> dst;
    gather_rows(src, index.data(), k, dst);
    BOOST_TEST((shape_of(dst) == Shape{k, row}));
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = 0; j < row; ++j)
            wrong += dst(i, j) != float(index[i]) + float(j) / 1024.0f;
    BOOST_TEST(wrong == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
