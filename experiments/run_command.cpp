#include "experiments/run_command.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/resource.h>

#include "experiments/datasets_glue.hpp"
#include "experiments/format.hpp"
#include "experiments/memory_budget.hpp"
#include "experiments/progress.hpp"
#include "platform/files.hpp"

namespace gt::experiments {

CpuBudget default_threads() {
    static const CpuBudget b = [] {
        CpuBudget c = cpu_budget();
        c.cpus = std::min(c.cpus, 256);
        return c;
    }();
    return b;
}


bool given(const CLI::Option* o) { return o != nullptr && o->count() > 0; }

/// What decided the thread count, for meta.json.
std::string threads_source(const Flags& f) { return given(f.o_threads) ? "--threads" : default_threads().source; }

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
}

std::vector<int> parse_seeds(const std::string& text) {
    const std::string bad = fmt::format(
        "--seeds '{}': expected comma-separated non-negative integers or a range like 0-4", text);
    std::vector<int> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t c = text.find(',', start);
        const std::string part = text.substr(start, c == std::string::npos ? std::string::npos : c - start);
        if (part.empty()) throw UsageError(bad);
        const std::size_t dash = part.find('-');
        try {
            std::size_t used = 0;
            if (dash != std::string::npos && dash > 0) {
                const int a = std::stoi(part.substr(0, dash), &used);
                if (used != dash) throw UsageError(bad);
                const std::string rest = part.substr(dash + 1);
                const int b = std::stoi(rest, &used);
                if (used != rest.size() || b < a || a < 0) throw UsageError(bad);
                if (long(b) - a + 1 + long(out.size()) > 1000)  // before expanding "0-2000000000"
                    throw UsageError(fmt::format("--seeds '{}': expected at most 1000 seeds, found more", text));
                for (int s = a; s <= b; ++s) out.push_back(s);
            } else {
                const int a = std::stoi(part, &used);
                if (used != part.size() || a < 0) throw UsageError(bad);
                out.push_back(a);
            }
        } catch (const std::logic_error&) {
            throw UsageError(bad);
        }
        if (c == std::string::npos) break;
        start = c + 1;
    }
    if (out.empty() || out.size() > 1000) throw UsageError(bad);
    return out;
}

