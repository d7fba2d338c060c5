#include "experiments/datasets_glue.hpp"

#include <filesystem>

namespace gt::experiments {

namespace fs = std::filesystem;

namespace {
bool idx_present(const fs::path& dir) {
    for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                          "t10k-labels-idx1-ubyte"}) {
        if (!fs::exists(dir / f) && !fs::exists(dir / (std::string(f) + ".gz"))) return false;
    }
    return true;
}
}  // namespace

bool dataset_available(const std::string& name, const std::string& data_dir) {
    const fs::path d = fs::path(data_dir) / name;
    if (name == "mnist" || name == "fashion-mnist") return idx_present(d);
    if (name == "cifar10") return fs::exists(d / "data_batch_1.bin") || fs::exists(d / "cifar-10-batches-bin" / "data_batch_1.bin");
    if (name == "cifar100") return fs::exists(d / "train.bin") || fs::exists(d / "cifar-100-binary" / "train.bin");
    if (name == "svhn") return fs::exists(d / "train_32x32.mat");
    return false;
}

std::vector<std::string> available_datasets(const std::string& data_dir) {
    std::vector<std::string> out;
    for (const char* n : {"mnist", "fashion-mnist", "cifar10", "cifar100", "svhn"})
        if (dataset_available(n, data_dir)) out.push_back(n);
    return out;
}

}  // namespace gt::experiments
