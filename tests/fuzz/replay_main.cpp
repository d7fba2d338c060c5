// A plain main for the fuzz targets, so `meson test` runs them with any compiler: every file of the
// committed seed corpus is passed to LLVMFuzzerTestOneInput, then `rounds` deterministic mutations of
// each seed (byte flips, extreme header bytes, cuts, appends; seeded, so a failure reproduces).
// A crash, sanitizer report or escaping exception fails the test; an empty corpus fails it too.
//   replay_<target> CORPUS_DIR... [--rounds N]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "autodiff/random.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::uint8_t> mutate(std::vector<std::uint8_t> b, gt::Rng& rng) {
    switch (rng.below(5)) {
        case 0:
            for (int k = 0; k < 4 && !b.empty(); ++k) b[rng.below(b.size())] = static_cast<std::uint8_t>(rng.below(256));
            break;
        case 1:
            if (!b.empty()) b[rng.below(std::min<std::size_t>(b.size(), 64))] = rng.below(2) ? 0x00 : 0xFF;
            break;
        case 2: b.resize(rng.below(b.size() + 1)); break;
        case 3:
            for (int k = 0, n = 1 + static_cast<int>(rng.below(16)); k < n; ++k)
                b.push_back(static_cast<std::uint8_t>(rng.below(256)));
            break;
        default:
            if (b.size() > 1) b[0] ^= static_cast<std::uint8_t>(1u << rng.below(8));  // another mode
    }
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t rounds = 200;
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) {
            rounds = std::stoul(argv[++i]);
            continue;
        }
        std::error_code ec;
        if (!std::filesystem::is_directory(a, ec)) {
            std::fprintf(stderr, "replay: expected a corpus directory, found '%s'\n", a.c_str());
            return 2;
        }
        for (const auto& e : std::filesystem::directory_iterator(a))
            if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::fprintf(stderr, "replay: expected at least one seed file, found none (arguments: corpus dirs)\n");
        return 2;
    }
    std::size_t runs = 0;
    gt::Rng rng(20240605);
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        const std::vector<std::uint8_t> seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(seed.data(), seed.size());
        ++runs;
        for (std::size_t r = 0; r < rounds; ++r) {
            const auto m = mutate(seed, rng);
            LLVMFuzzerTestOneInput(m.data(), m.size());
            ++runs;
        }
    }
    std::printf("replay: %zu seeds, %zu inputs, no crash\n", files.size(), runs);
    return 0;
}
