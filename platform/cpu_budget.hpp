// How many CPUs this process may use, so that the default thread count never exceeds them: the CPUs of
// its affinity mask (taskset, cpusets), its cgroup CPU quota (v2 cpu.max, v1 cpu.cfs_quota_us over
// cpu.cfs_period_us, rounded up) and SLURM_CPUS_PER_TASK when set; the lowest wins and is named.
#pragma once

#include <string>

namespace gt {

struct CpuBudget {
    int cpus = 1;
    std::string source;  // "affinity", "cgroup <file>", "SLURM_CPUS_PER_TASK"
};

CpuBudget cpu_budget();

/// CPUs of a CFS quota: ceil(quota / period); 0 when there is no quota (quota < 0, "max") or the
/// values are not usable.
int cpus_of_quota(long long quota, long long period);
/// CPUs of a cgroup v2 cpu.max text ("150000 100000" → 2, "max 100000" → 0 = no limit).
int cpus_of_cpu_max(const std::string& text);

}  // namespace gt
