// Whole-file reads for the dataset readers, with transparent gzip decompression.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gt {

using Bytes = std::vector<unsigned char>;

/// True when the bytes start with the gzip magic 1f 8b.
bool is_gzip(const Bytes& bytes);

/// The contents of `path`; if the file starts with the gzip magic it is decompressed (concatenated
/// members allowed). Throws IoError naming the file when it cannot be opened or read, when it is not
/// valid gzip, or when its (decompressed) content exceeds max_bytes.
Bytes read_file_bytes(const std::string& path, std::size_t max_bytes);

/// Decompresses a gzip stream; `path` only names the source in error messages.
Bytes gunzip(const Bytes& compressed, const std::string& path, std::size_t max_bytes);

/// Big-endian 32-bit unsigned integer at bytes[offset..offset+4) (the caller checks the bounds).
std::uint32_t read_be32(const Bytes& bytes, std::size_t offset);

}  // namespace gt
