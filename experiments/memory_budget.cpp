#include "experiments/memory_budget.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "experiments/figure.hpp"
#include "platform/memory_limit.hpp"

namespace gt::experiments {

namespace {

using u64 = std::uint64_t;

// Saturating arithmetic: an absurd setting must give a huge estimate, not a wrapped small one.
u64 mul(u64 a, u64 b) { return (a != 0 && b > UINT64_MAX / a) ? UINT64_MAX : a * b; }
u64 add(u64 a, u64 b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
u64 mul(std::initializer_list<u64> xs) {
    u64 r = 1;
    for (u64 x : xs) r = mul(r, x);
    return r;
}

// A whole number >= 0 (defaults hold signed integers, parsed files unsigned ones), else `dflt`.
u64 as_u(const nlohmann::json& v, u64 dflt) {
    if (v.is_number_unsigned()) return v.get<u64>();
    if (v.is_number_integer() && v.get<long long>() >= 0) return u64(v.get<long long>());
    return dflt;
}

u64 get_u(const nlohmann::json& cfg, const char* key, u64 dflt) {
    const auto it = cfg.find(key);
    return it != cfg.end() ? as_u(*it, dflt) : dflt;
}

u64 max_element_u(const nlohmann::json& cfg, const char* key) {
    u64 m = 0;
    if (const auto it = cfg.find(key); it != cfg.end() && it->is_array())
        for (const auto& e : *it) m = std::max(m, as_u(e, 0));
    return m;
}

}  // namespace

std::string MemoryEstimate::parts() const {
    std::string s;
    for (const auto& [name, bytes] : {std::pair{"data", data}, std::pair{"parameters and optimizer", parameters},
                                      std::pair{"activations", activations}, std::pair{"other", other}})
        if (bytes > 0) s += (s.empty() ? "" : ", ") + std::string(name) + " " + format_bytes(bytes);
    return s;
}

void require_memory(const MemoryEstimate& e, const std::string& what, const std::string& hint) {
    const u64 total = add(add(e.data, e.parameters), add(e.activations, e.other));
    const MemoryLimit lim = memory_limit();
    if (total <= lim.bytes) return;
    throw UsageError(fmt::format("{} needs an estimated {} of memory ({}), more than the {} this process may use ({}); {}",
                                 what, format_bytes(total), e.parts(), format_bytes(lim.bytes), lim.source, hint));
}

MemoryEstimate generic_memory_estimate(const nlohmann::json& cfg) {
    const u64 b = cfg.value("dtype", std::string("float")) == "double" ? 8 : 4;
    // The data set: samples × features, held as loaded (and a subset copy).
    const std::string ds = cfg.value("dataset", std::string());
    u64 samples = 0, features = 0, classes = 10;
    if (ds == "mnist" || ds == "fashion-mnist") samples = 70000, features = 784;
    else if (ds == "cifar10" || ds == "cifar100") samples = 60000, features = 3072, classes = ds == "cifar100" ? 100 : 10;
    else if (const u64 p = get_u(cfg, "modulus", 0)) samples = mul(p, p), features = mul(2, p), classes = p;  // one-hot pairs
    else samples = get_u(cfg, "n", 1000), features = 10;
    MemoryEstimate e;
    e.data = mul({samples, features, b, 2});
    // The model: the widest layer, its depth, weights + gradient + optimizer buffers (momentum, or Adam's two).
    const u64 width = std::max({get_u(cfg, "width", 0), max_element_u(cfg, "widths"), get_u(cfg, "channels", 0), u64(16)});
    const u64 layers = get_u(cfg, "num_hidden", 2) + 1;
    const u64 copies = 2 + (cfg.contains("beta1") || cfg.contains("betas") ? 2 : 1);
    const u64 weights = add(mul(features, width), mul({layers, width, width}));
    e.parameters = mul({weights, b, copies});
    // Activations of one batch (full batch where there is no batch_size), values and gradients; a
    // convolution keeps unfolded patches (9 per pixel) of every channel.
    const u64 batch = get_u(cfg, "batch_size", samples);
    u64 per_sample = mul({width, layers, 4});
    if (cfg.contains("channels")) per_sample = mul({width, features, 9, 4});
    e.activations = mul({batch, add(per_sample, features), b});
    // Per-layer statistics (normal equations, Gram matrices) and samples kept for AGOP / TL.
    const u64 kept = std::max(get_u(cfg, "agop_samples", 0), get_u(cfg, "tl_samples", 0));
    e.other = add(mul({layers, width, width, 8, 4}), mul({kept, features, classes, b}));
    e.other = add(e.other, mul({get_u(cfg, "epochs", 1), layers, 64, 8}));  // per-epoch arrays
    e.other = add(e.other, u64(64) << 20);  // the program itself
    return e;
}

// The default of the virtual in figure.hpp.
MemoryEstimate Figure::memory_estimate(const nlohmann::json& cfg) const { return generic_memory_estimate(cfg); }

}  // namespace gt::experiments