namespace {

void require_key(const json& defaults, const std::string& key, const std::string& flag, const std::string& fig) {
    if (!defaults.contains(key)) {
        std::vector<std::string> keys;
        for (auto it = defaults.begin(); it != defaults.end(); ++it) keys.push_back(it.key());
        throw UsageError(fmt::format("{} does not use {} (its settings: {})", fig, flag, join(keys)));
    }
}

/// What is wrong with `v` as a value of a setting whose default is `d` ("" when nothing): the JSON type
/// must match (any number where the default is a real number; a whole number >= 0 where it is a
/// non-negative integer), element by element for arrays.
std::string type_problem(const json& d, const json& v) {
    if (d.is_number_integer()) {  // also unsigned
        if (!v.is_number_integer()) return "an integer";
        if (d.get<long long>() >= 0 && !v.is_number_unsigned() && v.get<long long>() < 0) return "an integer >= 0";
        return "";
    }
    if (d.is_number()) return v.is_number() ? "" : "a number";
    if (d.is_array()) {
        if (!v.is_array()) return "an array";
        if (d.empty()) return "";
        for (const auto& e : v) {
            const std::string p = type_problem(d.front(), e);
            if (p == "an integer") return "an array of integers";
            if (p == "an integer >= 0") return "an array of integers >= 0";
            if (p == "a number") return "an array of numbers";
            if (!p.empty()) return "an array whose elements are each " + p;
        }
        return "";
    }
    return d.type() == v.type() ? "" : std::string(d.type_name());
}

/// The valid range of every size-like setting of any figure (arrays: each element, and their count),
/// checked whatever the source. Keys a figure checks itself with its own message are not listed.
struct SettingRange {
    const char* key;
    double lo, hi;
    const char* valid;            // how the message states [lo, hi]
    std::size_t max_count = 0;    // arrays: 1 .. max_count elements (0: not an array)
    bool lo_open = false, hi_open = false;
};
const SettingRange kRanges[] = {
    {"epochs", 1, 100000, "an integer in [1, 100000]"},
    {"lr", 0, 1e4, "a number in (0, 1e4)", 0, true, true},
    {"momentum", 0, 1, "a number in [0, 1)", 0, false, true},
    {"batch_size", 1, 1000000, "an integer in [1, 1000000]"},
    {"seeds", 0, 1e9, "seeds in [0, 1000000000]", 1000},
    {"width", 1, 8192, "an integer in [1, 8192]"},
    {"widths", 1, 8192, "widths in [1, 8192]", 16},
    {"channels", 1, 1024, "an integer in [1, 1024]"},
    {"num_hidden", 1, 64, "an integer in [1, 64]"},
    {"train_subset", 0, 10000000, "an integer in [0, 10000000] (0: all)"},
    {"n", 1, 10000000, "an integer in [1, 10000000]"},
    {"modulus", 2, 1000, "an integer in [2, 1000]"},
    {"frames", 0, 100000, "frames in [0, 100000]", 100},
    {"steps", 1, 1000, "an integer in [1, 1000]"},
    {"tl_samples", 1, 10000000, "an integer in [1, 10000000]"},
    {"agop_samples", 1, 10000000, "an integer in [1, 10000000]"},
    {"smooth", 1, 100000, "an integer in [1, 100000]"},
    {"checkpoint_every", 1, 100000, "an integer in [1, 100000]"},
    {"layers", 1, 48, "an integer in [1, 48]"},
    {"d_model", 1, 4096, "an integer in [1, 4096]"},
    {"heads", 1, 64, "an integer in [1, 64]"},
    {"d_ff", 1, 16384, "an integer in [1, 16384]"},
    {"max_len", 2, 1024, "an integer in [2, 1024]"},
    {"max_vocab", 8, 1000000, "an integer in [8, 1000000]"},
    {"pretrain_epochs", 0, 1000, "an integer in [0, 1000]"},
    {"pretrain_batch_size", 1, 100000, "an integer in [1, 100000]"},
    {"pretrain_sequences", 0, 100000000, "an integer in [0, 100000000] (0: all)"},
    {"finetune_examples", 0, 100000000, "an integer in [0, 100000000] (0: all)"},
    {"tl_examples", 1, 10000000, "an integer in [1, 10000000]"},
    {"eval_examples", 1, 10000000, "an integer in [1, 10000000]"},
    {"pretrain_lr", 0, 1e4, "a number in (0, 1e4)", 0, true, true},
    {"betas", -1e300, 1e300, "", 32},
    {"ps", -1e300, 1e300, "", 32},
    {"weight_decays", -1e300, 1e300, "", 32},
};

bool in_range(const SettingRange& r, double x) {
    return (r.lo_open ? x > r.lo : x >= r.lo) && (r.hi_open ? x < r.hi : x <= r.hi);
}

/// Range checks of a setting, whatever its source (`where` names it: "--config 'f': 'lr'"); the type
/// has been checked already.
void check_common(const std::string& key, const json& v, const std::string& where) {
    for (const SettingRange& r : kRanges) {
        if (key != r.key) continue;
        if (r.max_count == 0) {
            if (!in_range(r, v.get<double>())) throw UsageError(fmt::format("{} = {}: expected {}", where, v.dump(), r.valid));
            return;
        }
        if (v.empty() || v.size() > r.max_count)  // the key is the plural noun: "expected 1 to 16 widths"
            throw UsageError(fmt::format("{} = {}: expected 1 to {} {}", where,
                                         v.size() <= 8 ? v.dump() : fmt::format("[{} elements]", v.size()), r.max_count, r.key));
        for (std::size_t i = 0; i < v.size(); ++i)
            if (v[i].is_number() && !in_range(r, v[i].get<double>()))
                throw UsageError(fmt::format("{}[{}] = {}: expected {}", where, i, v[i].dump(), r.valid));
        return;
    }
}

/// "width, batch_size, train_subset": the settings of this config that drive its memory, for a refusal's hint.
std::string size_keys(const json& cfg) {
    std::vector<std::string> keys;
    for (const char* k : {"width", "widths", "channels", "num_hidden", "batch_size", "n", "train_subset", "modulus",
                          "tl_samples", "agop_samples", "layers", "d_model", "d_ff", "max_len", "max_vocab"})
        if (cfg.contains(k)) keys.push_back(k);
    return keys.empty() ? "the sizes" : join(keys);
}

/// The effective config: preset defaults, then --config FILE, then explicit flags; then the figure's
/// own check. Every invalid setting is refused here, before any run folder exists.
}  // namespace

