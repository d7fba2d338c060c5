// libFuzzer target: the CIFAR-10 / CIFAR-100 record reader on arbitrary bytes. The first byte
// chooses the variant and whether the file is read twice (two record files concatenated).
#include <cstddef>
#include <cstdint>

#include "datasets/cifar.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const std::string path = gt::fuzz::scratch_path("cifar");
    gt::fuzz::write_scratch(path, data + 1, size - 1);
    const gt::data::CifarFormat& format = (data[0] & 1) ? gt::data::kCifar100 : gt::data::kCifar10;
    std::vector<std::string> paths{path};
    if (data[0] & 2) paths.push_back(path);
    try {
        const auto d = gt::data::read_cifar<float>(paths, format, "fuzz");
        if (d.y.size() != d.size()) __builtin_trap();
        for (int c : d.y)
            if (c < 0 || static_cast<std::size_t>(c) >= format.num_classes) __builtin_trap();
    } catch (const gt::Error&) {
    }
    return 0;
}
