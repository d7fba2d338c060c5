// IDX reader (the MNIST / Fashion-MNIST file format), plain or gzipped, with strict validation.
//
// Layout: a big-endian magic 0x000008NN (unsigned bytes, NN dimensions), NN big-endian u32 sizes, then
// the values, row-major. Structural faults (unreadable, wrong magic, short header, wrong byte count,
// corrupt gzip) throw IoError; well-formed files with impossible values (zero or absurd dimensions,
// labels out of range, image/label counts that disagree) throw ValueError. Messages name the file,
// the expected and the found value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset.hpp"
#include "platform/file_bytes.hpp"

namespace gt::data {

constexpr std::uint32_t kIdxImageMagic = 0x00000803;  // unsigned bytes, 3 dimensions (N, rows, cols)
constexpr std::uint32_t kIdxLabelMagic = 0x00000801;  // unsigned bytes, 1 dimension (N)
constexpr std::size_t kIdxMaxElements = 100'000'000;  // larger files are rejected as absurd

/// The dimensions and raw byte values of one IDX file.
struct IdxArray {
    std::vector<std::size_t> dims;
    Bytes values;  // header stripped; values.size() == product of dims
};

/// Reads and validates an IDX file whose magic must equal `magic` (kIdxImageMagic or kIdxLabelMagic).
IdxArray read_idx(const std::string& path, std::uint32_t magic);

/// Images as (N, 1, rows, cols), each byte scaled by 1/255.
template <class T>
Tensor<T> read_idx_images(const std::string& path);

/// Labels, each checked to lie in [0, num_classes).
Labels read_idx_labels(const std::string& path, std::size_t num_classes);

/// An image file and a label file that must hold the same number of samples.
template <class T>
Dataset<T> read_idx_pair(const std::string& images_path, const std::string& labels_path,
                         std::size_t num_classes, const std::string& name);

/// The file names under which `prefix` ("train" or "t10k") and `kind` ("images" or "labels") are
/// distributed: "train-images-idx3-ubyte", "train-images.idx3-ubyte", each also with ".gz".
std::vector<std::string> idx_file_names(const std::string& prefix, const std::string& kind);

/// The first of idx_file_names(prefix, kind) that exists in `dir`, or "" when none does.
std::string find_idx_file(const std::string& dir, const std::string& prefix, const std::string& kind);

}  // namespace gt::data
