#include "datasets/registry.hpp"

#include <filesystem>

#include "autodiff/random.hpp"
#include "datasets/cifar.hpp"
#include "datasets/idx.hpp"
#include "datasets/normalize.hpp"
#include "datasets/subset.hpp"
#include "datasets/synthetic.hpp"

namespace gt::data {

namespace {

namespace fs = std::filesystem;

// Where each real set lives under data_dir, and how a user gets it there.
struct RealSource {
    const char* name;
    const char* folder;
    const char* how_to_obtain;
};
const RealSource kReal[] = {
    {"mnist", "mnist", "run tools/setup, which downloads MNIST into data/mnist/"},
    {"fashion-mnist", "fashion-mnist", "run tools/setup, which copies Fashion-MNIST into data/fashion-mnist/"},
    {"cifar10", "cifar-10-batches-bin",
     "download the binary version of CIFAR-10 (cifar-10-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html) "
     "and extract it into the data folder, giving data/cifar-10-batches-bin/"},
    {"cifar100", "cifar-100-binary",
     "download the binary version of CIFAR-100 (cifar-100-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html) "
     "and extract it into the data folder, giving data/cifar-100-binary/"},
};

const RealSource* real_source(const std::string& name) {
    for (const RealSource& r : kReal)
        if (name == r.name) return &r;
    return nullptr;
}

[[noreturn]] void unknown(const std::string& name) {
    if (name == "svhn")
        throw ValueError(
            "dataset 'svhn': not supported: SVHN is distributed only as MATLAB .mat files (train_32x32.mat, "
            "test_32x32.mat), and gramtape carries no MATLAB-format reader; use cifar10, cifar100, mnist or "
            "fashion-mnist");
    std::string list;
    for (const std::string& n : dataset_names()) list += (list.empty() ? "" : ", ") + n;
    throw ValueError("unknown dataset '" + name + "': expected one of " + list);
}

// The files a real set needs, as full paths; for IDX sets, the existing spelling if any.
std::vector<std::string> needed_files(const RealSource& r, const std::string& data_dir) {
    const fs::path dir = fs::path(data_dir) / r.folder;
    std::vector<std::string> names;
    if (std::string(r.name) == "cifar10") {
        names = cifar10_train_files();
        for (const auto& f : cifar10_test_files()) names.push_back(f);
    } else if (std::string(r.name) == "cifar100") {
        names = cifar100_train_files();
        for (const auto& f : cifar100_test_files()) names.push_back(f);
    } else {
        std::vector<std::string> paths;
        for (const char* prefix : {"train", "t10k"})
            for (const char* kind : {"images", "labels"}) {
                const std::string found = find_idx_file(dir.string(), prefix, kind);
                paths.push_back(found.empty() ? (dir / idx_file_names(prefix, kind)[0]).string() : found);
            }
        return paths;
    }
    std::vector<std::string> paths;
    for (const auto& f : names) paths.push_back((dir / f).string());
    return paths;
}

// Throws IoError for the first needed file that is missing.
void require_files(const RealSource& r, const std::string& data_dir) {
    const bool idx = std::string(r.name) == "mnist" || std::string(r.name) == "fashion-mnist";
    for (const std::string& p : needed_files(r, data_dir)) {
        std::error_code ec;
        if (fs::exists(p, ec)) continue;
        const std::string spellings =
            idx ? " (also accepted: '.' instead of the '-' before idx, and a .gz suffix)" : "";
        throw IoError(std::string(r.name) + ": expected the file " + p + spellings + ", found no such file; to get it, " +
                      r.how_to_obtain);
    }
}

template <class T>
Split<T> load_real(const RealSource& r, const LoadOptions& opts) {
    require_files(r, opts.data_dir);
    const std::vector<std::string> p = needed_files(r, opts.data_dir);
    const std::string name = r.name;
    Split<T> s;
    if (name == "mnist" || name == "fashion-mnist") {
        s.train = read_idx_pair<T>(p[0], p[1], 10, name);
        s.test = read_idx_pair<T>(p[2], p[3], 10, name);
        for (const auto* part : {&s.train, &s.test})
            if (part->sample_shape() != Shape{1, 28, 28})
                throw ValueError(name + ": expected 28×28 images, found samples of shape " +
                                 shape_str(part->sample_shape()) + " in " + (part == &s.train ? p[0] : p[2]));
    } else {
        const CifarFormat& f = name == "cifar10" ? kCifar10 : kCifar100;
        const std::size_t n_train = name == "cifar10" ? 5 : 1;
        s.train = read_cifar<T>(std::vector<std::string>(p.begin(), p.begin() + n_train), f, name);
        s.test = read_cifar<T>(std::vector<std::string>(p.begin() + n_train, p.end()), f, name);
        if (name == "cifar100" && opts.cifar100_normalize) {
            normalize_channels(s.train.x, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5});
            normalize_channels(s.test.x, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5});
        }
    }
    if (opts.n > 0) {
        Rng rng(opts.seed);
        s.train = random_subset(s.train, opts.n, rng);
    }
    return s;
}

