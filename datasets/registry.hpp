// Datasets by name: the one entry point the CLI and the experiments use.
//
// Real sets are read from files under opts.data_dir (default "data"):
//   mnist          data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte          (tools/setup)
//   fashion-mnist  data/fashion-mnist/ the same names, gzipped                      (tools/setup)
//   cifar10        data/cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin  (binary version)
//   cifar100       data/cifar-100-binary/train.bin, test.bin                         (binary version)
// IDX names are accepted with '-' or '.' before "idx", optionally gzipped. Synthetic sets are
// generated from opts.seed. A missing file throws IoError naming the file and how to obtain it; an
// unknown name throws ValueError listing the valid names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset.hpp"

namespace gt::data {

struct LoadOptions {
    std::string data_dir = "data";
    std::uint64_t seed = 0;         // synthetic data, the modadd split, and real-set subsets
    std::size_t n = 0;              // synthetic size (0 = paper default); for real sets, n > 0 keeps a
                                    // seeded random subset of n training samples (the test set is whole)
    int modulus = 61;               // modadd's p
    bool cifar100_normalize = true; // CIFAR-100 mapped to [−1, 1] by Normalize(0.5, 0.5), as in the paper
};

struct DatasetInfo {
    std::string name;
    std::string description;  // one line, for `gramtape list`
};

/// Every loadable dataset, in a fixed order.
const std::vector<DatasetInfo>& dataset_catalog();
std::vector<std::string> dataset_names();

/// True when `name` can be loaded now: synthetic sets always, real sets when their files exist.
/// Throws ValueError for an unknown name (the message lists the valid ones).
bool available(const std::string& name, const LoadOptions& opts = {});

/// Train and test sets of `name`. Swiss roll and staircase are single sets: train and test are equal.
template <class T>
Split<T> load(const std::string& name, const LoadOptions& opts = {});

}  // namespace gt::data
