// Files written atomically and durably (temp file, fsync, rename, folder fsync) and read with bounds
// (regular files only, a size cap, JSON with a depth cap and no duplicate keys). nn/ (saved states) and
// experiments/ (run folders) both write and read through these.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>
#include <xtensor/xnpy.hpp>

#include "autodiff/tensor.hpp"

namespace gt {

namespace fs = std::filesystem;
using json = nlohmann::json;

/// Writes `text` to `path` atomically and durably: a temporary file in the same folder, fsync, rename,
/// then a (best-effort) fsync of the folder. Throws IoError naming the path and the errno text when the
/// folder is not writable, a write fails (disk full) or the data cannot be flushed; no temporary remains.
void write_text_atomic(const fs::path& path, const std::string& text);
void write_json_atomic(const fs::path& path, const json& j);
/// Caps of the bounded readers below.
constexpr std::uint64_t kTextCap = std::uint64_t(1) << 30;   // 1 GiB (metrics.csv of a long run)
constexpr std::uint64_t kJsonCap = std::uint64_t(16) << 20;  // 16 MiB
constexpr int kJsonMaxDepth = 64;
/// Reads a whole regular file of at most `max_bytes`. Anything else (missing, a directory, a FIFO, a
/// device such as /dev/zero, a file over the cap) is an IoError naming the file, what was expected and
/// what was found; a FIFO swapped in between the checks cannot block (O_NONBLOCK, fstat again).
std::string read_text(const fs::path& path, std::uint64_t max_bytes = kTextCap);
/// Parses a JSON file read by read_text under kJsonCap: nesting deeper than kJsonMaxDepth (checked
/// before parsing, with line and byte offset) and duplicate keys are IoErrors naming the file.
json read_json(const fs::path& path);
/// The same checks on text already in memory; `where` names its source in messages.
json parse_json_checked(const std::string& text, const std::string& where);

/// A unique temporary name beside `path` (same folder, so rename is atomic).
fs::path temp_path_for(const fs::path& path);
/// fsync(tmp), rename(tmp, path), fsync of the folder; IoError naming the files on failure.
void commit_temp(const fs::path& tmp, const fs::path& path);

/// Saves an array as .npy (numpy-readable) atomically. The bytes are built in memory and written by
/// write_text_atomic, which checks the write (xt::dump_npy to a file does not: a full disk would leave
/// a truncated file behind a successful rename).
template <class E>
void save_npy(const fs::path& path, const E& array) {
    std::string bytes;
    try {
        bytes = xt::dump_npy(array);
    } catch (const std::exception& e) {
        throw IoError("cannot write " + path.string() + ": " + e.what());
    }
    write_text_atomic(path, bytes);
}

}  // namespace gt
