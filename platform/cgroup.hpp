// The files of this process's cgroups that may hold a limit: its own cgroup and every ancestor, for
// cgroup v2 (the unified hierarchy, "0::/path") and v1 (a hierarchy whose controller list names
// `v1_controller`, "N:cpu,cpuacct:/path"). Read by the memory limit and the CPU budget.
#pragma once

#include <string>
#include <vector>

namespace gt {

/// Candidate paths, innermost cgroup first, from the text of /proc/self/cgroup: `v2_leaf` under
/// /sys/fs/cgroup (e.g. "cpu.max"), `v1_leaf` under /sys/fs/cgroup/<v1_controller> (e.g.
/// "cpu.cfs_quota_us"). Files that do not exist are left to the reader.
std::vector<std::string> cgroup_files(const std::string& proc_self_cgroup, const std::string& v2_leaf,
                                      const std::string& v1_controller, const std::string& v1_leaf);

/// The same for this process (reads /proc/self/cgroup).
std::vector<std::string> cgroup_files(const std::string& v2_leaf, const std::string& v1_controller, const std::string& v1_leaf);

}  // namespace gt
