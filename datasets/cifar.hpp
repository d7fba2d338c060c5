// CIFAR-10 / CIFAR-100 binary-version readers.
//
// A CIFAR-10 record is 1 label byte + 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each 32×32
// row-major): exactly one (3, 32, 32) image. A CIFAR-100 record has 2 label bytes (coarse, fine); we
// use the fine label (100 classes). A file must be a non-empty whole number of records (IoError
// otherwise); labels out of range throw ValueError. Messages name the file, expected and found values.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "datasets/dataset.hpp"

namespace gt::data {

constexpr std::size_t kCifarImageBytes = 3 * 32 * 32;

/// How one CIFAR variant lays out its records.
struct CifarFormat {
    std::size_t label_bytes;  // label bytes before each image
    std::size_t label_index;  // which of them is the class label
    std::size_t num_classes;
};
constexpr CifarFormat kCifar10{1, 0, 10};
constexpr CifarFormat kCifar100{2, 1, 100};  // (coarse, fine): the fine label

/// Reads and concatenates the record files in order: images (N, 3, 32, 32) scaled to [0, 1].
template <class T>
Dataset<T> read_cifar(const std::vector<std::string>& paths, const CifarFormat& format, const std::string& name);

/// File names, relative to their folder (cifar-10-batches-bin/ or cifar-100-binary/).
std::vector<std::string> cifar10_train_files();  // data_batch_1.bin … data_batch_5.bin
std::vector<std::string> cifar10_test_files();   // test_batch.bin
std::vector<std::string> cifar100_train_files(); // train.bin
std::vector<std::string> cifar100_test_files();  // test.bin

}  // namespace gt::data
