#include "experiments/sweep/engines.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <sys/stat.h>

#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/run_command.hpp"
#include "experiments/sweep/status.hpp"
#include "experiments/sweep/task_runner.hpp"
#include "platform/files.hpp"
#include "platform/subprocess.hpp"

namespace gt::experiments::sweep {

const std::vector<std::string>& engine_names() {
    static const std::vector<std::string> n{"local", "parallel", "slurm"};
    return n;
}

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    std::string cur;
    bool in_word = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(cur), cur.clear(), in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\'' || c == '"') {
            const std::size_t end = text.find(c, i + 1);
            if (end == std::string::npos)
                throw UsageError(fmt::format("--slurm-args '{}': the quote {} at position {} is never closed", text, c, i + 1));
            cur += text.substr(i + 1, end - i - 1);
            i = end;
        } else if (c == '\\' && i + 1 < text.size()) {
            cur += text[++i];
        } else {
            cur += c;
        }
    }
    if (in_word) words.push_back(cur);
    return words;
}

std::string sh_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

int run_local(const fs::path& dir, const Manifest& m, const std::vector<std::size_t>& tasks, int jobs, int threads) {
    const std::string self = self_executable();
    const int workers = std::max(1, std::min<int>(jobs, int(tasks.size())));
    std::atomic<std::size_t> next{0};
    std::atomic<int> failures{0};
    std::size_t finished = 0;
    std::mutex out;
    const auto t0 = std::chrono::steady_clock::now();
    auto work = [&](int slot) {
        for (;;) {
            const std::size_t k = next++;
            if (k >= tasks.size()) return;
            const Task& t = m.tasks[tasks[k]];
            const auto s0 = std::chrono::steady_clock::now();
            RunResult r;
            try {
                std::vector<std::string> argv = {self, "sweep", "task", dir.string(), std::to_string(t.index),
                                                 "--slot", std::to_string(slot), "--slots", std::to_string(workers)};
                if (threads > 0) argv.insert(argv.end(), {"--threads", std::to_string(threads)});
                r = run_program(argv);
            } catch (const SpawnError& e) {
                r.status = 127;
                r.output = e.what();
            }
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
            std::lock_guard<std::mutex> g(out);
            ++finished;
            if (r.status != 0) ++failures;
            std::string how = "done";
            if (r.status != 0) {  // what the runner recorded, else what it printed
                const Attempt a = Attempt::read(attempt_path(dir, t));
                std::string why = a.exists && !a.error.empty() ? a.error : r.output;
                while (!why.empty() && why.back() == '\n') why.pop_back();
                how = fmt::format("FAILED, {}{}", r.status > 128 ? fmt::format("killed by signal {}", r.status - 128)
                                                                  : fmt::format("exit {}", r.status),
                                  why.empty() ? "" : ": " + why.substr(why.find_first_not_of(' ')));
            }
            std::printf("[%zu/%zu] %s: %s (%.0f s)\n", finished, tasks.size(), t.name.c_str(), how.c_str(), secs);
            std::fflush(stdout);
        }
    };
    std::vector<std::thread> pool;
    for (int s = 1; s <= workers; ++s) pool.emplace_back(work, s);
    for (auto& th : pool) th.join();
    std::printf("local engine: %zu tasks, %d at a time, %.0f s wall, %d failed\n", tasks.size(), workers,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), failures.load());
    return failures;
}

int run_parallel(const fs::path& dir, const Manifest& m, int jobs, int threads) {
    const fs::path joblog = dir / "parallel.joblog";
    std::error_code ec;
    std::vector<std::string> argv = {"parallel", "--will-cite", "--jobs", std::to_string(jobs), "--joblog", joblog.string(),
                                     "--halt", "never", "--line-buffer"};
    if (fs::exists(joblog, ec)) argv.push_back("--resume-failed");
    argv.insert(argv.end(), {self_executable(), "sweep", "task", dir.string(), "{}", "--slot", "{%}", "--slots",
                             std::to_string(jobs)});
    if (threads > 0) argv.insert(argv.end(), {"--threads", std::to_string(threads)});
    argv.push_back(":::");
    for (const Task& t : m.tasks) argv.push_back(std::to_string(t.index));
    SpawnOptions o;
    o.capture = false;
    o.hint = "install GNU parallel: apt-get install parallel";
    return run_program(argv, o).status;
}

