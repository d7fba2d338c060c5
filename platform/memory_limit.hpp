// How much memory this process may use: the lowest of physical memory, RLIMIT_AS, RLIMIT_DATA, a
// user's GT_MEMORY_LIMIT and the cgroup memory limit (v2 memory.max or v1 memory.limit_in_bytes) of this
// process and its ancestors, where readable.
#pragma once

#include <cstdint>
#include <string>

namespace gt {

struct MemoryLimit {
    std::uint64_t bytes = 0;
    std::string source;  // "physical memory", "RLIMIT_AS", "RLIMIT_DATA", "GT_MEMORY_LIMIT" or "cgroup limit <file>"
};

MemoryLimit memory_limit();

/// "1.5 GiB", "300.0 MiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace gt
