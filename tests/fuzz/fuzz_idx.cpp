// libFuzzer target: the IDX reader on arbitrary bytes (plain or gzip; the reader detects gzip by its
// magic). The first byte chooses images or labels; the rest is the file. A gt::Error is a correct
// rejection; anything else (crash, sanitizer report, other exception, hang) is a finding.
#include <cstddef>
#include <cstdint>

#include "datasets/idx.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const std::string path = gt::fuzz::scratch_path("idx");
    gt::fuzz::write_scratch(path, data + 1, size - 1);
    try {
        if (data[0] & 1) {
            const auto x = gt::data::read_idx_images<float>(path);
            if (x.dimension() != 4 || x.shape(1) != 1) __builtin_trap();  // (N, 1, rows, cols) promised
        } else {
            const auto y = gt::data::read_idx_labels(path, 10);
            for (int c : y)
                if (c < 0 || c >= 10) __builtin_trap();  // labels were promised to be in range
        }
    } catch (const gt::Error&) {
    }
    return 0;
}
