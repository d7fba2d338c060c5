// The up-front memory estimates the CLI compares with platform/memory_limit.hpp, so that a
// run that cannot fit is refused before it starts (instead of ending in std::bad_alloc or the OOM killer).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/memory_limit.hpp"

namespace gt::experiments {

/// An estimate of a peak, with its parts for the message.
struct MemoryEstimate {
    std::uint64_t data = 0, parameters = 0, activations = 0, other = 0;
    std::string parts() const;  // "data 1.0 MiB, parameters and optimizer 2.0 MiB, ..."
};

/// Throws UsageError "<what> needs an estimated X of memory (parts), more than the Y this process may use
/// (source); <hint>" when the estimate exceeds memory_limit().
void require_memory(const MemoryEstimate& e, const std::string& what, const std::string& hint);

/// The generic estimate of a figure's peak from its effective config (dataset × dtype, parameters ×
/// optimizer buffers, activations batch × width × layers, per-epoch arrays); Figure::memory_estimate's default.
MemoryEstimate generic_memory_estimate(const nlohmann::json& cfg);

}  // namespace gt::experiments
