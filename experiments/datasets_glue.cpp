#include "experiments/datasets_glue.hpp"

#include <filesystem>

#include "datasets/registry.hpp"

namespace gt::experiments {

bool dataset_available(const std::string& name, const std::string& data_dir) {
    if (name == "text") {  // the transformer figure's corpora (datasets/text.hpp), fetched by tools/setup
        namespace fs = std::filesystem;
        std::error_code ec;
        return fs::is_regular_file(fs::path(data_dir) / "brown" / "ca01", ec) &&
               fs::is_directory(fs::path(data_dir) / "spam-assassin" / "spam-1", ec);
    }
    data::LoadOptions o;
    o.data_dir = data_dir;
    try {
        return data::available(name, o);
    } catch (const gt::Error&) {
        return false;  // a name the datasets module has no loader for (e.g. svhn)
    }
}

std::string unsupported_dataset(const std::string& name, const std::string& data_dir) {
    if (name != "svhn") return "";
    namespace fs = std::filesystem;
    std::vector<std::string> found;
    for (const fs::path& dir : {fs::path(data_dir) / "svhn", fs::path(data_dir)})
        for (const char* f : {"train_32x32.mat", "test_32x32.mat", "extra_32x32.mat"}) {
            std::error_code ec;
            if (fs::is_regular_file(dir / f, ec)) found.push_back((dir / f).string());
        }
    std::string list;
    for (const auto& f : found) list += (list.empty() ? "" : ", ") + f;
    return "'svhn': not supported yet: gramtape has no reader for SVHN's MATLAB .mat files (train_32x32.mat, test_32x32.mat); " +
           (found.empty() ? "none of them is under '" + data_dir + "' either"
                          : "found " + list + ", but cannot read them") +
           "; use mnist, fashion-mnist, cifar10 or cifar100";
}

std::vector<std::string> available_datasets(const std::string& data_dir) {
    std::vector<std::string> out;
    for (const char* n : {"mnist", "fashion-mnist", "cifar10", "cifar100", "svhn", "text"})
        if (dataset_available(n, data_dir)) out.push_back(n);
    return out;
}

}  // namespace gt::experiments
