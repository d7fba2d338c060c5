// The default thread count is the CPUs this process may use (platform/cpu_budget.hpp): the parsers of
// the cgroup files against hand-written texts, and the real binary under a narrowed affinity mask and
// SLURM_CPUS_PER_TASK, reading what meta.json records.
#include <sched.h>

#include <boost/test/unit_test.hpp>

#include "platform/cgroup.hpp"
#include "platform/cpu_budget.hpp"
#include "platform/files.hpp"
#include "tests/reliability/cli_helpers.hpp"

using namespace gt;
using namespace gt::rel;

namespace {

/// threads and threads_source of the fig1 smoke run's meta.json under `out`.
std::pair<int, std::string> threads_of(const Done& d, const std::string& out) {
    BOOST_TEST_REQUIRE(d.status == 0, d.output);
    const json m = read_json(fs::path(out) / "fig1-smoke" / "meta.json");
    return {m.at("threads").get<int>(), m.at("threads_source").get<std::string>()};
}

int affinity_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    BOOST_TEST_REQUIRE(::sched_getaffinity(0, sizeof set, &set) == 0);
    return CPU_COUNT(&set);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cpu_budget)

BOOST_AUTO_TEST_CASE(quotas_round_up_and_no_limit_is_zero) {
    BOOST_TEST(cpus_of_quota(150000, 100000) == 2);
    BOOST_TEST(cpus_of_quota(100000, 100000) == 1);
    BOOST_TEST(cpus_of_quota(50000, 100000) == 1);
    BOOST_TEST(cpus_of_quota(-1, 100000) == 0);  // cgroup v1: no quota
    BOOST_TEST(cpus_of_quota(100000, 0) == 0);
    BOOST_TEST(cpus_of_cpu_max("250000 100000\n") == 3);
    BOOST_TEST(cpus_of_cpu_max("max 100000\n") == 0);  // cgroup v2: no quota
    BOOST_TEST(cpus_of_cpu_max("") == 0);
    BOOST_TEST(cpus_of_cpu_max("12x 100000") == 0);
}

BOOST_AUTO_TEST_CASE(cgroup_files_walk_every_ancestor_of_both_hierarchies) {
    const std::string proc = "12:cpu,cpuacct:/a/b\n4:memory:/m\n0::/x\n";
    const std::vector<std::string> want = {
        "/sys/fs/cgroup/cpu/a/b/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/a/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
        "/sys/fs/cgroup/x/cpu.max", "/sys/fs/cgroup/cpu.max"};
    BOOST_TEST(cgroup_files(proc, "cpu.max", "cpu", "cpu.cfs_quota_us") == want, boost::test_tools::per_element());
    const std::vector<std::string> mem = {"/sys/fs/cgroup/memory/m/memory.limit_in_bytes",
                                          "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/x/memory.max",
                                          "/sys/fs/cgroup/memory.max"};
    BOOST_TEST(cgroup_files(proc, "memory.max", "memory", "memory.limit_in_bytes") == mem, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_binary_defaults_to_the_cpus_it_may_use_and_says_why) {
    TempDir dir;
    const std::vector<std::string> smoke = {"fig1", "--preset", "smoke", "--out"};
    auto args = [&](const std::string& out) {
        std::vector<std::string> a = smoke;
        a.push_back(dir.file(out));
        return a;
    };
    // An affinity mask of one CPU (the child inherits it): one thread, decided by the mask.
    cpu_set_t all, one;
    CPU_ZERO(&all);
    BOOST_TEST_REQUIRE(::sched_getaffinity(0, sizeof all, &all) == 0);
    int first = 0;
    while (!CPU_ISSET(first, &all)) ++first;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    BOOST_TEST_REQUIRE(::sched_setaffinity(0, sizeof one, &one) == 0);
    const Done pinned = run(args("pinned"), dir);
    BOOST_TEST_REQUIRE(::sched_setaffinity(0, sizeof all, &all) == 0);
    BOOST_TEST((threads_of(pinned, dir.file("pinned")) == std::pair<int, std::string>{1, "affinity"}));

    // SLURM_CPUS_PER_TASK=1 below the mask's CPUs: it decides (with a one-CPU mask the mask, first, does).
    const Done slurm = run(args("slurm"), dir, 0, {}, {{"SLURM_CPUS_PER_TASK", "1"}});
    const std::string source = affinity_cpus() > 1 ? "SLURM_CPUS_PER_TASK" : "affinity";
    BOOST_TEST((threads_of(slurm, dir.file("slurm")) == std::pair<int, std::string>{1, source}));

    // --threads wins over every default.
    std::vector<std::string> a = args("flag");
    a.insert(a.end(), {"--threads", "1"});
    BOOST_TEST((threads_of(run(a, dir, 0, {}, {{"SLURM_CPUS_PER_TASK", "3"}}), dir.file("flag")) ==
                std::pair<int, std::string>{1, "--threads"}));
}

BOOST_AUTO_TEST_SUITE_END()
