#include "experiments/sweep/status.hpp"

#include <cerrno>
#include <map>

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include "platform/files.hpp"
#include "platform/subprocess.hpp"

namespace gt::experiments::sweep {

const char* state_name(State s) {
    switch (s) {
        case State::done: return "done";
        case State::running: return "running";
        case State::failed: return "failed";
        case State::pending: return "pending";
    }
    return "?";
}

json Attempt::to_json() const {
    return {{"number", number}, {"started", started}, {"ended", ended}, {"exit", exit}, {"error", error},
            {"pid", pid},       {"host", host},       {"job", job}};
}

Attempt Attempt::read(const fs::path& file) {
    Attempt a;
    std::error_code ec;
    if (!fs::exists(file, ec)) return a;
    const json j = read_json(file);
    try {
        a.number = j.at("number").get<int>();
        a.started = j.at("started").get<std::string>();
        a.ended = j.at("ended").get<std::string>();
        a.exit = j.at("exit").get<int>();
        a.error = j.at("error").get<std::string>();
        a.pid = j.at("pid").get<long>();
        a.host = j.at("host").get<std::string>();
        a.job = j.at("job").get<std::string>();
    } catch (const json::exception& e) {
        throw IoError(fmt::format("{}: expected an attempt record (number, started, ended, exit, error, pid, host, job): {}",
                                  file.string(), e.what()));
    }
    a.exists = true;
    return a;
}

bool task_done(const fs::path& dir, const Manifest& m, const Task& t) {
    const fs::path run = task_run_folder(dir, m, t);
    std::error_code ec;
    if (!fs::exists(run / "summary.json", ec) || !fs::exists(run / "progress.json", ec)) return false;
    const json p = read_json(run / "progress.json");
    return p.is_object() && p.value("complete", false);
}

namespace {

std::string this_host() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "";
    return buf;
}

bool alive(long pid) { return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM); }

/// "ARRAYID_INDEX" -> Slurm state, for every array task squeue still lists; `note` says why when it
/// cannot be asked.
std::map<std::string, std::string> slurm_queue(const Manifest& m, std::string* note) {
    std::map<std::string, std::string> q;
    std::string ids;
    for (const Submission& s : m.submissions)
        if (s.engine == "slurm" && !s.job_id.empty()) ids += (ids.empty() ? "" : ",") + s.job_id;
    if (ids.empty()) return q;
    RunResult r;
    try {
        r = run_program({"squeue", "-h", "-r", "-j", ids, "-o", "%F_%K|%T|%r"});
    } catch (const SpawnError& e) {
        *note = std::string("squeue could not be run: ") + e.what();
        return q;
    }
    if (r.status != 0) {  // jobs slurmctld has forgotten: nothing of them is queued any more
        if (r.output.find("Invalid job id") == std::string::npos)
            *note = fmt::format("squeue -j {} failed (status {}): {}", ids, r.status, r.output.substr(0, 300));
        return q;
    }
    std::size_t a = 0;
    while (a < r.output.size()) {
        std::size_t e = r.output.find('\n', a);
        if (e == std::string::npos) e = r.output.size();
        const std::string line = r.output.substr(a, e - a);
        const std::size_t bar = line.find('|');
        if (bar != std::string::npos) q[line.substr(0, bar)] = line.substr(bar + 1);
        a = e + 1;
    }
    return q;
}

/// The newest Slurm array submission holding task `index`: its "ARRAYID_INDEX".
std::string slurm_key(const Manifest& m, std::size_t index) {
    for (auto it = m.submissions.rbegin(); it != m.submissions.rend(); ++it)
        if (it->engine == "slurm")
            for (std::size_t k : it->tasks)
                if (k == index) return it->job_id + "_" + std::to_string(index);
    return "";
}

}  // namespace

std::vector<TaskStatus> task_states(const fs::path& dir, const Manifest& m, bool ask_scheduler,
                                    std::string* scheduler_note) {
    std::string note;
    const auto queue = ask_scheduler ? slurm_queue(m, &note) : std::map<std::string, std::string>{};
    const std::string host = this_host();
    // squeue answered: a task it no longer lists is not running anywhere.
    const bool slurm_asked = ask_scheduler && note.empty();
    std::vector<TaskStatus> out;
    for (const Task& t : m.tasks) {
        TaskStatus s;
        const Attempt a = Attempt::read(attempt_path(dir, t));
        const std::string key = slurm_key(m, t.index);
        const auto q = key.empty() ? queue.end() : queue.find(key);
        if (task_done(dir, m, t)) {
            s.state = State::done;
        } else if (q != queue.end()) {  // Slurm still holds it
            const std::string st = q->second.substr(0, q->second.find('|'));
            s.state = st == "RUNNING" || st == "COMPLETING" ? State::running : State::pending;
            s.detail = "slurm " + key + " " + q->second;
        } else if (a.exists && a.ended.empty() &&
                   (a.host == host ? alive(a.pid) : !(slurm_asked && !a.job.empty()))) {  // elsewhere: Slurm's word
            s.state = State::running;
            s.detail = fmt::format("pid {} on {} since {}", a.pid, a.host, a.started);
        } else if (a.exists && a.ended.empty()) {
            s.state = State::failed;
            s.detail = fmt::format("attempt {} (pid {}) stopped without an exit status (killed?); see {}", a.number, a.pid,
                                   task_log_path(dir, t).string());
        } else if (a.exists) {
            s.state = State::failed;
            s.detail = a.exit == 0 ? "exit 0, but the run folder is not complete"
                                   : a.exit > 128 ? fmt::format("killed by signal {}", a.exit - 128)
                                                  : fmt::format("exit {}", a.exit);
            if (!a.error.empty()) s.detail += ": " + a.error;
        } else if (!key.empty() && ask_scheduler) {
            s.detail = "not queued (slurm " + key + " ended without running it)";
        }
        out.push_back(std::move(s));
    }
    if (scheduler_note) *scheduler_note = note;
    return out;
}

}  // namespace gt::experiments::sweep
