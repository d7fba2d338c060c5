#include "platform/file_bytes.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>

#include <zlib.h>

#include "autodiff/tensor.hpp"

namespace gt {

bool is_gzip(const Bytes& bytes) {
    return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::uint32_t read_be32(const Bytes& b, std::size_t o) {
    return (std::uint32_t(b[o]) << 24) | (std::uint32_t(b[o + 1]) << 16) | (std::uint32_t(b[o + 2]) << 8) |
           std::uint32_t(b[o + 3]);
}

Bytes read_file_bytes(const std::string& path, std::size_t max_bytes) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw IoError(path + ": expected a file, found nothing there");
    if (!std::filesystem::is_regular_file(path, ec))
        throw IoError(path + ": expected a regular file, found a directory or special file");
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw IoError(path + ": expected a readable file, could not open it (permissions?)");
    const std::streamoff size = in.tellg();
    if (size < 0) throw IoError(path + ": expected a regular file, found one whose size cannot be read");
    if (static_cast<std::uint64_t>(size) > max_bytes)
        throw IoError(path + ": expected at most " + std::to_string(max_bytes) + " bytes, found " +
                      std::to_string(size));
    Bytes bytes(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
        throw IoError(path + ": expected " + std::to_string(size) + " bytes, could not read them all");
    return is_gzip(bytes) ? gunzip(bytes, path, max_bytes) : bytes;
}

Bytes gunzip(const Bytes& compressed, const std::string& path, std::size_t max_bytes) {
    z_stream zs{};
    // 16 + MAX_WBITS: accept only the gzip wrapper (header and CRC are checked by zlib).
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw IoError(path + ": could not start zlib inflate");
    Bytes out;
    unsigned char chunk[1 << 16];
    zs.next_in = const_cast<unsigned char*>(compressed.data());
    zs.avail_in = static_cast<uInt>(compressed.size());
    int rc = Z_OK;
    while (true) {
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) break;
        out.insert(out.end(), chunk, chunk + (sizeof chunk - zs.avail_out));
        if (out.size() > max_bytes) {
            inflateEnd(&zs);
            throw IoError(path + ": expected at most " + std::to_string(max_bytes) +
                          " bytes after gzip decompression, found more");
        }
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) break;
            if (inflateReset(&zs) != Z_OK) break;  // another gzip member follows
        } else if (zs.avail_in == 0 && zs.avail_out != 0) {
            break;  // input exhausted in the middle of a member
        }
    }
    const std::string why = zs.msg ? zs.msg : "stream ends early";
    inflateEnd(&zs);
    if (rc != Z_STREAM_END)
        throw IoError(path + ": expected a complete gzip stream, found a corrupt or truncated one (" + why + ")");
    return out;
}

}  // namespace gt
