// Shared by the fuzz targets: the loaders read files, so each input is written to a scratch file
// (in /dev/shm when it exists: no disk I/O) that the loader under test then opens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace gt::fuzz {

/// A per-process scratch path, e.g. /dev/shm/gt_fuzz_1234_idx.
inline std::string scratch_path(const char* target) {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(base) + "/gt_fuzz_" + std::to_string(::getpid()) + "_" + target;
}

/// Writes data[0..n) to path (truncating it); aborts if the scratch file cannot be written, because
/// then the loader would test the wrong bytes.
inline void write_scratch(const std::string& path, const std::uint8_t* data, std::size_t n) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (n && std::fwrite(data, 1, n, f) != n) || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
}

}  // namespace gt::fuzz
