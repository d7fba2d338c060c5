// A validating reader for NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
// xt::load_npy trusts its input: an empty header is undefined behaviour, a truncated data section is
// returned as uninitialised memory, an absurd shape is allocated as asked, and its errors are plain
// std::runtime_error without the file name. This reader checks everything before it allocates:
//   magic "\x93NUMPY" | u8 major | u8 minor | header length (u16 LE for 1.0, u32 LE for 2.0/3.0)
//   | header: a Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } ending
//     in '\n' | the data, exactly prod(shape) · itemsize bytes.
// Structural faults (unreadable, wrong magic or version, malformed header, truncated or trailing data)
// throw IoError; a well-formed file of the wrong dtype or with an absurd shape throws ValueError.
// Every message names the file (or the `source` given to parse_npy), what was expected and what was found.
// The dtype must match T exactly (no silent conversion): float '<f4', double '<f8', std::int64_t '<i8'.
// Fortran-ordered files are returned in row-major order with the same shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "autodiff/tensor.hpp"
#include "platform/file_bytes.hpp"

namespace gt {

constexpr std::size_t kNpyMaxHeaderBytes = 1u << 20;          // numpy itself refuses > 10 kB headers by default
constexpr std::size_t kNpyMaxDataBytes = std::size_t(1) << 34;  // 16 GiB: larger files are rejected as absurd

/// The description of one .npy file: what its header says.
struct NpyHeader {
    std::string descr;  // e.g. "<f8"
    bool fortran_order = false;
    Shape shape;
    std::size_t data_offset = 0;  // where the data starts
};

/// Parses and validates the header of `bytes`; `source` names the data in messages.
NpyHeader parse_npy_header(const Bytes& bytes, const std::string& source);

/// The array held by `bytes`; throws as described above.
template <class T>
Tensor<T> parse_npy(const Bytes& bytes, const std::string& source);

/// The array in the file at `path`.
template <class T>
Tensor<T> read_npy(const std::string& path);

/// The .npy dtype string of T: "<f4", "<f8" or "<i8".
template <class T>
const char* npy_descr();

}  // namespace gt