template <class T>
Split<T> load_synthetic(const std::string& name, const LoadOptions& opts) {
    if (name == "modadd") {
        if (opts.n != 0)
            throw ValueError("modadd: expected n = 0 (its size is p² pairs, set by the modulus), found n = " +
                             std::to_string(opts.n));
        Rng rng(opts.seed);
        return random_split(make_modadd<T>(opts.modulus), 0.3, rng);
    }
    const std::size_t n = opts.n == 0 ? 1000 : opts.n;
    const Dataset<T> d = name == "swissroll" ? make_swissroll<T>(n, opts.seed) : make_staircase<T>(n, opts.seed);
    return {d, d};
}

}  // namespace

const std::vector<DatasetInfo>& dataset_catalog() {
    static const std::vector<DatasetInfo> list = {
        {"mnist", "MNIST handwritten digits, 60k/10k grey 28×28 images in [0,1], 10 classes"},
        {"fashion-mnist", "Fashion-MNIST clothing, 60k/10k grey 28×28 images in [0,1], 10 classes"},
        {"cifar10", "CIFAR-10, 50k/10k colour 32×32 images in [0,1], 10 classes"},
        {"cifar100", "CIFAR-100 (fine labels), 50k/10k colour 32×32 images in [-1,1], 100 classes"},
        {"swissroll", "Swiss roll (Fig. 1): 1000 points (x, z) in [0,1]², target t in [0,1]; train = test"},
        {"staircase", "staircase (Fig. 8): x ~ N(0, I10), y = x1x2x3x4 + x1x2x3 + x1x2 + x1, n = 1000; train = test"},
        {"modadd", "modular addition (Figs. 13-14): one_hot(a) ‖ one_hot(b) → (a+b) mod 61, 2604/1117 split"},
    };
    return list;
}

std::vector<std::string> dataset_names() {
    std::vector<std::string> names;
    for (const DatasetInfo& d : dataset_catalog()) names.push_back(d.name);
    return names;
}

bool available(const std::string& name, const LoadOptions& opts) {
    if (name == "svhn") return false;
    if (const RealSource* r = real_source(name)) {
        for (const std::string& p : needed_files(*r, opts.data_dir)) {
            std::error_code ec;
            if (!fs::exists(p, ec)) return false;
        }
        return true;
    }
    if (name == "swissroll" || name == "staircase" || name == "modadd") return true;
    unknown(name);
}

template <class T>
Split<T> load(const std::string& name, const LoadOptions& opts) {
    if (const RealSource* r = real_source(name)) return load_real<T>(*r, opts);
    if (name == "swissroll" || name == "staircase" || name == "modadd") return load_synthetic<T>(name, opts);
    unknown(name);
}

template Split<float> load<float>(const std::string&, const LoadOptions&);
template Split<double> load<double>(const std::string&, const LoadOptions&);

}  // namespace gt::data
