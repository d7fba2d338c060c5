// libFuzzer target: the IDX reader on gzip files whose *decompressed* content is the fuzz input, so
// the mutations reach the IDX checks behind a valid gzip layer (fuzz_idx covers corrupt gzip streams).
// The first byte chooses images or labels and whether the content is split over two gzip members.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <zlib.h>

#include "datasets/idx.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

void gzip_append(std::vector<std::uint8_t>& out, const std::uint8_t* data, std::size_t n) {
    z_stream zs{};
    if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
    std::vector<std::uint8_t> buf(deflateBound(&zs, static_cast<uLong>(n)) + 32);
    zs.next_in = const_cast<std::uint8_t*>(data);
    zs.avail_in = static_cast<uInt>(n);
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
    out.insert(out.end(), buf.data(), buf.data() + zs.total_out);
    deflateEnd(&zs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const std::string path = gt::fuzz::scratch_path("idx_gzip");
    const std::uint8_t mode = data[0];
    ++data;
    --size;
    std::vector<std::uint8_t> gz;
    if ((mode & 2) && size > 1) {  // two members: the reader must concatenate them
        gzip_append(gz, data, size / 2);
        gzip_append(gz, data + size / 2, size - size / 2);
    } else {
        gzip_append(gz, data, size);
    }
    gt::fuzz::write_scratch(path, gz.data(), gz.size());
    try {
        if (mode & 1) {
            const auto x = gt::data::read_idx_images<float>(path);
            if (x.dimension() != 4) __builtin_trap();
        } else {
            const auto y = gt::data::read_idx_labels(path, 10);
            if (y.size() + 8 != size) __builtin_trap();  // 8-byte header, then one byte per label
        }
    } catch (const gt::Error&) {
    }
    return 0;
}
