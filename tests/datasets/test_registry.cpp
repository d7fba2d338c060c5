// Registry: names, errors for unknown or missing sets, loading from small fake data folders, real MNIST.
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <boost/test/unit_test.hpp>

#include "datasets/registry.hpp"
#include "datasets/synthetic.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;
using gt::test::TempDir;
using gt::test::write_file;

namespace {

// A data folder with a tiny MNIST-like set (n_train / n_test 28×28 images), mixing file spellings.
void write_fake_mnist(const TempDir& dir, const std::string& folder, std::uint32_t n_train, std::uint32_t n_test) {
    std::vector<unsigned char> train_labels, test_labels;
    for (std::uint32_t i = 0; i < n_train; ++i) train_labels.push_back(static_cast<unsigned char>(i % 10));
    for (std::uint32_t i = 0; i < n_test; ++i) test_labels.push_back(static_cast<unsigned char>((i * 3) % 10));
    write_file(dir.file(folder + "/train-images-idx3-ubyte"), gt::test::idx_images(n_train, 28, 28));
    write_file(dir.file(folder + "/train-labels.idx1-ubyte"), gt::test::idx_labels(train_labels));
    write_file(dir.file(folder + "/t10k-images-idx3-ubyte.gz"), gt::test::gzip(gt::test::idx_images(n_test, 28, 28)));
    write_file(dir.file(folder + "/t10k-labels.idx1-ubyte.gz"), gt::test::gzip(gt::test::idx_labels(test_labels)));
}

LoadOptions in(const TempDir& dir) {
    LoadOptions o;
    o.data_dir = dir.path.string();
    return o;
}

std::vector<std::size_t> histogram(const Labels& y, std::size_t c) {
    std::vector<std::size_t> h(c, 0);
    for (int v : y) ++h[static_cast<std::size_t>(v)];
    return h;
}

// The real set `name` (shown as `title`) from the repository's data folder when tools/setup has put it
// in place; otherwise the skip is logged and there is nothing.
std::optional<Split<float>> real_set_if_present(const std::string& name, const std::string& title) {
    const char* root = std::getenv("GT_SOURCE_ROOT");
    LoadOptions o;
    o.data_dir = std::string(root ? root : ".") + "/data";
    if (!available(name, o)) {
        BOOST_TEST_MESSAGE("skipped: no " << title << " under " << o.data_dir << "/" << name << " (run tools/setup)");
        return std::nullopt;
    }
    return load<float>(name, o);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(names_and_descriptions) {
    const std::vector<std::string> expected = {"mnist",     "fashion-mnist", "cifar10", "cifar100",
                                               "swissroll", "staircase",     "modadd"};
    BOOST_TEST(dataset_names() == expected, boost::test_tools::per_element());
    for (const DatasetInfo& d : dataset_catalog()) {
        BOOST_TEST(!d.description.empty());
        BOOST_TEST(d.description.find('\n') == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(unknown_and_unsupported_names) {
    GT_CHECK_THROW_MSG(load<float>("imagenet"), ValueError, "unknown dataset 'imagenet'",
                       "expected one of mnist, fashion-mnist, cifar10, cifar100, swissroll, staircase, modadd");
    GT_CHECK_THROW_MSG(available("imagenet"), ValueError, "unknown dataset 'imagenet'");
    GT_CHECK_THROW_MSG(load<float>("svhn"), ValueError, "'svhn': not supported", ".mat");
    BOOST_TEST(!available("svhn"));
}

BOOST_AUTO_TEST_CASE(missing_files_say_where_and_how) {
    TempDir dir;
    const LoadOptions o = in(dir);
    for (const char* name : {"mnist", "fashion-mnist", "cifar10", "cifar100"}) BOOST_TEST(!available(name, o));
    const std::string root = dir.path.string();
    GT_CHECK_THROW_MSG(load<float>("mnist", o), IoError, "mnist: expected the file " + root + "/mnist/train-images-idx3-ubyte",
                       "'.' instead of the '-'", ".gz", "found no such file", "run tools/setup");
    GT_CHECK_THROW_MSG(load<float>("fashion-mnist", o), IoError, root + "/fashion-mnist/train-images-idx3-ubyte",
                       "tools/setup");
    GT_CHECK_THROW_MSG(load<float>("cifar10", o), IoError, root + "/cifar-10-batches-bin/data_batch_1.bin",
                       "binary version", "cifar-10-batches-bin/");
    GT_CHECK_THROW_MSG(load<float>("cifar100", o), IoError, root + "/cifar-100-binary/train.bin", "binary version");
    // all but one file present: the message names the missing one
    write_fake_mnist(dir, "mnist", 3, 2);
    std::filesystem::remove(dir.file("mnist/t10k-labels.idx1-ubyte.gz"));
    BOOST_TEST(!available("mnist", o));
    GT_CHECK_THROW_MSG(load<float>("mnist", o), IoError, root + "/mnist/t10k-labels-idx1-ubyte");
}

BOOST_AUTO_TEST_CASE(idx_sets_load_from_mixed_spellings) {
    TempDir dir;
    write_fake_mnist(dir, "fashion-mnist", 12, 5);
    BOOST_TEST(available("fashion-mnist", in(dir)));
    const Split<float> s = load<float>("fashion-mnist", in(dir));
    BOOST_TEST(shape_of(s.train.x) == (Shape{12, 1, 28, 28}), boost::test_tools::per_element());
    BOOST_TEST(shape_of(s.test.x) == (Shape{5, 1, 28, 28}), boost::test_tools::per_element());
    BOOST_TEST(s.train.y[11] == 1);
    BOOST_TEST(s.test.y[4] == 2);
    BOOST_TEST(s.train.num_classes == 10u);
    BOOST_TEST(s.train.name == "fashion-mnist");

    LoadOptions sub = in(dir);  // n > 0 keeps a seeded subset of the training set
    sub.n = 4;
    const Split<float> small = load<float>("fashion-mnist", sub);
    BOOST_TEST(small.train.size() == 4u);
    BOOST_TEST(small.test.size() == 5u);
    sub.n = 13;
    GT_CHECK_THROW_MSG(load<float>("fashion-mnist", sub), ValueError, "at most 12 samples");
}

BOOST_AUTO_TEST_CASE(idx_sets_must_be_28_by_28) {
    TempDir dir;
    write_fake_mnist(dir, "mnist", 3, 2);
    write_file(dir.file("mnist/t10k-images-idx3-ubyte.gz"), gt::test::idx_images(2, 32, 32));
    GT_CHECK_THROW_MSG(load<float>("mnist", in(dir)), ValueError, "mnist: expected 28×28 images",
                       "found samples of shape (1, 32, 32)", "t10k-images-idx3-ubyte.gz");
}

BOOST_AUTO_TEST_CASE(cifar_sets_load_and_cifar100_is_normalised) {
    TempDir dir;
    for (int k = 1; k <= 5; ++k)
        write_file(dir.file("cifar-10-batches-bin/data_batch_" + std::to_string(k) + ".bin"),
                   gt::test::cifar_records({{static_cast<unsigned char>(k)}, {0}}));
    write_file(dir.file("cifar-10-batches-bin/test_batch.bin"), gt::test::cifar_records({{9}}));
    const Split<float> c10 = load<float>("cifar10", in(dir));
    BOOST_TEST(shape_of(c10.train.x) == (Shape{10, 3, 32, 32}), boost::test_tools::per_element());
    BOOST_TEST(c10.train.y == (Labels{1, 0, 2, 0, 3, 0, 4, 0, 5, 0}), boost::test_tools::per_element());
    BOOST_TEST(c10.test.y == (Labels{9}), boost::test_tools::per_element());

    write_file(dir.file("cifar-100-binary/train.bin"), gt::test::cifar_records({{1, 50}, {2, 99}}));
    write_file(dir.file("cifar-100-binary/test.bin"), gt::test::cifar_records({{3, 7}}));
    LoadOptions o = in(dir);
    const Split<double> norm = load<double>("cifar100", o);
    o.cifar100_normalize = false;
    const Split<double> raw = load<double>("cifar100", o);
    BOOST_TEST(norm.train.y == (Labels{50, 99}), boost::test_tools::per_element());
    BOOST_TEST(raw.train.num_classes == 100u);
    for (std::size_t i = 0; i < raw.train.x.size(); ++i)
        BOOST_REQUIRE_CLOSE_FRACTION(norm.train.x.data()[i] + 2.0, 2.0 * raw.train.x.data()[i] - 1.0 + 2.0, 1e-14);
    BOOST_TEST(xt::amin(norm.train.x)() == -1.0);
    BOOST_TEST(xt::amax(norm.train.x)() == 1.0);
}

BOOST_AUTO_TEST_CASE(synthetic_sets) {
    for (const char* name : {"swissroll", "staircase", "modadd"}) BOOST_TEST(available(name));
    const Split<float> roll = load<float>("swissroll");
    BOOST_TEST(roll.train.size() == 1000u);
    BOOST_TEST(roll.train.x == roll.test.x);
    BOOST_TEST(roll.train.target == roll.test.target);
    LoadOptions o;
    o.n = 64;
    o.seed = 3;
    const Split<double> stairs = load<double>("staircase", o);
    BOOST_TEST(shape_of(stairs.train.x) == (Shape{64, 10}), boost::test_tools::per_element());
    BOOST_TEST(stairs.train.x == make_staircase<double>(64, 3).x);

    const Split<float> mod = load<float>("modadd");
    BOOST_TEST(mod.train.size() == 2604u);
    BOOST_TEST(mod.test.size() == 1117u);
    BOOST_TEST(mod.train.num_classes == 61u);
    BOOST_TEST(shape_of(mod.train.x) == (Shape{2604, 122}), boost::test_tools::per_element());
    LoadOptions p7;
    p7.modulus = 7;
    BOOST_TEST(load<float>("modadd", p7).test.size() == 15u);  // ceil(0.3 · 49)
    o.n = 5;
    GT_CHECK_THROW_MSG(load<float>("modadd", o), ValueError, "modadd: expected n = 0", "found n = 5");
}

// The real files, when tools/setup has put them in place: sizes, shapes and the published label counts.
BOOST_AUTO_TEST_CASE(real_mnist_if_present) {
    const std::optional<Split<float>> real = real_set_if_present("mnist", "MNIST");
    if (!real) return;
    const Split<float>& s = *real;
    BOOST_TEST(shape_of(s.train.x) == (Shape{60000, 1, 28, 28}), boost::test_tools::per_element());
    BOOST_TEST(shape_of(s.test.x) == (Shape{10000, 1, 28, 28}), boost::test_tools::per_element());
    const std::vector<std::size_t> train = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    const std::vector<std::size_t> test = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    BOOST_TEST(histogram(s.train.y, 10) == train, boost::test_tools::per_element());
    BOOST_TEST(histogram(s.test.y, 10) == test, boost::test_tools::per_element());
    BOOST_TEST(xt::amin(s.train.x)() == 0.0f);
    BOOST_TEST(xt::amax(s.train.x)() == 1.0f);
}

BOOST_AUTO_TEST_CASE(real_fashion_mnist_if_present) {
    const std::optional<Split<float>> real = real_set_if_present("fashion-mnist", "Fashion-MNIST");
    if (!real) return;
    const Split<float>& s = *real;
    BOOST_TEST(s.train.size() == 60000u);
    BOOST_TEST(s.test.size() == 10000u);
    BOOST_TEST(histogram(s.train.y, 10) == std::vector<std::size_t>(10, 6000), boost::test_tools::per_element());
    BOOST_TEST(histogram(s.test.y, 10) == std::vector<std::size_t>(10, 1000), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
