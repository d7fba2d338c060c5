// SHA-256 digests (OpenSSL's libcrypto) as lower-case hex: the checksums of a checkpoint's manifest
// and the fingerprint of the data a run trains on.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace gt {

/// An incremental digest: update() any number of times, then hex() once.
class Sha256 {
   public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t n);
    std::string hex();

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(const void* data, std::size_t n);
inline std::string sha256_hex(const std::string& bytes) { return sha256_hex(bytes.data(), bytes.size()); }
/// Digest of a file's bytes, read in blocks; IoError naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace gt
