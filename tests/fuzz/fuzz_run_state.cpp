// libFuzzer target: a run folder's saved state as a resume reads it — checkpoints/<tag>/manifest.json,
// the .npy files of its slot, and progress.json — for a small fixed model (w (3, 2), b (3)) with an
// SGD-momentum optimizer. The input is a mode byte, then sections [kind][length, 2 bytes LE][bytes]:
//   kind % 6: 0 manifest.json, 1 progress.json, 2 w.npy, 3 b.npy, 4 and 5 the momentum buffers of w, b
// (files go into slot a/; a section that is absent is a missing file). Mode bits:
//   bit 0  reseal: rewrite the manifest's sizes, SHA-256s and checksum to match the files, so mutations
//          reach the checks behind the hashes (shape, dtype, names, optimizer)
//   bit 1  float64 model instead of float32
//   bit 2  load without the optimizer
// Contract: progress.json is accepted or refused with gt::Error; the load succeeds and leaves every
// tensor with its model shape, or throws gt::Error and leaves model and optimizer untouched.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "experiments/run_folder.hpp"
#include "nn/sgd.hpp"
#include "nn/state.hpp"
#include "platform/files.hpp"
#include "platform/sha256.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace fs = std::filesystem;
namespace ex = gt::experiments;

namespace {

const char* kFiles[] = {"w.npy", "b.npy", "opt.sgd.momentum_buffer.w.npy", "opt.sgd.momentum_buffer.b.npy"};

/// True when the text nests deeper than `cap` (a resealed manifest is dumped, which recurses).
bool deeper_than(const std::string& s, int cap) {
    int depth = 0;
    for (char c : s) {
        if (c == '[' || c == '{') ++depth;
        if (c == ']' || c == '}') --depth;
        if (depth > cap) return true;
    }
    return false;
}

void reseal(const fs::path& state) {
    const fs::path m_path = state / gt::nn::kManifestName;
    std::string text;
    try {
        text = gt::read_text(m_path);
    } catch (const gt::Error&) {
        return;
    }
    if (deeper_than(text, 32)) return;
    gt::json m = gt::json::parse(text, nullptr, false);
    if (!m.is_object() || !m.contains("files") || !m.at("files").is_array()) return;
    for (auto& f : m.at("files")) {
        if (!f.is_object() || !f.contains("name") || !f.at("name").is_string()) continue;
        const std::string name = f.at("name").get<std::string>();
        if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') continue;
        std::string bytes;
        try {
            bytes = gt::read_text(state / "a" / name);
        } catch (const gt::Error&) {
            continue;
        }
        f["bytes"] = bytes.size();
        f["sha256"] = gt::sha256_hex(bytes);
    }
    m.erase("checksum");
    m["checksum"] = gt::sha256_hex(m.dump());
    gt::write_json_atomic(m_path, m);
}

template <class T>
void load(const fs::path& root, bool with_opt) {
    gt::nn::Parameter<T> w("w", gt::Tensor<T>::from_shape({3, 2}));
    gt::nn::Parameter<T> b("b", gt::Tensor<T>::from_shape({3}));
    w.value.fill(T(0.5));
    b.value.fill(T(-1));
    std::vector<gt::nn::Parameter<T>*> params{&w, &b};
    gt::nn::SGD<T> opt(params, {0.1, 0.9, 0.0, false});
    for (const auto& s : opt.state()) s.tensor->fill(T(2));
    try {
        gt::nn::load_state<T>(root / "checkpoints", "s", params, with_opt ? &opt : nullptr);
        if (gt::shape_of(w.value) != gt::Shape{3, 2} || gt::shape_of(b.value) != gt::Shape{3}) __builtin_trap();
        for (const auto& s : opt.state())
            if (s.tensor->size() != 6 && s.tensor->size() != 3) __builtin_trap();
    } catch (const gt::Error&) {
        for (T v : w.value)  // nothing changes unless the whole state verified
            if (v != T(0.5)) __builtin_trap();
        for (T v : b.value)
            if (v != T(-1)) __builtin_trap();
        for (const auto& s : opt.state())
            for (T v : *s.tensor)
                if (v != T(2)) __builtin_trap();
        if (opt.steps() != 0) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const fs::path root = gt::fuzz::scratch_path("run_state");
    std::error_code ec;
    fs::remove_all(root, ec);
    const fs::path state = root / "checkpoints" / "s";
    fs::create_directories(state / "a");
    const std::uint8_t mode = data[0];
    bool has_progress = false;
    for (std::size_t i = 1; i + 3 <= size;) {
        const int kind = data[i] % 6;
        const std::size_t n = std::min<std::size_t>(data[i + 1] | (data[i + 2] << 8), size - i - 3);
        const std::uint8_t* bytes = data + i + 3;
        fs::path p = kind == 0 ? state / gt::nn::kManifestName : kind == 1 ? root / "progress.json" : state / "a" / kFiles[kind - 2];
        has_progress = has_progress || kind == 1;
        gt::fuzz::write_scratch(p.string(), bytes, n);
        i += 3 + n;
    }
    if (mode & 1) reseal(state);
    if (has_progress) {
        try {
            ex::check_progress_record(gt::read_json(root / "progress.json"), root / "progress.json");
        } catch (const gt::Error&) {
        }
    }
    if (mode & 2)
        load<double>(root, !(mode & 4));
    else
        load<float>(root, !(mode & 4));
    return 0;
}
