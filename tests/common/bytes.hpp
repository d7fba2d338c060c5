// Byte files for tests: a byte buffer, writing one to disk, big-endian 32-bit fields (IDX headers).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace gt::testing {

using Bytes = std::vector<unsigned char>;

/// Writes `b` to `path`, replacing what was there (the folder must exist).
inline void write_bytes(const std::string& path, const Bytes& b) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

/// Appends v as four bytes, most significant first.
inline void put_be32(Bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<unsigned char>(v >> shift));
}

}  // namespace gt::testing