json effective_config(const Figure& fig, const Flags& f, const std::string& dataset) {
    const FigureInfo info = fig.info();
    json cfg = fig.defaults(f.preset, dataset);
    if (!f.config.empty()) {
        json file;
        try {
            file = f.config_object.is_null() ? read_json(f.config) : f.config_object;
        } catch (const IoError& e) {
            throw UsageError(std::string("--config: ") + e.what());
        }
        if (!file.is_object())
            throw UsageError(fmt::format("--config '{}': expected a JSON object, found {}", f.config, file.type_name()));
        for (auto it = file.begin(); it != file.end(); ++it) {
            // What runs is chosen on the command line only: one source, never two that could disagree.
            if (it.key() == "preset" || it.key() == "dataset")
                throw UsageError(fmt::format("--config '{}': '{}' = {} is not read from a config file; use --{} instead", f.config,
                                             it.key(), it.value().dump(), it.key()));
            if (it.key() == "figure") {
                if (it.value() != json(info.id))
                    throw UsageError(fmt::format("--config '{}': 'figure' = {}, but this command runs {}", f.config,
                                                 it.value().dump(), info.id));
                continue;
            }
            require_key(cfg, it.key(), "'" + it.key() + "' (in --config " + f.config + ")", info.id);
            const std::string problem = type_problem(cfg.at(it.key()), it.value());
            if (!problem.empty())
                throw UsageError(fmt::format("--config '{}': '{}' must be {} like {}, got {}", f.config, it.key(),
                                             problem, cfg.at(it.key()).dump(), it.value().dump()));
            check_common(it.key(), it.value(), fmt::format("--config '{}': '{}'", f.config, it.key()));
            cfg[it.key()] = it.value();
        }
    }
    if (given(f.o_seeds)) {
        require_key(cfg, "seeds", "--seeds", info.id);
        cfg["seeds"] = parse_seeds(f.seeds);
    }
    if (given(f.o_epochs)) {
        require_key(cfg, "epochs", "--epochs", info.id);
        if (f.epochs < 1 || f.epochs > 100000)
            throw UsageError(fmt::format("--epochs {}: expected an integer in [1, 100000]", f.epochs));
        cfg["epochs"] = f.epochs;
    }
    if (given(f.o_lr)) {
        require_key(cfg, "lr", "--lr", info.id);
        if (!(f.lr > 0 && f.lr < 1e4)) throw UsageError(fmt::format("--lr {}: expected a number in (0, 1e4)", f.lr));
        cfg["lr"] = f.lr;
    }
    if (given(f.o_momentum)) {
        require_key(cfg, "momentum", "--momentum", info.id);
        if (!(f.momentum >= 0 && f.momentum < 1))
            throw UsageError(fmt::format("--momentum {}: expected a number in [0, 1)", f.momentum));
        cfg["momentum"] = f.momentum;
    }
    if (given(f.o_batch)) {
        require_key(cfg, "batch_size", "--batch-size", info.id);
        if (f.batch_size < 1 || f.batch_size > 1000000)
            throw UsageError(fmt::format("--batch-size {}: expected an integer in [1, 1000000]", f.batch_size));
        cfg["batch_size"] = f.batch_size;
    }
    cfg["figure"] = info.id;
    cfg["preset"] = f.preset;
    cfg["dataset"] = dataset;
    if (given(f.o_dtype) || !cfg.contains("dtype")) cfg["dtype"] = f.dtype;  // a figure may default to double
    cfg["threads"] = f.threads;
    cfg["threads_source"] = threads_source(f);
    cfg["data_dir"] = f.data_dir;
    try {
        fig.check(cfg);
    } catch (const UsageError&) {
        throw;
    } catch (const std::exception& e) {  // a key of the wrong shape that the type check let through
        throw UsageError(fmt::format("{}: invalid setting ({})", info.id, e.what()));
    }
    require_memory(fig.memory_estimate(cfg), fmt::format("{}{} with these settings", info.id, dataset.empty() ? "" : " on " + dataset),
                   "lower " + size_keys(cfg));
    return cfg;
}

namespace {

std::string command_line(const Figure& fig, const Flags& f, const std::string& dataset) {
    std::string c = fmt::format("gramtape {} --preset {}", fig.info().id, f.preset);
    if (!dataset.empty()) c += " --dataset " + dataset;
    if (given(f.o_seeds)) c += " --seeds " + f.seeds;
    if (given(f.o_epochs)) c += fmt::format(" --epochs {}", f.epochs);
    if (given(f.o_lr)) c += fmt::format(" --lr {}", f.lr);
    if (given(f.o_momentum)) c += fmt::format(" --momentum {}", f.momentum);
    if (given(f.o_batch)) c += fmt::format(" --batch-size {}", f.batch_size);
    if (given(f.o_dtype)) c += " --dtype " + f.dtype;
    if (!f.config.empty()) c += " --config " + f.config;
    return c;
}

/// The datasets this invocation runs (one run folder each); "" for synthetic-data figures.
}  // namespace

