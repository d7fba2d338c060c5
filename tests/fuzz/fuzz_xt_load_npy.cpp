// libFuzzer target: xtensor's own xt::load_npy on arbitrary bytes. Not part of the replay tests: it
// finds crashes within seconds (see docs/reliability.md), which is why gramtape reads .npy files with
// platform/npy.hpp instead. Built by tools/fuzz so the finding can be reproduced.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>

#include <xtensor/xarray.hpp>
#include <xtensor/xnpy.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    try {
        auto a = xt::load_npy<double>(in);
        (void)a;
    } catch (const std::exception&) {
    }
    return 0;
}
