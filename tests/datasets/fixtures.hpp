// Test helpers: a scratch folder, byte-level writers for IDX and CIFAR files, gzip, and error checks.
#pragma once

#include "tests/common/bytes.hpp"
#include "tests/common/temp_dir.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <unistd.h>
#include <zlib.h>

#include "autodiff/tensor.hpp"

namespace gt::test {

using gt::testing::Bytes;
using gt::testing::put_be32;

/// A fresh folder, removed with its contents at scope exit.
struct TempDir : gt::testing::ScratchDir {
    TempDir() : ScratchDir("gt_datasets_") {}
};

/// Writes the bytes to `path`, making its folder first.
inline void write_file(const std::string& path, const Bytes& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    gt::testing::write_bytes(path, bytes);
}

/// Pixel value the test files use for byte i of sample s: easy to recompute, covers 0..255.
inline unsigned char pixel(std::size_t s, std::size_t i) { return static_cast<unsigned char>((s * 31 + i * 7) % 256); }

/// An IDX image file: magic 0x00000803, dims (n, rows, cols), pixel(s, i) values.
inline Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
    Bytes b;
    put_be32(b, 0x00000803);
    put_be32(b, n);
    put_be32(b, rows);
    put_be32(b, cols);
    for (std::size_t s = 0; s < n; ++s)
        for (std::size_t i = 0; i < std::size_t(rows) * cols; ++i) b.push_back(pixel(s, i));
    return b;
}

/// An IDX label file: magic 0x00000801, labels given.
inline Bytes idx_labels(const std::vector<unsigned char>& labels) {
    Bytes b;
    put_be32(b, 0x00000801);
    put_be32(b, static_cast<std::uint32_t>(labels.size()));
    b.insert(b.end(), labels.begin(), labels.end());
    return b;
}

/// CIFAR records: each label_bytes labels (from `labels`, one tuple per record) then 3072 pixel(s, i).
inline Bytes cifar_records(const std::vector<std::vector<unsigned char>>& labels, std::size_t first_sample = 0) {
    Bytes b;
    for (std::size_t s = 0; s < labels.size(); ++s) {
        b.insert(b.end(), labels[s].begin(), labels[s].end());
        for (std::size_t i = 0; i < 3072; ++i) b.push_back(pixel(first_sample + s, i));
    }
    return b;
}

/// gzip-wrapped deflate of the bytes (zlib's gzip mode).
inline Bytes gzip(const Bytes& raw) {
    z_stream zs{};
    BOOST_REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    Bytes out(deflateBound(&zs, raw.size()) + 64);
    zs.next_in = const_cast<unsigned char*>(raw.data());
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    BOOST_REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

/// True when what() contains every one of `parts` (reported when it does not).
inline bool message_has(const std::exception& e, const std::vector<std::string>& parts) {
    const std::string m = e.what();
    for (const std::string& p : parts)
        if (m.find(p) == std::string::npos) {
            std::cerr << "message '" << m << "' lacks '" << p << "'\n";
            return false;
        }
    return true;
}

}  // namespace gt::test

/// Checks that `expr` throws exactly the exception type E (or a subclass) with all `parts` in its message.
#define GT_CHECK_THROW_MSG(expr, E, ...)                                                                   \
    BOOST_CHECK_EXCEPTION(expr, E, [&](const E& e) { return gt::test::message_has(e, {__VA_ARGS__}); })