std::vector<std::string> datasets_to_run(const Figure& fig, const Flags& f, std::vector<std::string>* skipped) {
    const FigureInfo info = fig.info();
    if (info.datasets.empty()) {
        if (given(f.o_dataset) && !f.dataset.empty())
            throw UsageError(fmt::format("{} uses synthetic data: --dataset is not accepted", info.id));
        return {""};
    }
    std::vector<std::string> want;
    if (given(f.o_dataset)) {
        std::size_t start = 0;
        for (;;) {
            const std::size_t c = f.dataset.find(',', start);
            want.push_back(f.dataset.substr(start, c == std::string::npos ? std::string::npos : c - start));
            if (c == std::string::npos) break;
            start = c + 1;
        }
        for (const auto& d : want) {
            if (std::find(info.datasets.begin(), info.datasets.end(), d) == info.datasets.end())
                throw UsageError(fmt::format("--dataset '{}': not a dataset of {} (valid: {})", d, info.id,
                                             join(info.datasets)));
            if (!dataset_available(d, f.data_dir))
                throw UsageError(fmt::format("--dataset '{}': its files are not under '{}' (available here: {})", d,
                                             f.data_dir, join(available_datasets(f.data_dir))));
        }
        return want;
    }
    std::vector<std::string> out;
    const auto it = info.preset_datasets.find(f.preset);
    for (const auto& d : it == info.preset_datasets.end() ? info.datasets : it->second) {
        if (dataset_available(d, f.data_dir)) out.push_back(d);
        else if (skipped) skipped->push_back(d);
    }
    if (out.empty())
        throw UsageError(fmt::format("{}: none of its datasets ({}) is under --data-dir '{}'", info.id,
                                     join(info.datasets), f.data_dir));
    return out;
}

/// CPU seconds of this process so far, all threads (user + system). On a busy machine wall time says
/// little; CPU time is what an idle machine would need at one thread.
double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

namespace {

void print_summary(const Summary& s, const fs::path& folder) {
    std::printf("%s%s: %s  (%.0f s wall, %.0f s CPU)\n", s.figure.c_str(), s.dataset.empty() ? "" : (" " + s.dataset).c_str(),
                folder.string().c_str(), s.seconds, s.cpu_seconds);
    for (const auto& r : s.rows)
        std::printf("  %-44s ours %-12s paper %s\n", r.quantity.c_str(), r.ours.c_str(), r.paper.c_str());
    for (const auto& c : s.claims)
        std::printf("  [%s] %s — %s\n", c.pass ? "PASS" : "FAIL", c.claim.c_str(), c.detail.c_str());
    for (const auto& p : s.plot_failures) std::printf("  [PLOT FAILED] %s\n", p.c_str());
    std::fflush(stdout);
}

/// Runs one figure on one dataset into its run folder. Returns the folder.
}  // namespace

fs::path run_one(const Figure& fig, const Flags& f, const std::string& dataset) {
    const FigureInfo info = fig.info();
    const json cfg = effective_config(fig, f, dataset);
    const std::string name = info.id + "-" + f.preset + (dataset.empty() ? "" : "-" + dataset);
    const bool root_existed = fs::exists(f.out);
    const bool folder_existed = fs::exists(fs::path(f.out) / name);
    RunFolder folder = RunFolder::open(f.out, name, cfg);
    if (folder.complete()) {
        std::printf("%s: already complete in %s (delete the folder to rerun)\n", info.id.c_str(),
                    folder.path().string().c_str());
        return folder.path();
    }
    MetricsLog metrics(folder.file("metrics.csv"), info.id);
    if (folder.resumed() && fs::exists(metrics.path())) {
        metrics.load();
        std::fprintf(stderr, "%s: resuming in %s\n", info.id.c_str(), folder.path().string().c_str());
    }
    RunContext ctx;
    ctx.config = cfg;
    ctx.folder = &folder;
    ctx.metrics = &metrics;
    ctx.command = command_line(fig, f, dataset);
    ctx.figure = info.id;
    const std::string start = utc_now();
    folder.write_meta(cfg, start, "", folder.total_seconds(), ctx.command);
    Summary s;
    const double cpu0 = process_cpu_seconds();
    try {
        s = fig.run(ctx);
    } catch (const std::exception&) {
        // A setting the figure rejects only once it runs (a subset larger than the data, a zero width),
        // or any failure before the first finished epoch: the folder this call created holds nothing to
        // resume (no progress.json yet), so it goes, and with it an --out root made for it.
        if (!folder_existed && !fs::exists(folder.file("progress.json"))) {
            std::error_code ec;
            fs::remove_all(folder.path(), ec);
            if (!root_existed && fs::is_empty(f.out, ec)) fs::remove(f.out, ec);
        }
        throw;
    }
    const double secs = folder.total_seconds();
    s.figure = info.id;
    s.title = info.title;
    s.preset = f.preset;
    s.dataset = dataset;
    s.command = ctx.command;
    s.seconds = secs;
    s.cpu_seconds = process_cpu_seconds() - cpu0;  // this invocation only (a resumed run counts its last part)
    s.plot_failures = ctx.plot_failures;  // a plot gnuplot could not draw; the data are complete
    metrics.flush();
    write_json_atomic(folder.file("summary.json"), s.to_json());
    folder.write_meta(cfg, start, utc_now(), secs, ctx.command);
    folder.mark_complete();
    print_summary(s, folder.path());
    return folder.path();
}

