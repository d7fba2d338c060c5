// libFuzzer target: load_checkpoint on arbitrary bytes, for a small fixed model (two parameters) with
// an SGD-momentum optimizer. The first byte chooses:
//   bit 0  append the correct FNV-1a checksum to the rest, so mutations reach the header and shape
//          checks behind the checksum (without it, almost every mutation stops at the checksum)
//   bit 1  float64 model instead of float32
//   bit 2  load without the optimizer
// Contract: the load succeeds and leaves every tensor with its model shape, or it throws gt::Error and
// leaves the model untouched.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/checkpoint.hpp"
#include "nn/sgd.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

template <class T>
void load(const std::string& path, bool with_opt) {
    gt::nn::Parameter<T> w("w", gt::Tensor<T>::from_shape({3, 2}));
    gt::nn::Parameter<T> b("b", gt::Tensor<T>::from_shape({3}));
    w.value.fill(T(0.5));
    b.value.fill(T(-1));
    std::vector<gt::nn::Parameter<T>*> params{&w, &b};
    gt::nn::SGD<T> opt(params, {0.1, 0.9, 0.0, false});
    try {
        gt::nn::load_checkpoint<T>(path, params, with_opt ? &opt : nullptr);
        if (gt::shape_of(w.value) != gt::Shape{3, 2} || gt::shape_of(b.value) != gt::Shape{3}) __builtin_trap();
        for (const auto& s : opt.state())
            if (s.tensor->size() != 0 && s.tensor->size() != 6 && s.tensor->size() != 3) __builtin_trap();
    } catch (const gt::Error&) {
        for (T v : w.value)  // nothing is modified unless the whole file is valid
            if (v != T(0.5)) __builtin_trap();
        for (T v : b.value)
            if (v != T(-1)) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const std::string path = gt::fuzz::scratch_path("checkpoint");
    const std::uint8_t mode = data[0];
    std::vector<std::uint8_t> file(data + 1, data + size);
    if (mode & 1) {
        const std::uint64_t h = gt::nn::fnv1a64(file.data(), file.size());
        const auto* p = reinterpret_cast<const std::uint8_t*>(&h);
        file.insert(file.end(), p, p + 8);
    }
    gt::fuzz::write_scratch(path, file.data(), file.size());
    if (mode & 2)
        load<double>(path, !(mode & 4));
    else
        load<float>(path, !(mode & 4));
    return 0;
}
