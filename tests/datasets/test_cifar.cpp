// CIFAR readers: record layout, concatenation across files, fine labels, and malformed files.
#include <boost/test/unit_test.hpp>

#include "datasets/cifar.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;
using gt::test::TempDir;
using gt::test::write_file;
using gt::test::Bytes;

BOOST_AUTO_TEST_SUITE(cifar)

BOOST_AUTO_TEST_CASE(cifar10_records_concatenate_in_file_order) {
    TempDir dir;
    write_file(dir.file("a.bin"), gt::test::cifar_records({{3}, {9}}, 0));
    write_file(dir.file("b.bin"), gt::test::cifar_records({{0}}, 2));
    const Dataset<double> d = read_cifar<double>({dir.file("a.bin"), dir.file("b.bin")}, kCifar10, "c10");
    BOOST_REQUIRE(shape_of(d.x) == (Shape{3, 3, 32, 32}));
    BOOST_TEST(d.y == (Labels{3, 9, 0}), boost::test_tools::per_element());
    BOOST_TEST(d.num_classes == 10u);
    // channel c, row r, column k of sample s is byte 1024c + 32r + k of its record
    for (std::size_t s = 0; s < 3; ++s)
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t r = 0; r < 32; ++r)
                for (std::size_t k = 0; k < 32; ++k)
                    BOOST_REQUIRE_CLOSE_FRACTION(d.x(s, c, r, k) + 1.0,
                                                 gt::test::pixel(s, 1024 * c + 32 * r + k) / 255.0 + 1.0, 1e-15);
}

BOOST_AUTO_TEST_CASE(cifar100_uses_the_fine_label) {
    TempDir dir;
    write_file(dir.file("train.bin"), gt::test::cifar_records({{19, 99}, {0, 42}, {7, 0}}));
    const Dataset<float> d = read_cifar<float>({dir.file("train.bin")}, kCifar100, "c100");
    BOOST_TEST(d.y == (Labels{99, 42, 0}), boost::test_tools::per_element());
    BOOST_TEST(d.num_classes == 100u);
    BOOST_TEST(d.x(1, 2, 31, 31) + 1.0 == gt::test::pixel(1, 3071) / 255.0 + 1.0, boost::test_tools::tolerance(3e-7));
}

BOOST_AUTO_TEST_CASE(size_not_a_multiple_of_the_record) {
    TempDir dir;
    Bytes b = gt::test::cifar_records({{1}, {2}});
    b.pop_back();
    write_file(dir.file("cut.bin"), b);
    GT_CHECK_THROW_MSG(read_cifar<float>({dir.file("cut.bin")}, kCifar10, "c10"), IoError, dir.file("cut.bin"),
                       "expected a non-zero multiple of 3073 bytes", "found 6145 bytes");
    write_file(dir.file("c100.bin"), gt::test::cifar_records({{1}, {2}}));  // 1-byte labels read as CIFAR-100
    GT_CHECK_THROW_MSG(read_cifar<float>({dir.file("c100.bin")}, kCifar100, "c100"), IoError, "multiple of 3074 bytes",
                       "found 6146 bytes");
    write_file(dir.file("empty.bin"), {});
    GT_CHECK_THROW_MSG(read_cifar<float>({dir.file("empty.bin")}, kCifar10, "c10"), IoError, "found 0 bytes");
}

BOOST_AUTO_TEST_CASE(label_out_of_range) {
    TempDir dir;
    write_file(dir.file("b.bin"), gt::test::cifar_records({{1}, {10}}));
    GT_CHECK_THROW_MSG(read_cifar<float>({dir.file("b.bin")}, kCifar10, "c10"), ValueError, dir.file("b.bin"),
                       "expected labels in [0, 10)", "found 10 in record 1");
    write_file(dir.file("f.bin"), gt::test::cifar_records({{1, 100}}));
    GT_CHECK_THROW_MSG(read_cifar<float>({dir.file("f.bin")}, kCifar100, "c100"), ValueError, "[0, 100)", "found 100");
}

BOOST_AUTO_TEST_CASE(missing_file_and_empty_list) {
    TempDir dir;
    GT_CHECK_THROW_MSG(read_cifar<float>({dir.file("none.bin")}, kCifar10, "c10"), IoError, dir.file("none.bin"));
    GT_CHECK_THROW_MSG(read_cifar<float>({}, kCifar10, "c10"), ValueError, "c10", "found none");
}

BOOST_AUTO_TEST_CASE(file_lists) {
    BOOST_TEST(cifar10_train_files().size() == 5u);
    BOOST_TEST(cifar10_train_files()[4] == "data_batch_5.bin");
    BOOST_TEST(cifar10_test_files()[0] == "test_batch.bin");
    BOOST_TEST(cifar100_train_files()[0] == "train.bin");
    BOOST_TEST(cifar100_test_files()[0] == "test.bin");
}

BOOST_AUTO_TEST_SUITE_END()