void add_run_flags(CLI::App* app, Flags& f, const Figure* fig) {
    if (fig) {
        auto show = [&](const std::string& key) {
            std::string s;
            for (const auto& p : presets()) {
                const json d = fig->defaults(p, "");
                if (d.contains(key)) s += (s.empty() ? "" : ", ") + p + " " + d.at(key).dump();
            }
            return s.empty() ? std::string("not used by this figure") : "defaults: " + s;
        };
        const FigureInfo info = fig->info();
        std::string ds = info.datasets.empty() ? "synthetic data, not accepted" : "one or more of " + join(info.datasets, "|");
        if (!info.datasets.empty()) {
            ds += "; defaults:";
            for (const auto& [p, v] : info.preset_datasets) ds += " " + p + " " + join(v, ",");
            ds += " (those whose files exist)";
        }
        f.o_dataset = app->add_option("--dataset", f.dataset, ds);
        f.o_seeds = app->add_option("--seeds", f.seeds, "seeds, e.g. 0,1,2 or 0-4; " + show("seeds"));
        f.o_epochs = app->add_option("--epochs", f.epochs, "training epochs (steps for fig1); " + show("epochs"));
        f.o_lr = app->add_option("--lr", f.lr, "learning rate; " + show("lr"));
        f.o_momentum = app->add_option("--momentum", f.momentum, "SGD momentum; " + show("momentum"));
        f.o_batch = app->add_option("--batch-size", f.batch_size, "mini-batch size; " + show("batch_size"));
        // A figure may default to double (fig13/14, as the paper's float64 code): show its real default.
        std::string dtype_default = "float";
        const std::string dtype_show = show("dtype");
        if (fig->defaults("paper", "").contains("dtype")) dtype_default = fig->defaults("paper", "").at("dtype").get<std::string>();
        f.o_dtype = app->add_option("--dtype", f.dtype,
                                    "float or double; " + (dtype_show.rfind("defaults", 0) == 0 ? dtype_show : "default \"float\" for every preset"))
                        ->check(CLI::IsMember({"float", "double"}))
                        ->default_str(dtype_default);
        app->add_option("--config", f.config,
                        "JSON file overriding preset settings (keys as in the run's config.json); flags win");
    }
    app->add_option("--preset", f.preset, "smoke (seconds), quick (minutes) or paper (the paper's settings)")
        ->check(CLI::IsMember(presets()))
        ->capture_default_str();
    f.o_threads = app->add_option("--threads", f.threads,
                                  "threads: gramtape's own pool (GEMM blocks, the convolution's batch split; OpenBLAS itself runs on one thread) (default: the CPUs this "
                                  "process may use, " + default_threads().source + ")")
                      ->check(CLI::Range(1, 256))
                      ->capture_default_str();
    app->add_option("--out", f.out, "root folder of the run folders")->capture_default_str();
    app->add_option("--data-dir", f.data_dir, "folder holding mnist/, fashion-mnist/, ...")->capture_default_str();
}

void check_setting(const json& defaults, const std::string& key, const json& value, const std::string& where,
                   const std::string& figure) {
    require_key(defaults, key, where, figure);
    const std::string problem = type_problem(defaults.at(key), value);
    if (!problem.empty())
        throw UsageError(fmt::format("{} must be {} like {}, got {}", where, problem, defaults.at(key).dump(), value.dump()));
    check_common(key, value, where);
}

}  // namespace gt::experiments
