// IDX reader: values and shapes of small hand-written files, then every malformed-file error.
#include <boost/test/unit_test.hpp>

#include "datasets/idx.hpp"
#include "tests/datasets/fixtures.hpp"

using namespace gt;
using namespace gt::data;
using namespace gt::test;  // TempDir, write_file, Bytes and the file builders

namespace {

// Every element of x (N, 1, rows, cols) equals pixel(s, i) / 255, computed here in double.
template <class T>
void check_pixels(const Tensor<T>& x, std::size_t n, std::size_t rows, std::size_t cols, double tol) {
    BOOST_REQUIRE(shape_of(x) == (Shape{n, 1, rows, cols}));
    for (std::size_t s = 0; s < n; ++s)
        for (std::size_t i = 0; i < rows * cols; ++i)
            BOOST_REQUIRE_CLOSE_FRACTION(double(x.data()[s * rows * cols + i]) + 1.0,
                                         gt::test::pixel(s, i) / 255.0 + 1.0, tol);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(idx)

BOOST_AUTO_TEST_CASE(reads_plain_images_and_labels) {
    TempDir dir;
    write_file(dir.file("img"), gt::test::idx_images(5, 3, 4));
    write_file(dir.file("lab"), gt::test::idx_labels({0, 9, 3, 3, 7}));
    const Dataset<double> d = read_idx_pair<double>(dir.file("img"), dir.file("lab"), 10, "tiny");
    check_pixels(d.x, 5, 3, 4, 1e-15);
    BOOST_TEST(d.y == (Labels{0, 9, 3, 3, 7}), boost::test_tools::per_element());
    BOOST_TEST(d.num_classes == 10u);
    BOOST_TEST(d.name == "tiny");
    // float: 255/255 is exactly 1, 0 exactly 0
    const Tensor<float> xf = read_idx_images<float>(dir.file("img"));
    check_pixels(xf, 5, 3, 4, 3e-7);
}

BOOST_AUTO_TEST_CASE(gzip_is_detected_by_magic_not_by_name) {
    TempDir dir;
    const auto raw = gt::test::idx_images(4, 2, 2);
    write_file(dir.file("images.gz"), gt::test::gzip(raw));
    write_file(dir.file("images-no-suffix"), gt::test::gzip(raw));
    write_file(dir.file("labels"), gt::test::gzip(gt::test::idx_labels({1, 2, 3, 4})));
    check_pixels(read_idx_images<double>(dir.file("images.gz")), 4, 2, 2, 1e-15);
    check_pixels(read_idx_images<double>(dir.file("images-no-suffix")), 4, 2, 2, 1e-15);
    BOOST_TEST(read_idx_labels(dir.file("labels"), 10) == (Labels{1, 2, 3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(two_concatenated_gzip_members_are_one_stream) {
    TempDir dir;
    const auto raw = gt::test::idx_images(3, 2, 2);
    const Bytes head(raw.begin(), raw.begin() + 10), tail(raw.begin() + 10, raw.end());
    Bytes both = gt::test::gzip(head);
    const Bytes second = gt::test::gzip(tail);
    both.insert(both.end(), second.begin(), second.end());
    write_file(dir.file("f"), both);
    check_pixels(read_idx_images<double>(dir.file("f")), 3, 2, 2, 1e-15);
}

BOOST_AUTO_TEST_CASE(file_names_both_spellings_and_gz) {
    const auto names = idx_file_names("train", "images");
    BOOST_TEST(names == (std::vector<std::string>{"train-images-idx3-ubyte", "train-images.idx3-ubyte",
                                                  "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte.gz"}),
               boost::test_tools::per_element());
    BOOST_TEST(idx_file_names("t10k", "labels")[1] == "t10k-labels.idx1-ubyte");
    TempDir dir;
    BOOST_TEST(find_idx_file(dir.path.string(), "train", "images") == "");
    write_file(dir.file("train-images.idx3-ubyte.gz"), {});
    BOOST_TEST(find_idx_file(dir.path.string(), "train", "images") == dir.file("train-images.idx3-ubyte.gz"));
    write_file(dir.file("train-images-idx3-ubyte"), {});
    BOOST_TEST(find_idx_file(dir.path.string(), "train", "images") == dir.file("train-images-idx3-ubyte"));
}

BOOST_AUTO_TEST_CASE(missing_file_and_directory) {
    TempDir dir;
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("nope")), IoError, dir.file("nope"), "expected a file",
                       "found nothing");
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.path.string()), IoError, dir.path.string(), "found a directory");
}

BOOST_AUTO_TEST_CASE(wrong_magic) {
    TempDir dir;
    write_file(dir.file("lab"), gt::test::idx_labels({1, 2}));
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("lab")), IoError, dir.file("lab"), "expected IDX magic 0x00000803",
                       "found 0x00000801");
    write_file(dir.file("img"), gt::test::idx_images(2, 2, 2));
    GT_CHECK_THROW_MSG(read_idx_labels(dir.file("img"), 10), IoError, "expected IDX magic 0x00000801",
                       "found 0x00000803");
    write_file(dir.file("short"), {0, 0, 8});
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("short")), IoError, dir.file("short"), "at least 16 bytes",
                       "found 3");
}

