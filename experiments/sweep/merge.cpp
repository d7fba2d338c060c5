#include "experiments/sweep/merge.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_map>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "experiments/figure.hpp"
#include "experiments/metrics.hpp"
#include "experiments/sweep/merged_model.hpp"
#include "experiments/sweep/page.hpp"
#include "experiments/sweep/status.hpp"
#include "platform/files.hpp"

namespace gt::experiments::sweep {

namespace {

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

// ---- the tasks' states ---------------------------------------------------------------------------------

/// Which tasks are done, and what became of the others ("failed: exit 1: ..."), from the task folders
/// alone (the scheduler is not asked: the report may run as a Slurm job itself). A folder that cannot
/// be read makes its task "not finished", never the report fail.
std::vector<std::pair<bool, std::string>> read_states(const fs::path& dir, const Manifest& m) {
    std::vector<std::pair<bool, std::string>> out;
    std::vector<TaskStatus> st;
    try {
        st = task_states(dir, m, false);
    } catch (const std::exception&) {
        st.clear();  // one unreadable attempt.json or progress.json: ask task by task below
    }
    for (const Task& t : m.tasks) {
        if (st.size() == m.tasks.size()) {
            const TaskStatus& s = st[t.index];
            out.emplace_back(s.state == State::done, std::string(state_name(s.state)) + (s.detail.empty() ? "" : ": " + s.detail));
            continue;
        }
        try {
            const bool done = task_done(dir, m, t);
            out.emplace_back(done, done ? "done" : "not finished");
        } catch (const std::exception& e) {
            out.emplace_back(false, std::string("not finished: ") + e.what());
        }
    }
    return out;
}

// ---- merged/metrics.csv, written as it is read ----------------------------------------------------------

/// A file written through a temporary beside it and renamed into place on commit(); removed when the
/// merge fails before that, so the old file stays.
class AtomicStream {
   public:
    explicit AtomicStream(fs::path path) : path_(std::move(path)), tmp_(temp_path_for(path_)) {
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0)
            throw IoError(fmt::format("cannot write {}: folder missing or not writable ({})", path_.string(),
                                      std::strerror(errno)));
    }
    AtomicStream(const AtomicStream&) = delete;
    AtomicStream& operator=(const AtomicStream&) = delete;
    ~AtomicStream() {
        if (fd_ >= 0) ::close(fd_);
        std::error_code ec;
        if (!committed_) fs::remove(tmp_, ec);
    }
    void write(const std::string& s) {
        for (std::size_t done = 0; done < s.size();) {
            const ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw IoError(fmt::format("cannot write {}: write failed ({})", path_.string(), std::strerror(errno)));
            }
            done += static_cast<std::size_t>(n);
        }
    }
    void commit() {
        const int rc = ::close(fd_);
        fd_ = -1;
        if (rc != 0) throw IoError(fmt::format("cannot write {}: close failed ({})", path_.string(), std::strerror(errno)));
        commit_temp(tmp_, path_);  // fsync, rename, folder fsync; removes the temporary on failure
        committed_ = true;
    }

