#include "experiments/datasets_glue.hpp"

#include "datasets/registry.hpp"

namespace gt::experiments {

bool dataset_available(const std::string& name, const std::string& data_dir) {
    data::LoadOptions o;
    o.data_dir = data_dir;
    try {
        return data::available(name, o);
    } catch (const gt::Error&) {
        return false;  // a name the datasets module has no loader for (e.g. svhn)
    }
}

std::vector<std::string> available_datasets(const std::string& data_dir) {
    std::vector<std::string> out;
    for (const char* n : {"mnist", "fashion-mnist", "cifar10", "cifar100", "svhn"})
        if (dataset_available(n, data_dir)) out.push_back(n);
    return out;
}

}  // namespace gt::experiments
