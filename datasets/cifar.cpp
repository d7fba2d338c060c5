#include "datasets/cifar.hpp"
#include "datasets/huge_pages.hpp"

#include "platform/file_bytes.hpp"

namespace gt::data {

namespace {

constexpr std::size_t kMaxCifarFileBytes = 1u << 30;  // the largest real file is 150 MB

// Appends one file's labels to y and its raw pixel bytes to pixels.
void append_records(const std::string& path, const CifarFormat& f, Bytes& pixels, Labels& y) {
    const Bytes bytes = read_file_bytes(path, kMaxCifarFileBytes);
    const std::size_t record = f.label_bytes + kCifarImageBytes;
    if (bytes.empty() || bytes.size() % record != 0)
        throw IoError(path + ": expected a non-zero multiple of " + std::to_string(record) +
                      " bytes (records of " + std::to_string(f.label_bytes) + " label byte(s) + 3072 pixels), found " +
                      std::to_string(bytes.size()) + " bytes");
    const std::size_t n = bytes.size() / record;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char* r = bytes.data() + i * record;
        const std::size_t label = r[f.label_index];
        if (label >= f.num_classes)
            throw ValueError(path + ": expected labels in [0, " + std::to_string(f.num_classes) + "), found " +
                             std::to_string(label) + " in record " + std::to_string(i));
        y.push_back(static_cast<int>(label));
        pixels.insert(pixels.end(), r + f.label_bytes, r + record);
    }
}

std::vector<std::string> names(std::initializer_list<const char*> list) {
    return std::vector<std::string>(list.begin(), list.end());
}

}  // namespace

template <class T>
Dataset<T> read_cifar(const std::vector<std::string>& paths, const CifarFormat& format, const std::string& name) {
    if (paths.empty()) throw ValueError(name + ": expected at least one CIFAR record file, found none");
    Bytes pixels;
    Dataset<T> d;
    d.name = name;
    d.num_classes = format.num_classes;
    for (const std::string& p : paths) append_records(p, format, pixels, d.y);
    d.x = sample_storage<T>({d.y.size(), 3, 32, 32});
    T* out = d.x.data();
    const T scale = T(1) / T(255);
    for (std::size_t i = 0; i < pixels.size(); ++i) out[i] = T(pixels[i]) * scale;
    return d;
}

std::vector<std::string> cifar10_train_files() {
    return names({"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                  "data_batch_5.bin"});
}
std::vector<std::string> cifar10_test_files() { return names({"test_batch.bin"}); }
std::vector<std::string> cifar100_train_files() { return names({"train.bin"}); }
std::vector<std::string> cifar100_test_files() { return names({"test.bin"}); }

template Dataset<float> read_cifar<float>(const std::vector<std::string>&, const CifarFormat&, const std::string&);
template Dataset<double> read_cifar<double>(const std::vector<std::string>&, const CifarFormat&,
                                            const std::string&);

}  // namespace gt::data
