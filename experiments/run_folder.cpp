#include "experiments/run_folder.hpp"

#include <vector>
#include <algorithm>
#include <cstdio>

#include <CLI/Version.hpp>
#include <boost/version.hpp>
#include <fmt/format.h>
#include <xtensor-blas/xblas_config.hpp>
#include <xtensor/xtensor_config.hpp>

#include "autodiff/gemm.hpp"
#include "experiments/figure.hpp"
#include "platform/files.hpp"
#include "experiments/run_lock.hpp"
#include "platform/subprocess.hpp"

#ifndef GT_SOURCE_DIR
#define GT_SOURCE_DIR "."
#endif

extern "C" char* openblas_get_config(void);

namespace gt::experiments {

const std::vector<std::string>& RunFolder::volatile_keys() {
    static const std::vector<std::string> k{"threads", "threads_source", "data_dir"};
    return k;
}

std::string first_config_difference(const json& a, const json& b) {
    const auto& vol = RunFolder::volatile_keys();
    auto skip = [&](const std::string& k) { return std::find(vol.begin(), vol.end(), k) != vol.end(); };
    for (auto it = a.begin(); it != a.end(); ++it) {
        if (skip(it.key())) continue;
        if (!b.contains(it.key()) || b.at(it.key()) != it.value()) return it.key();
    }
    for (auto it = b.begin(); it != b.end(); ++it)
        if (!skip(it.key()) && !a.contains(it.key())) return it.key();
    return "";
}

namespace {
/// A session killed while writing leaves its temporaries (".name.tmp.<pid>.<n>" of the atomic writes,
/// "<checkpoint>.tmp"); nothing reads them, and the resuming session removes them so the folder holds
/// finished files only.
void remove_stale_temporaries(const fs::path& folder) {
    std::error_code ec;
    std::vector<fs::path> stale;
    for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const std::string name = it->path().filename().string();
        const bool atomic_tmp = name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos;
        const bool checkpoint_tmp = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
        if (atomic_tmp || checkpoint_tmp) stale.push_back(it->path());
    }
    for (const auto& p : stale) fs::remove(p, ec);
}
}  // namespace

RunFolder RunFolder::open(const fs::path& root, const std::string& name, const json& config,
                          const std::string& flag) {
    RunFolder f;
    f.path_ = root / name;
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec || !fs::is_directory(root))
        throw UsageError(fmt::format("{} '{}': cannot create the folder ({})", flag, root.string(),
                                     ec ? ec.message() : "a file is in the way"));
    if (fs::exists(f.path_)) {
        const fs::path cfg = f.path_ / "config.json";
        if (!fs::exists(cfg) && fs::exists(f.path_ / ".lock"))
            f.lock_ = RunLock::acquire(f.path_);  // another gramtape may be creating it: refused with its pid
        if (!fs::exists(cfg))
            throw UsageError(fmt::format("run folder '{}' exists but has no config.json: not a gramtape run; "
                                         "choose another {} or remove it",
                                         f.path_.string(), flag));
        const json old = read_json(cfg);
        const std::string diff = first_config_difference(config, old);
        if (!diff.empty())
            throw UsageError(fmt::format(
                "run folder '{}' already holds a run with another config ({}: {} there, {} now); "
                "use another {} or delete the folder to start over",
                f.path_.string(), diff, old.contains(diff) ? old.at(diff).dump() : "absent",
                config.contains(diff) ? config.at(diff).dump() : "absent", flag));
        if (!f.lock_) f.lock_ = RunLock::acquire(f.path_);  // after the config check: a changed config is refused first
        f.resumed_ = true;
        if (f.lock_->stale_pid())
            std::fprintf(stderr, "gramtape: run folder '%s': process %ld stopped while writing it; taking over\n",
                         f.path_.string().c_str(), f.lock_->stale_pid());
        remove_stale_temporaries(f.path_);
        if (fs::exists(f.path_ / "progress.json")) {
            f.progress_ = read_json(f.path_ / "progress.json");
            check_progress_record(f.progress_, f.path_ / "progress.json");
        }
        f.base_seconds_ = f.progress_.value("seconds", 0.0);
    } else {
        fs::create_directories(f.path_, ec);
        if (ec)
            throw UsageError(fmt::format("{} '{}': cannot create the run folder '{}' ({})", flag, root.string(),
                                         f.path_.string(), ec.message()));
        f.lock_ = RunLock::acquire(f.path_);
        if (fs::exists(f.path_ / "config.json"))  // another process created it between our two looks
            throw UsageError(fmt::format("run folder '{}' was created by another process just now; run the command "
                                         "again to resume it",
                                         f.path_.string()));
    }
    // Probe writability now, before any training, so a read-only folder fails fast.
    try {
        write_json_atomic(f.path_ / "config.json", config);
    } catch (const IoError& e) {
        throw UsageError(fmt::format("{} '{}': folder is not writable ({})", flag, root.string(), e.what()));
    }
    return f;
}

