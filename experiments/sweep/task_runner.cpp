#include "experiments/sweep/task_runner.hpp"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/sweep/status.hpp"
#include "platform/files.hpp"
#include "platform/subprocess.hpp"

namespace gt::experiments::sweep {

std::string self_executable() {
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw IoError("cannot find this program's own path (/proc/self/exe): " + ec.message());
    return p.string();
}

std::vector<int> cpu_share(int slot, int slots) {
    if (slots <= 0) return {};
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) cpus.push_back(c);
    if (cpus.empty()) return {};
    const int n = int(cpus.size());
    const int share = std::max(1, n / slots);
    std::vector<int> out;
    for (int k = 0; k < share; ++k) out.push_back(cpus[((slot - 1) * share + k) % n]);
    return out;
}

std::vector<std::string> task_command(const fs::path& dir, const Manifest& m, const Task& t, int threads) {
    std::vector<std::string> argv = {self_executable(), t.figure, "--preset", m.preset};
    if (!t.dataset.empty()) argv.insert(argv.end(), {"--dataset", t.dataset});
    if (!t.dtype.empty()) argv.insert(argv.end(), {"--dtype", t.dtype});
    argv.insert(argv.end(), {"--config", task_config_path(dir, t).string(), "--out", task_root(dir, t).string(),
                             "--data-dir", m.data_dir, "--threads", std::to_string(threads)});
    return argv;
}

namespace {

/// The last line of the log that reports an error ("gramtape: error: ..."), at most 300 bytes.
std::string last_error_line(const fs::path& log) {
    std::string text;
    try {
        text = read_text(log, std::uint64_t(64) << 20);
    } catch (const IoError&) {
        return "";
    }
    std::string found;
    std::size_t a = 0;
    while (a < text.size()) {
        std::size_t e = text.find('\n', a);
        if (e == std::string::npos) e = text.size();
        const std::string line = text.substr(a, e - a);
        if (line.find("error") != std::string::npos || line.find("failed") != std::string::npos) found = line;
        a = e + 1;
    }
    return found.substr(0, 300);
}

std::string host_name() {
    char buf[256] = {};
    return gethostname(buf, sizeof buf - 1) == 0 ? buf : "";
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

}  // namespace

int run_task(const fs::path& dir, std::size_t index, int slot, int slots, int threads_flag) {
    const Manifest m = load_manifest(dir);
    if (index >= m.tasks.size())
        throw UsageError(fmt::format("sweep task {}: expected an index in 0..{} ({} tasks in {})", index,
                                     m.tasks.size() - 1, m.tasks.size(), manifest_path(dir).string()));
    const Task& t = m.tasks[index];
    if (task_done(dir, m, t)) {
        std::printf("%s: already complete\n", t.name.c_str());
        return 0;
    }
    // Threads: what Slurm allocated (one CPU unless --cpus-per-task), or this slot's share.
    int threads = 1;
    if (threads_flag > 0) threads = threads_flag;
    else if (const char* c = std::getenv("SLURM_CPUS_PER_TASK"); c && std::atoi(c) > 0) threads = std::atoi(c);
    else if (!std::getenv("SLURM_JOB_ID") && slots > 0) {
        const std::vector<int> cpus = cpu_share(slot, slots);
        if (!cpus.empty()) {
            cpu_set_t set;
            CPU_ZERO(&set);
            for (int c : cpus) CPU_SET(c, &set);
            if (sched_setaffinity(0, sizeof set, &set) != 0)
                std::fprintf(stderr, "%s: could not pin to CPUs %s; running unpinned\n", t.name.c_str(),
                             fmt::format("{}", fmt::join(cpus, ",")).c_str());
            threads = int(cpus.size());
        }
    }
    fs::create_directories(task_root(dir, t));
    fs::create_directories(task_log_path(dir, t).parent_path());
    const fs::path cfg = task_config_path(dir, t);
    std::error_code ec;
    if (!fs::exists(cfg, ec) || read_json(cfg) != t.config) write_json_atomic(cfg, t.config);

    Attempt a;
    const Attempt before = Attempt::read(attempt_path(dir, t));
    a.number = before.number + 1;
    a.started = utc_now();
    a.pid = long(getpid());
    a.host = host_name();
    const std::string array_job = env_or("SLURM_ARRAY_JOB_ID", "");
    a.job = array_job.empty() ? env_or("SLURM_JOB_ID", "") : array_job + "_" + env_or("SLURM_ARRAY_TASK_ID", "");
    write_json_atomic(attempt_path(dir, t), a.to_json());

    // From here the runner outlives the figure whatever signal ends it (the child gets the default
    // actions back: platform/subprocess.cpp).
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    SpawnOptions o;
    o.output_file = task_log_path(dir, t).string();
    RunResult r;
    try {
        r = run_program(task_command(dir, m, t, threads), o);
    } catch (const SpawnError& e) {
        r.status = 127;
        a.error = e.what();
    }
    a.exit = r.status;
    a.ended = utc_now();
    if (a.error.empty() && r.status != 0) a.error = last_error_line(task_log_path(dir, t));
    write_json_atomic(attempt_path(dir, t), a.to_json());
    std::printf("%s: %s\n", t.name.c_str(),
                r.status == 0 ? "done"
                              : (r.status > 128 ? fmt::format("killed by signal {}", r.status - 128) : fmt::format("exit {}", r.status))
                                        .c_str());
    if (r.status != 0 && !a.error.empty()) std::printf("  %s\n", a.error.c_str());
    return r.status;
}

}  // namespace gt::experiments::sweep
