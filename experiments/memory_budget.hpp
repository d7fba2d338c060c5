// How much memory this process may use, and the up-front estimates the CLI compares with it, so that a
// run that cannot fit is refused before it starts (instead of ending in std::bad_alloc or the OOM killer).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace gt::experiments {

struct MemoryLimit {
    std::uint64_t bytes = 0;
    std::string source;  // "physical memory", "RLIMIT_AS", "RLIMIT_DATA" or "cgroup limit <file>"
};

/// The lowest of: physical memory, RLIMIT_AS, RLIMIT_DATA and the cgroup memory limit (v2 memory.max or
/// v1 memory.limit_in_bytes) of this process and its ancestors, where readable.
MemoryLimit memory_limit();

/// An estimate of a peak, with its parts for the message.
struct MemoryEstimate {
    std::uint64_t data = 0, parameters = 0, activations = 0, other = 0;
    std::string parts() const;  // "data 1.0 MiB, parameters and optimizer 2.0 MiB, ..."
};

/// "1.5 GiB", "300.0 MiB".
std::string format_bytes(std::uint64_t bytes);

/// Throws UsageError "<what> needs an estimated X of memory (parts), more than the Y this process may use
/// (source); <hint>" when the estimate exceeds memory_limit().
void require_memory(const MemoryEstimate& e, const std::string& what, const std::string& hint);

/// The generic estimate of a figure's peak from its effective config (dataset × dtype, parameters ×
/// optimizer buffers, activations batch × width × layers, per-epoch arrays); Figure::memory_estimate's default.
MemoryEstimate generic_memory_estimate(const nlohmann::json& cfg);

}  // namespace gt::experiments