   private:
    fs::path path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

/// One task's metrics.csv: its rows go to `out` behind the task columns, byte for byte, and into the
/// setting's series. MetricsLog::parse checks the file (IoError naming it and the line).
std::size_t merge_task_metrics(const fs::path& file, const Task& t, Setting& s, AtomicStream& out) {
    const std::string text = read_text(file);
    const std::vector<MetricRow> rows = MetricsLog::parse(text, file.string());

    // Per (run as written, layer, metric) of this task: its last value and its curve.
    struct Own {
        std::size_t series;  // index into s.series
        double last = kNaN;
        std::map<long, double> by_epoch, by_step;  // the last value at each epoch / step
    };
    std::vector<Own> own;
    std::unordered_map<std::string, std::size_t> own_index;
    std::unordered_map<std::string, std::string> seed_text;  // run -> the seed column

    const std::string prefix = csv_field(t.name) + "," + csv_field(t.setting_label()) + ",";
    std::string buf;
    std::size_t k = 0, pos = text.find('\n');  // past the header, which parse() checked
    while (pos != std::string::npos && pos < text.size()) {
        const std::size_t start = pos + 1;
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        pos = end < text.size() ? end : std::string::npos;
        if (end == start) continue;  // parse() skips empty lines too
        if (k >= rows.size()) throw IoError(fmt::format("{}: rows and lines disagree", file.string()));
        const MetricRow& r = rows[k++];
        auto [sit, fresh_seed] = seed_text.emplace(r.run, "");
        if (fresh_seed) {
            const long seed = t.seed >= 0 ? t.seed : run_seed(r.run);
            sit->second = seed >= 0 ? std::to_string(seed) : "";
        }
        buf += prefix;
        buf += sit->second;
        buf += ',';
        buf.append(text, start, end - start);
        buf += '\n';
        if (buf.size() >= (1u << 20)) {
            out.write(buf);
            buf.clear();
        }
        auto [oit, fresh] = own_index.emplace(key3(r.run, r.layer, r.metric), own.size());
        if (fresh) {
            const std::string bare = strip_seed(r.run);
            auto [git, new_series] = s.series_index.emplace(key3(bare, r.layer, r.metric), s.series.size());
            if (new_series) s.series.push_back({bare, r.layer, r.metric, {}, {}, {}});
            own.push_back({git->second, kNaN, {}, {}});
        }
        Own& o = own[oit->second];
        o.last = r.value;
        o.by_epoch[r.epoch] = r.value;
        o.by_step[r.step] = r.value;
    }
    if (k != rows.size()) throw IoError(fmt::format("{}: rows and lines disagree", file.string()));
    out.write(buf);
    for (const Own& o : own) {
        Series& g = s.series[o.series];
        g.finals.push_back(o.last);
        for (const auto& [x, v] : o.by_epoch) g.by_epoch[x].add(v);
        for (const auto& [x, v] : o.by_step) g.by_step[x].add(v);
    }
    return rows.size();
}

// ---- merged/settings.json --------------------------------------------------------------------------------

json row_json(const RowAcc& a) {
    const std::vector<double> numeric = numeric_leading(a);
    json j = {{"quantity", a.quantity}, {"paper", a.paper}, {"values", json::array()}};
    for (double v : a.leading) j["values"].push_back(json_number(v));
    j.update(stats_json(stats_of(numeric)));
    if (const std::string* rest = common_rest(a)) j["suffix"] = *rest;
    if (!a.texts.empty()) j["not_numeric"] = a.texts;
    if (a.pattern_agrees && !a.slots.empty()) {
        std::string pat;  // "{} / {}"
        for (char c : a.pattern) pat += c == '\x01' ? std::string("{}") : std::string(1, c);
        j["pattern"] = pat;
        j["slots"] = json::array();
        for (const auto& sl : a.slots) j["slots"].push_back(stats_json(stats_of(sl)));
    }
    return j;
}

json settings_json(const Manifest& m, const std::vector<Setting>& settings, const std::vector<MissingTask>& missing,
                   std::size_t merged) {
    json j = {{"format", "gramtape-sweep-settings-1"}, {"preset", m.preset}, {"request", m.request},
              {"tasks", m.tasks.size()}, {"merged", merged}, {"missing", json::array()}, {"settings", json::array()}};
    for (const auto& t : missing) j["missing"].push_back(t.name);
    for (const Setting& s : settings) {
        json e = {{"figure", s.figure}, {"label", s.label}, {"dataset", s.dataset}, {"setting", s.setting},
                  {"tasks", json::array()}, {"seeds", s.seeds}, {"n", s.tasks.size()}};
        for (std::size_t i : s.tasks) e["tasks"].push_back(m.tasks[i].name);
        e["summary"] = json::array();
        for (const RowAcc& a : s.rows) e["summary"].push_back(row_json(a));
        e["claims"] = json::array();
        for (const ClaimAcc& c : s.claims) e["claims"].push_back({{"claim", c.claim}, {"pass", c.pass}, {"n", c.n}});
        e["series"] = json::array();
        for (const Series& g : s.series) {
            json x = {{"run", g.run}, {"layer", g.layer}, {"metric", g.metric}};
            x.update(stats_json(stats_of(g.finals)));
            e["series"].push_back(std::move(x));
        }
        j["settings"].push_back(std::move(e));
    }
    return j;
}

// ---- the steps of write_sweep_report ----------------------------------------------------------------------

/// Creates merged/ and report/ and names the files the merge writes.
MergeResult prepare_folders(const fs::path& dir) {
    MergeResult res;
    const fs::path merged = dir / "merged", report = dir / "report";
    for (const fs::path& p : {merged, report}) {
        std::error_code ec;
        fs::create_directories(p, ec);
        if (ec || !fs::is_directory(p))
            throw IoError(fmt::format("{}: cannot create the folder ({})", p.string(), ec ? ec.message() : "a file is in the way"));
    }
    res.metrics_csv = merged / "metrics.csv";
    res.settings_json = merged / "settings.json";
    res.report_html = report / "index.html";
    res.report_md = report / "README.md";
    return res;
}

/// The setting of a finished task, added at its first task: a setting is (figure, label), the tasks
/// that differ in seed only.
Setting& setting_of(MergedTasks& mt, std::unordered_map<std::string, std::size_t>& index, const Task& t) {
    const std::string label = t.setting_label();
    auto [it, fresh] = index.emplace(t.figure + '\x1f' + label, mt.settings.size());
    if (fresh) {
        mt.settings.push_back({});
        Setting& s = mt.settings.back();
        s.figure = t.figure;
        s.label = label;
        s.dataset = t.dataset;
        s.setting = t.setting;
    }
    Setting& s = mt.settings[it->second];
    s.tasks.push_back(t.index);
    s.seeds.push_back(t.seed);
    mt.task_setting[t.index] = it->second;
    mt.done[t.index] = true;
    return s;
}

/// Reads every finished task (summary.json and metrics.csv) into the model while writing
/// merged/metrics.csv; lists the others in res.missing_tasks. Counts into res.merged and res.rows.
MergedTasks merge_tasks(const fs::path& dir, const Manifest& m, MergeResult& res) {
    MergedTasks mt;
    mt.task_setting.assign(m.tasks.size(), 0);
    mt.done.assign(m.tasks.size(), false);
    std::unordered_map<std::string, std::size_t> setting_index;
    const auto states = read_states(dir, m);
    AtomicStream out(res.metrics_csv);
    out.write("task,setting,seed,run,epoch,step,layer,metric,value\n");
    for (const Task& t : m.tasks) {
        const fs::path run = task_run_folder(dir, m, t);
        if (!states[t.index].first) {
            res.missing_tasks.push_back({t.index, t.name, states[t.index].second});
            continue;
        }
        Setting& s = setting_of(mt, setting_index, t);
        const fs::path sj = run / "summary.json";
        add_summary(s, Summary::from_json(read_json(sj), sj.string()));
        res.rows += merge_task_metrics(run / "metrics.csv", t, s, out);
        ++res.merged;
    }
    out.commit();
    res.missing = res.missing_tasks.size();
    return mt;
}

}  // namespace

// ---- public pieces ---------------------------------------------------------------------------------------

std::string strip_seed(const std::string& run) {
    std::string out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = run.find('/', start);
        const std::string part = run.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        const bool seed = part.size() > 4 && part.compare(0, 4, "seed") == 0 &&
                          std::all_of(part.begin() + 4, part.end(), is_digit);
        if (!seed) out += (out.empty() ? "" : "/") + part;
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

long run_seed(const std::string& run) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = run.find('/', start);
        const std::string part = run.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.size() > 4 && part.size() < 15 && part.compare(0, 4, "seed") == 0 &&
            std::all_of(part.begin() + 4, part.end(), is_digit))
            return std::stol(part.substr(4));
        if (slash == std::string::npos) return -1;
        start = slash + 1;
    }
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
}

MergeResult write_sweep_report(const fs::path& dir) {
    const Manifest m = load_manifest(dir);
    MergeResult res = prepare_folders(dir);
    const MergedTasks tasks = merge_tasks(dir, m, res);
    write_text_atomic(res.settings_json, dump(settings_json(m, tasks.settings, res.missing_tasks, res.merged)));
    write_page(dir, m, tasks, res);
    return res;
}

}  // namespace gt::experiments::sweep
