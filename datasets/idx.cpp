#include "datasets/idx.hpp"
#include "datasets/huge_pages.hpp"

#include <cstdio>
#include <filesystem>

namespace gt::data {

namespace {

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", v);
    return buf;
}

std::string magic_meaning(std::uint32_t magic) {
    return magic == kIdxImageMagic ? "unsigned-byte images, 3 dimensions" : "unsigned-byte labels, 1 dimension";
}

std::string dims_str(const std::vector<std::size_t>& dims) {
    return shape_str(Shape(dims.begin(), dims.end()));
}

}  // namespace

IdxArray read_idx(const std::string& path, std::uint32_t magic) {
    const std::size_t ndim = magic & 0xFF;
    const std::size_t header = 4 + 4 * ndim;
    Bytes bytes = read_file_bytes(path, header + kIdxMaxElements);
    if (bytes.size() < 4)
        throw IoError(path + ": expected an IDX file of at least " + std::to_string(header) + " bytes, found " +
                      std::to_string(bytes.size()));
    const std::uint32_t found = read_be32(bytes, 0);
    if (found != magic)
        throw IoError(path + ": expected IDX magic " + hex32(magic) + " (" + magic_meaning(magic) + "), found " +
                      hex32(found));
    if (bytes.size() < header)
        throw IoError(path + ": expected a " + std::to_string(header) + "-byte IDX header, found only " +
                      std::to_string(bytes.size()) + " bytes");
    IdxArray a;
    std::size_t count = 1;
    for (std::size_t k = 0; k < ndim; ++k) a.dims.push_back(read_be32(bytes, 4 + 4 * k));
    for (std::size_t d : a.dims) {
        if (d == 0) throw ValueError(path + ": expected non-zero IDX dimensions, found " + dims_str(a.dims));
        if (d > kIdxMaxElements || count * d > kIdxMaxElements)  // count <= 1e8, d <= 1e8: no overflow
            throw ValueError(path + ": expected at most " + std::to_string(kIdxMaxElements) +
                             " values, found dimensions " + dims_str(a.dims));
        count *= d;
    }
    const std::size_t expected = header + count;
    if (bytes.size() != expected)
        throw IoError(path + ": expected exactly " + std::to_string(expected) + " bytes for dimensions " +
                      dims_str(a.dims) + ", found " + std::to_string(bytes.size()) +
                      (bytes.size() < expected ? " (truncated)" : " (trailing bytes)"));
    a.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    return a;
}

template <class T>
Tensor<T> read_idx_images(const std::string& path) {
    const IdxArray a = read_idx(path, kIdxImageMagic);
    Tensor<T> x = sample_storage<T>({a.dims[0], 1, a.dims[1], a.dims[2]});
    T* out = x.data();
    const T scale = T(1) / T(255);
    for (std::size_t i = 0; i < a.values.size(); ++i) out[i] = T(a.values[i]) * scale;
    return x;
}

Labels read_idx_labels(const std::string& path, std::size_t num_classes) {
    const IdxArray a = read_idx(path, kIdxLabelMagic);
    Labels y(a.values.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (a.values[i] >= num_classes)
            throw ValueError(path + ": expected labels in [0, " + std::to_string(num_classes) + "), found " +
                             std::to_string(a.values[i]) + " at sample " + std::to_string(i));
        y[i] = a.values[i];
    }
    return y;
}

template <class T>
Dataset<T> read_idx_pair(const std::string& images_path, const std::string& labels_path,
                         std::size_t num_classes, const std::string& name) {
    Dataset<T> d;
    d.name = name;
    d.num_classes = num_classes;
    d.x = read_idx_images<T>(images_path);
    d.y = read_idx_labels(labels_path, num_classes);
    if (d.y.size() != d.size())
        throw ValueError(labels_path + ": expected " + std::to_string(d.size()) + " labels (one per image in " +
                         images_path + "), found " + std::to_string(d.y.size()));
    return d;
}

std::vector<std::string> idx_file_names(const std::string& prefix, const std::string& kind) {
    const std::string suffix = kind == "images" ? "idx3-ubyte" : "idx1-ubyte";
    const std::string dash = prefix + "-" + kind + "-" + suffix;
    const std::string dot = prefix + "-" + kind + "." + suffix;
    return {dash, dot, dash + ".gz", dot + ".gz"};
}

std::string find_idx_file(const std::string& dir, const std::string& prefix, const std::string& kind) {
    for (const std::string& f : idx_file_names(prefix, kind)) {
        const std::filesystem::path p = std::filesystem::path(dir) / f;
        std::error_code ec;
        if (std::filesystem::exists(p, ec)) return p.string();
    }
    return "";
}

template Tensor<float> read_idx_images<float>(const std::string&);
template Tensor<double> read_idx_images<double>(const std::string&);
template Dataset<float> read_idx_pair<float>(const std::string&, const std::string&, std::size_t,
                                             const std::string&);
template Dataset<double> read_idx_pair<double>(const std::string&, const std::string&, std::size_t,
                                               const std::string&);

}  // namespace gt::data
