#include "experiments/sweep/manifest.hpp"

#include <fmt/format.h>

#include "platform/files.hpp"

namespace gt::experiments::sweep {

std::string Task::setting_label() const {
    std::string s;
    for (auto it = setting.begin(); it != setting.end(); ++it)
        s += (s.empty() ? "" : ", ") + it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
    if (!dataset.empty()) s = "dataset=" + dataset + (s.empty() ? "" : ", " + s);
    return s.empty() ? "(no grid)" : s;
}

fs::path task_run_folder(const fs::path& dir, const Manifest& m, const Task& t) {
    return task_root(dir, t) / (t.figure + "-" + m.preset + (t.dataset.empty() ? "" : "-" + t.dataset));
}

json Manifest::to_json() const {
    json j = {{"format", kFormat}, {"command", command}, {"preset", preset}, {"data_dir", data_dir}, {"request", request}};
    j["tasks"] = json::array();
    for (const Task& t : tasks)
        j["tasks"].push_back({{"index", t.index}, {"name", t.name}, {"figure", t.figure}, {"dataset", t.dataset},
                              {"setting", t.setting}, {"seed", t.seed}, {"config", t.config}, {"dtype", t.dtype}});
    j["submissions"] = json::array();
    for (const Submission& s : submissions)
        j["submissions"].push_back({{"engine", s.engine}, {"submitted", s.submitted}, {"tasks", s.tasks},
                                    {"job_id", s.job_id}, {"merge_job_id", s.merge_job_id}});
    return j;
}

namespace {

template <class T>
T field(const json& j, const char* key, const std::string& where) {
    if (!j.is_object() || !j.contains(key))
        throw IoError(fmt::format("{}: expected a key '{}', found none", where, key));
    try {
        return j.at(key).get<T>();
    } catch (const json::exception&) {
        throw IoError(fmt::format("{}: '{}' has the wrong type ({})", where, key, j.at(key).dump().substr(0, 80)));
    }
}

}  // namespace

Manifest Manifest::from_json(const json& j, const std::string& where) {
    if (!j.is_object()) throw IoError(where + ": expected a JSON object");
    const std::string format = field<std::string>(j, "format", where);
    if (format != kFormat)
        throw IoError(fmt::format("{}: expected format '{}', found '{}'", where, kFormat, format));
    Manifest m;
    m.command = field<std::string>(j, "command", where);
    m.preset = field<std::string>(j, "preset", where);
    m.data_dir = field<std::string>(j, "data_dir", where);
    m.request = field<json>(j, "request", where);
    const json tasks = field<json>(j, "tasks", where);
    if (!tasks.is_array()) throw IoError(where + ": 'tasks' must be an array");
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const std::string w = fmt::format("{}: tasks[{}]", where, i);
        Task t;
        t.index = field<std::size_t>(tasks[i], "index", w);
        if (t.index != i) throw IoError(fmt::format("{}: expected index {}, found {}", w, i, t.index));
        t.name = field<std::string>(tasks[i], "name", w);
        if (t.name.empty() || t.name.find('/') != std::string::npos || t.name[0] == '.')
            throw IoError(fmt::format("{}: name '{}' is not a plain folder name", w, t.name));
        t.figure = field<std::string>(tasks[i], "figure", w);
        t.dataset = field<std::string>(tasks[i], "dataset", w);
        t.setting = field<json>(tasks[i], "setting", w);
        t.seed = field<long>(tasks[i], "seed", w);
        t.config = field<json>(tasks[i], "config", w);
        t.dtype = field<std::string>(tasks[i], "dtype", w);
        if (!t.setting.is_object() || !t.config.is_object())
            throw IoError(w + ": 'setting' and 'config' must be objects");
        m.tasks.push_back(std::move(t));
    }
    const json subs = field<json>(j, "submissions", where);
    if (!subs.is_array()) throw IoError(where + ": 'submissions' must be an array");
    for (std::size_t i = 0; i < subs.size(); ++i) {
        const std::string w = fmt::format("{}: submissions[{}]", where, i);
        Submission s;
        s.engine = field<std::string>(subs[i], "engine", w);
        s.submitted = field<std::string>(subs[i], "submitted", w);
        s.tasks = field<std::vector<std::size_t>>(subs[i], "tasks", w);
        for (std::size_t k : s.tasks)
            if (k >= m.tasks.size()) throw IoError(fmt::format("{}: task {} out of range (0..{})", w, k, m.tasks.size() - 1));
        s.job_id = field<std::string>(subs[i], "job_id", w);
        s.merge_job_id = field<std::string>(subs[i], "merge_job_id", w);
        m.submissions.push_back(std::move(s));
    }
    return m;
}

Manifest load_manifest(const fs::path& dir) {
    const fs::path p = manifest_path(dir);
    std::error_code ec;
    if (!fs::exists(p, ec))
        throw IoError(fmt::format("{}: expected a sweep folder holding sweep.json, found none", dir.string()));
    return Manifest::from_json(read_json(p), p.string());
}

void save_manifest(const fs::path& dir, const Manifest& m) { write_json_atomic(manifest_path(dir), m.to_json()); }

}  // namespace gt::experiments::sweep
