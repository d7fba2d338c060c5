#include "platform/memory_limit.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include "platform/cgroup.hpp"

namespace gt {

namespace {

using u64 = std::uint64_t;

void lower(MemoryLimit& m, u64 bytes, const std::string& source) {
    if (bytes > 0 && bytes < m.bytes) m = {bytes, source};
}

}  // namespace

MemoryLimit memory_limit() {
    MemoryLimit m{UINT64_MAX, "unknown"};
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) lower(m, (u64(pages) > UINT64_MAX / u64(page) ? UINT64_MAX : u64(pages) * u64(page)), "physical memory");
    for (auto [res, name] : {std::pair{RLIMIT_AS, "RLIMIT_AS"}, std::pair{RLIMIT_DATA, "RLIMIT_DATA"}}) {
        rlimit r{};
        if (::getrlimit(res, &r) == 0 && r.rlim_cur != RLIM_INFINITY) lower(m, u64(r.rlim_cur), name);
    }
    // GT_MEMORY_LIMIT=<bytes>: a user's own cap below the machine's (also how the tests lower the limit:
    // RLIMIT_AS cannot be used under AddressSanitizer, which reserves terabytes of address space).
    if (const char* env = std::getenv("GT_MEMORY_LIMIT")) {
        try {
            lower(m, std::stoull(env), "GT_MEMORY_LIMIT");
        } catch (const std::exception&) {
        }
    }
    for (const std::string& file : cgroup_files("memory.max", "memory", "memory.limit_in_bytes")) {  // "max" (v2) means no limit
        std::ifstream in(file);
        std::string v;
        if (in >> v && v != "max") {
            try {
                lower(m, std::stoull(v), "cgroup limit " + file);
            } catch (const std::exception&) {
            }
        }
    }
    return m;
}

std::string format_bytes(u64 bytes) {
    if (bytes == UINT64_MAX) return "more than 16 EiB";
    if (bytes >= (u64(1) << 30)) return fmt::format("{:.1f} GiB", double(bytes) / double(u64(1) << 30));
    return fmt::format("{:.1f} MiB", double(bytes) / double(u64(1) << 20));
}

}  // namespace gt