Submission submit_slurm(const fs::path& dir, const Manifest& m, const std::vector<std::size_t>& tasks, int jobs,
                        const std::string& slurm_args, int threads) {
    const std::vector<std::string> user = split_words(slurm_args);
    for (const std::string& w : user)
        for (const char* own : {"--array", "-a", "--output", "-o", "--error", "-e", "--dependency", "-d", "--wrap", "--parsable"})
            if (w == own || w.rfind(std::string(own) + "=", 0) == 0)
                throw UsageError(fmt::format("--slurm-args: '{}' is set by gramtape itself (the array, the logs and the "
                                             "report's dependency); leave it out", w));
    const std::string self = self_executable();
    fs::create_directories(dir / "slurm");
    fs::create_directories(dir / "logs");
    const fs::path script = dir / "slurm" / "array.sh";
    write_text_atomic(script, fmt::format("#!/bin/sh\n# One task of the sweep in {}: Slurm runs this once per array index.\n"
                                          "exec {} sweep task {} \"$SLURM_ARRAY_TASK_ID\"{}\n",
                                          dir.string(), sh_quote(self), sh_quote(dir.string()),
                                          threads > 0 ? fmt::format(" --threads {}", threads) : ""));
    ::chmod(script.c_str(), 0755);
    std::string list;
    for (std::size_t k : tasks) list += (list.empty() ? "" : ",") + std::to_string(m.tasks[k].index);
    if (jobs > 0) list += "%" + std::to_string(jobs);
    auto sbatch = [&](std::vector<std::string> args, const std::string& what) {
        std::vector<std::string> argv = {"sbatch", "--parsable"};
        argv.insert(argv.end(), user.begin(), user.end());
        argv.insert(argv.end(), args.begin(), args.end());
        SpawnOptions o;
        o.hint = "is Slurm installed here (apt-get install slurm-client), and is SLURM_CONF set?";
        RunResult r;
        try {
            r = run_program(argv, o);
        } catch (const SpawnError& e) {
            throw UsageError(fmt::format("sweep --engine slurm: {}", e.what()));
        }
        std::string out = r.output;
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        if (r.status != 0)
            throw UsageError(fmt::format("sbatch refused the {} (exit status {}): {}", what, r.status, out));
        // --parsable prints "JOBID" or "JOBID;CLUSTER" on its last line.
        const std::string last = out.substr(out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
        const std::string id = last.substr(0, last.find(';'));
        if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
            throw UsageError(fmt::format("sbatch accepted the {} but printed no job id: {}", what, out));
        return id;
    };
    Submission s;
    s.engine = "slurm";
    s.submitted = utc_now();
    s.tasks = tasks;
    const std::string tag = m.tasks.empty() ? "sweep" : m.tasks.front().figure;
    s.job_id = sbatch({"--array=" + list, "--job-name=gramtape-" + tag,
                       "--output=" + (dir / "logs" / "slurm-%A_%a.log").string(), script.string()},
                      "task array");
    try {
        s.merge_job_id = sbatch({"--dependency=afterany:" + s.job_id, "--job-name=gramtape-" + tag + "-report",
                                 "--output=" + (dir / "logs" / "merge.log").string(),
                                 "--wrap=" + sh_quote(self) + " sweep report " + sh_quote(dir.string())},
                                "report job");
    } catch (const UsageError& e) {  // the array is queued: record it whatever happens to its report job
        std::fprintf(stderr, "gramtape: %s\n  run `gramtape sweep report %s` when array job %s has ended\n", e.what(),
                     dir.string().c_str(), s.job_id.c_str());
    }
    return s;
}

}  // namespace gt::experiments::sweep
