#include "platform/cpu_budget.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sched.h>

#include "platform/cgroup.hpp"

namespace gt {

namespace {

std::string read_small(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void lower(CpuBudget& b, int cpus, const std::string& source) {
    if (cpus > 0 && (b.source.empty() || cpus < b.cpus)) b = {cpus, source};
}

}  // namespace

int cpus_of_quota(long long quota, long long period) {
    if (quota <= 0 || period <= 0) return 0;
    return static_cast<int>((quota + period - 1) / period);
}

int cpus_of_cpu_max(const std::string& text) {
    std::istringstream in(text);
    std::string quota;
    long long period = 0;
    if (!(in >> quota >> period) || quota == "max") return 0;
    char* end = nullptr;
    const long long q = std::strtoll(quota.c_str(), &end, 10);
    return *end == '\0' ? cpus_of_quota(q, period) : 0;
}

CpuBudget cpu_budget() {
    CpuBudget b;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) lower(b, CPU_COUNT(&set), "affinity");
    for (const std::string& f : cgroup_files("cpu.max", "cpu", "cpu.cfs_quota_us")) {
        const std::string text = read_small(f);
        if (text.empty()) continue;
        if (f.size() > 7 && f.compare(f.size() - 7, 7, "cpu.max") == 0) {
            lower(b, cpus_of_cpu_max(text), "cgroup " + f);
        } else {
            const std::string period = read_small(f.substr(0, f.rfind('/')) + "/cpu.cfs_period_us");
            lower(b, cpus_of_quota(std::atoll(text.c_str()), std::atoll(period.c_str())), "cgroup " + f);
        }
    }
    if (const char* slurm = std::getenv("SLURM_CPUS_PER_TASK")) lower(b, std::atoi(slurm), "SLURM_CPUS_PER_TASK");
    if (b.source.empty()) b = {1, "default (no CPU information)"};
    return b;
}

}  // namespace gt
