// libFuzzer target: gramtape's validating .npy reader (platform/npy.hpp) on arbitrary bytes, for each
// supported dtype. The bytes are parsed in memory and once through a file (read_npy).
#include <cstddef>
#include <cstdint>

#include "platform/npy.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

template <class T>
void parse(const gt::Bytes& bytes) {
    try {
        const gt::Tensor<T> t = gt::parse_npy<T>(bytes, "fuzz");
        const gt::NpyHeader h = gt::parse_npy_header(bytes, "fuzz");
        if (gt::shape_of(t) != h.shape) __builtin_trap();  // the promised shape
    } catch (const gt::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const gt::Bytes bytes(data, data + size);
    parse<float>(bytes);
    parse<double>(bytes);
    parse<std::int64_t>(bytes);
    static const std::string path = gt::fuzz::scratch_path("npy");
    gt::fuzz::write_scratch(path, data, size);
    try {
        gt::read_npy<double>(path);
    } catch (const gt::Error&) {
    }
    return 0;
}