BOOST_AUTO_TEST_CASE(short_header) {
    TempDir dir;
    Bytes b;
    gt::test::put_be32(b, 0x00000803);
    gt::test::put_be32(b, 2);
    write_file(dir.file("f"), b);
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("f")), IoError, dir.file("f"), "16-byte IDX header",
                       "found only 8 bytes");
}

BOOST_AUTO_TEST_CASE(truncated_and_oversized) {
    TempDir dir;
    Bytes b = gt::test::idx_images(3, 4, 4);  // 16 + 48 bytes
    b.pop_back();
    write_file(dir.file("short"), b);
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("short")), IoError, dir.file("short"), "expected exactly 64 bytes",
                       "(3, 4, 4)", "found 63", "truncated");
    b.push_back(0);
    b.push_back(0);
    write_file(dir.file("long"), b);
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("long")), IoError, "expected exactly 64 bytes", "found 65",
                       "trailing bytes");
    Bytes l = gt::test::idx_labels({1, 2, 3});
    l.pop_back();
    write_file(dir.file("labels"), l);
    GT_CHECK_THROW_MSG(read_idx_labels(dir.file("labels"), 10), IoError, "expected exactly 11 bytes", "found 10");
}

BOOST_AUTO_TEST_CASE(truncated_gzip_stream) {
    TempDir dir;
    Bytes z = gt::test::gzip(gt::test::idx_images(20, 5, 5));
    z.resize(z.size() / 2);
    write_file(dir.file("half.gz"), z);
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("half.gz")), IoError, dir.file("half.gz"),
                       "expected a complete gzip stream", "corrupt or truncated");
    Bytes bad = gt::test::gzip(gt::test::idx_images(2, 2, 2));
    bad[bad.size() - 6] ^= 0xFF;  // CRC-32 of the trailer no longer matches
    write_file(dir.file("crc.gz"), bad);
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("crc.gz")), IoError, "expected a complete gzip stream");
}

BOOST_AUTO_TEST_CASE(zero_dimensions) {
    TempDir dir;
    write_file(dir.file("zero_n"), gt::test::idx_images(0, 28, 28));
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("zero_n")), ValueError, dir.file("zero_n"),
                       "expected non-zero IDX dimensions", "found (0, 28, 28)");
    write_file(dir.file("zero_cols"), gt::test::idx_images(2, 28, 0));
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("zero_cols")), ValueError, "found (2, 28, 0)");
    write_file(dir.file("no_labels"), gt::test::idx_labels({}));
    GT_CHECK_THROW_MSG(read_idx_labels(dir.file("no_labels"), 10), ValueError, "found (0,)");
}

BOOST_AUTO_TEST_CASE(absurd_dimensions) {
    TempDir dir;
    Bytes b;  // 100000 × 1000 × 1000 = 1e11 values claimed by a 16-byte file
    gt::test::put_be32(b, 0x00000803);
    gt::test::put_be32(b, 100000);
    gt::test::put_be32(b, 1000);
    gt::test::put_be32(b, 1000);
    write_file(dir.file("big"), b);
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("big")), ValueError, dir.file("big"),
                       "expected at most 100000000 values", "(100000, 1000, 1000)");
    Bytes m;  // 2^32 − 1 in every dimension: the product must not overflow into a small number
    gt::test::put_be32(m, 0x00000803);
    for (int k = 0; k < 3; ++k) gt::test::put_be32(m, 0xFFFFFFFFu);
    write_file(dir.file("max"), m);
    GT_CHECK_THROW_MSG(read_idx_images<float>(dir.file("max")), ValueError, "(4294967295, 4294967295, 4294967295)");
}

BOOST_AUTO_TEST_CASE(label_out_of_range) {
    TempDir dir;
    write_file(dir.file("lab"), gt::test::idx_labels({0, 9, 10, 1}));
    GT_CHECK_THROW_MSG(read_idx_labels(dir.file("lab"), 10), ValueError, dir.file("lab"), "expected labels in [0, 10)",
                       "found 10 at sample 2");
    BOOST_TEST(read_idx_labels(dir.file("lab"), 11).size() == 4u);
}

BOOST_AUTO_TEST_CASE(image_label_count_mismatch) {
    TempDir dir;
    write_file(dir.file("img"), gt::test::idx_images(4, 2, 2));
    write_file(dir.file("lab"), gt::test::idx_labels({1, 2, 3}));
    GT_CHECK_THROW_MSG((read_idx_pair<float>(dir.file("img"), dir.file("lab"), 10, "x")), ValueError, dir.file("lab"),
                       "expected 4 labels", dir.file("img"), "found 3");
}

BOOST_AUTO_TEST_SUITE_END()