void check_progress_record(const json& p, const fs::path& file) {
    auto bad = [&](const std::string& key, const std::string& want, const json& found) {
        throw IoError(fmt::format("{}: '{}' must be {}, found {}; delete the run folder to start the run over",
                                  file.string(), key, want, found.dump().substr(0, 80)));
    };
    if (!p.is_object()) bad("(the file)", "a JSON object", p);
    if (p.contains("seconds") && !(p.at("seconds").is_number() && p.at("seconds").get<double>() >= 0))
        bad("seconds", "a number >= 0", p.at("seconds"));
    if (p.contains("complete") && !p.at("complete").is_boolean()) bad("complete", "true or false", p.at("complete"));
    if (p.contains("runs")) {
        const json& runs = p.at("runs");
        if (!runs.is_object()) bad("runs", "an object of runs", runs);
        for (auto it = runs.begin(); it != runs.end(); ++it) {
            const std::string k = "runs." + it.key();
            if (!it->is_object()) bad(k, "an object like {\"epoch\": 3}", *it);
            if (!it->contains("epoch") || !it->at("epoch").is_number_unsigned()) bad(k + ".epoch", "a whole number >= 0", it->value("epoch", json()));
        }
    }
    if (p.contains("data")) {
        const json& d = p.at("data");
        if (!d.is_object()) bad("data", "an object of fingerprints", d);
        for (auto it = d.begin(); it != d.end(); ++it)
            if (!it->is_string()) bad("data." + it.key(), "a fingerprint string", *it);
    }
}

void RunFolder::check_data_fingerprint(const std::string& key, const std::string& fingerprint,
                                       const std::string& data_dir) {
    const json recorded = progress_.value("data", json::object()).value(key, json());
    if (recorded.is_null()) {  // recorded with the first finished epoch's progress
        progress_["data"][key] = fingerprint;
        return;
    }
    if (recorded.get<std::string>() != fingerprint)
        throw IoError(fmt::format(
            "data '{}' under --data-dir '{}' is not the data this run began with (SHA-256 {}… now, {}… recorded in "
            "{}): resuming would mix two datasets; point --data-dir at the original files, or delete the run "
            "folder to start over",
            key, data_dir, fingerprint.substr(0, 12), recorded.get<std::string>().substr(0, 12),
            (path_ / "progress.json").string()));
}

fs::path RunFolder::checkpoint_dir() const {
    const fs::path p = path_ / "checkpoints";
    fs::create_directories(p);
    return p;
}

bool RunFolder::complete() const {
    return progress_.value("complete", false) && fs::exists(path_ / "summary.json");
}

double RunFolder::total_seconds() const {
    return base_seconds_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start_).count();
}

void RunFolder::save_progress(const json& p) {
    progress_ = p;
    progress_["seconds"] = total_seconds();
    write_json_atomic(path_ / "progress.json", progress_);
}

void RunFolder::mark_complete() {
    progress_["complete"] = true;
    progress_["seconds"] = total_seconds();
    write_json_atomic(path_ / "progress.json", progress_);
}

std::string git_commit() {
    try {
        const RunResult r = run_program({"git", "-C", GT_SOURCE_DIR, "rev-parse", "HEAD"});
        const std::string out = r.output.substr(0, r.output.find('\n'));
        const bool hex = out.size() == 40 && out.find_first_not_of("0123456789abcdef") == std::string::npos;
        return r.status == 0 && hex ? out : "unknown";
    } catch (const SpawnError&) {  // no git on PATH
        return "unknown";
    }
}

json build_versions() {
    json v;
    v["compiler"] = std::string("gcc ") + __VERSION__;
    v["cxx_standard"] = static_cast<long>(__cplusplus);
    v["xtensor"] = fmt::format("{}.{}.{}", XTENSOR_VERSION_MAJOR, XTENSOR_VERSION_MINOR, XTENSOR_VERSION_PATCH);
    v["xtensor-blas"] =
        fmt::format("{}.{}.{}", XTENSOR_BLAS_VERSION_MAJOR, XTENSOR_BLAS_VERSION_MINOR, XTENSOR_BLAS_VERSION_PATCH);
    v["fmt"] = FMT_VERSION;
    v["nlohmann-json"] = fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                                     NLOHMANN_JSON_VERSION_PATCH);
    v["CLI11"] = CLI11_VERSION;
    v["boost"] = BOOST_LIB_VERSION;
    const char* ob = openblas_get_config();
    v["openblas"] = ob ? std::string(ob) : "unknown";
    return v;
}

void RunFolder::write_meta(const json& config, const std::string& start, const std::string& end, double seconds,
                           const std::string& command) const {
    json m;
    m["command"] = command;
    m["git_commit"] = git_commit();
    m["versions"] = build_versions();
    m["seeds"] = config.value("seeds", json::array());
    m["dtype"] = config.value("dtype", std::string("float"));
    m["threads"] = gt::num_threads();
    m["threads_source"] = config.value("threads_source", std::string("--threads"));
    m["start"] = start;
    m["end"] = end;
    m["seconds"] = seconds;
    if (fs::exists(path_ / "meta.json")) {
        // A resumed run keeps the history of its earlier sessions.
        const json old = read_json(path_ / "meta.json");
        json sessions = old.value("sessions", json::array());
        if (old.value("start", std::string()) != start)
            sessions.push_back({{"start", old.value("start", "")}, {"end", old.value("end", "")},
                                {"seconds", old.value("seconds", 0.0)}});
        m["sessions"] = sessions;
    }
    write_json_atomic(path_ / "meta.json", m);
}

}  // namespace gt::experiments
