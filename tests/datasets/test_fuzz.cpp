// Mutation fuzzing: valid files with random bytes flipped, cut or appended must load or throw a
// gt::Error — never crash, hang or throw anything else (meaningful under the sanitizer build).
#include <boost/test/unit_test.hpp>

#include "autodiff/random.hpp"
#include "datasets/cifar.hpp"
#include "datasets/idx.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;
using namespace gt::test;  // TempDir, write_file, Bytes and the file builders

namespace {

Bytes mutate(Bytes b, Rng& rng) {
    switch (rng.below(4)) {
        case 0:  // flip a few bytes, often in the header
            for (int k = 0; k < 3 && !b.empty(); ++k) {
                const std::size_t at = rng.below(2) ? rng.below(std::min<std::size_t>(b.size(), 16)) : rng.below(b.size());
                b[at] = static_cast<unsigned char>(rng.below(256));
            }
            break;
        case 1: b.resize(rng.below(b.size() + 1)); break;  // cut
        case 2: b.push_back(static_cast<unsigned char>(rng.below(256))); break;  // append
        default:  // a random header byte set to an extreme
            if (!b.empty()) b[rng.below(std::min<std::size_t>(b.size(), 16))] = rng.below(2) ? 0x00 : 0xFF;
    }
    return b;
}

// Runs f on `trials` mutations of `valid`; counts the outcomes; anything other than gt::Error fails.
template <class F>
std::pair<int, int> fuzz(const Bytes& valid, int trials, std::uint64_t seed, F f) {
    TempDir dir;
    Rng rng(seed);
    int loaded = 0, rejected = 0;
    for (int t = 0; t < trials; ++t) {
        const std::string path = dir.file("f" + std::to_string(t));  // new names: rewriting one file is slow on ext4
        write_file(path, mutate(valid, rng));
        try {
            f(path);
            ++loaded;
        } catch (const gt::Error&) {
            ++rejected;
        }
    }
    return {loaded, rejected};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fuzz_readers)

BOOST_AUTO_TEST_CASE(mutated_idx_and_cifar_files_load_or_throw_gt_errors) {
    const Bytes images = gt::test::idx_images(6, 5, 5);
    const Bytes labels = gt::test::idx_labels({0, 1, 2, 3, 4, 5});
    const Bytes cifar = gt::test::cifar_records({{1}, {2}});
    const auto read_images = [](const std::string& p) { read_idx_images<float>(p); };
    const auto read_labels = [](const std::string& p) { read_idx_labels(p, 10); };
    const auto read_c10 = [](const std::string& p) { read_cifar<float>({p}, kCifar10, "fuzz"); };
    const std::pair<int, int> outcomes[] = {
        fuzz(images, 400, 1, read_images),
        fuzz(gt::test::gzip(images), 400, 2, read_images),
        fuzz(labels, 400, 3, read_labels),
        fuzz(gt::test::gzip(labels), 400, 4, read_labels),
        fuzz(cifar, 200, 5, read_c10),
    };
    for (const auto& [loaded, rejected] : outcomes) {
        BOOST_TEST(rejected > 0);  // the mutations do reach the checks
        BOOST_TEST(loaded + rejected > 0);
    }
}

BOOST_AUTO_TEST_SUITE_END()
