#include "experiments/sweep/plan.hpp"

#include <algorithm>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "experiments/datasets_glue.hpp"
#include "platform/files.hpp"

namespace gt::experiments::sweep {

namespace {

constexpr std::size_t kMaxTasks = 100000;

std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

/// Splits at the commas outside brackets, braces and double quotes.
std::vector<std::string> split_top_level(const std::string& s) {
    std::vector<std::string> parts;
    std::string cur;
    int depth = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quoted) {
            if (c == '\\' && i + 1 < s.size()) cur += s[i++];
            else if (c == '"') quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '[' || c == '{') {
            ++depth;
        } else if (c == ']' || c == '}') {
            --depth;
        } else if (c == ',' && depth == 0) {
            parts.push_back(cur);
            cur.clear();
            continue;
        }
        cur += c;
    }
    parts.push_back(cur);
    return parts;
}

/// A value as it appears in a task name: letters, digits and . _ + - only.
std::string name_part(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+') ? c : '_';
    return out.substr(0, 40);
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

/// The datasets one figure runs in this sweep, checked: the grid's "dataset" axis, else --dataset,
/// else the preset's defaults that are present.
std::vector<std::string> figure_datasets(const Figure& fig, const Request& r, const GridAxis* axis) {
    const FigureInfo info = fig.info();
    std::vector<std::string> want;
    if (axis) {
        for (const json& v : axis->values) {
            if (!v.is_string()) throw UsageError(fmt::format("--grid 'dataset={}': expected a dataset name", v.dump()));
            want.push_back(v.get<std::string>());
        }
    } else if (given(r.flags.o_dataset)) {
        for (const auto& p : split_top_level(r.flags.dataset)) want.push_back(trim(p));
    } else {
        std::vector<std::string> skipped;
        auto out = datasets_to_run(fig, r.flags, &skipped);
        for (const auto& d : skipped)
            std::fprintf(stderr, "%s: skipping %s (its files are not under '%s')\n", info.id.c_str(), d.c_str(),
                         r.flags.data_dir.c_str());
        return out;
    }
    if (info.datasets.empty())
        throw UsageError(fmt::format("{} uses synthetic data: a dataset cannot be chosen", info.id));
    for (const auto& d : want) {
        if (std::find(info.datasets.begin(), info.datasets.end(), d) == info.datasets.end())
            throw UsageError(fmt::format("dataset '{}': not a dataset of {} (valid: {})", d, info.id, join(info.datasets)));
        const std::string why = unsupported_dataset(d, r.flags.data_dir);
        if (!why.empty()) throw UsageError("dataset " + why);
        if (!dataset_available(d, r.flags.data_dir))
            throw UsageError(fmt::format("dataset '{}': its files are not under '{}' (available here: {})", d,
                                         r.flags.data_dir, join(available_datasets(r.flags.data_dir))));
    }
    return want;
}

/// The settings every task shares: the --config file, then the numeric flags.
json shared_config(const Request& r) {
    const Flags& f = r.flags;
    json base = json::object();
    if (!f.config.empty()) {
        try {
            base = read_json(f.config);
        } catch (const IoError& e) {
            throw UsageError(std::string("--config: ") + e.what());
        }
        if (!base.is_object())
            throw UsageError(fmt::format("--config '{}': expected a JSON object, found {}", f.config, base.type_name()));
        base.erase("figure");
    }
    if (given(f.o_epochs)) base["epochs"] = f.epochs;
    if (given(f.o_lr)) base["lr"] = f.lr;
    if (given(f.o_momentum)) base["momentum"] = f.momentum;
    if (given(f.o_batch)) base["batch_size"] = f.batch_size;
    return base;
}

}  // namespace

GridAxis parse_grid(const std::string& text) {
    const std::string usage = fmt::format("--grid '{}': expected KEY=V1,V2,... such as lr=0.01,0.05 or widths=[64,64],[128,128]", text);
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError(usage);
    GridAxis a;
    a.key = trim(text.substr(0, eq));
    for (char c : a.key)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
            throw UsageError(fmt::format("--grid '{}': '{}' is not a setting name (lower-case letters, digits, _)", text, a.key));
    if (a.key == "seed" || a.key == "seeds")
        throw UsageError(fmt::format("--grid '{}': seeds are swept with --seeds (e.g. --seeds 0-4), one task per seed", text));
    if (a.key == "preset" || a.key == "figure" || a.key == "dtype" || a.key == "threads" || a.key == "data_dir")
        throw UsageError(fmt::format("--grid '{}': '{}' is not swept; run one sweep per {}", text, a.key, a.key));
    const auto parts = split_top_level(text.substr(eq + 1));
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string p = trim(parts[i]);
        if (p.empty()) throw UsageError(fmt::format("--grid '{}': value {} is empty", text, i + 1));
        json v = json::parse(p, nullptr, false);
        if (v.is_discarded()) {
            if (p.find_first_of("[]{}\"") != std::string::npos)
                throw UsageError(fmt::format("--grid '{}': value '{}' is neither JSON nor a plain word", text, p));
            v = p;  // a plain word: a string
        }
        if (std::find(a.values.begin(), a.values.end(), v) != a.values.end())
            throw UsageError(fmt::format("--grid '{}': value {} is given twice", text, v.dump()));
        a.values.push_back(std::move(v));
    }
    if (a.values.size() > 1000) throw UsageError(fmt::format("--grid '{}': expected at most 1000 values", a.key));
    return a;
}

Manifest plan(const Request& r) {
    if (r.figures.empty()) throw UsageError("a sweep needs a figure");
    const Flags& f = r.flags;
    Manifest m;
    m.command = r.command;
    m.preset = f.preset;
    m.data_dir = fs::absolute(f.data_dir).lexically_normal().string();
    const json base = shared_config(r);
    const std::string dtype = given(f.o_dtype) ? f.dtype : "";

    const GridAxis* dataset_axis = nullptr;
    std::vector<const GridAxis*> axes;  // the grid without the dataset axis, in the order given
    for (std::size_t i = 0; i < r.grid.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j)
            if (r.grid[j].key == r.grid[i].key) throw UsageError(fmt::format("--grid {} is given twice", r.grid[i].key));
        if (r.grid[i].key == "dataset") {
            if (given(f.o_dataset)) throw UsageError("--dataset and --grid dataset=... both choose the datasets; give one");
            dataset_axis = &r.grid[i];
        } else {
            const std::string& k = r.grid[i].key;
            if ((k == "epochs" && given(f.o_epochs)) || (k == "lr" && given(f.o_lr)) ||
                (k == "momentum" && given(f.o_momentum)) || (k == "batch_size" && given(f.o_batch)))
                throw UsageError(fmt::format("--grid {} and the flag for '{}' both set it; give one", k, k));
            axes.push_back(&r.grid[i]);
        }
    }
    std::size_t points = 1;
    for (const GridAxis* a : axes) {
        points *= a->values.size();
        if (points > kMaxTasks) throw UsageError(fmt::format("the grid has more than {} points", kMaxTasks));
    }
    const std::size_t per_point = r.seeds.empty() ? 1 : r.seeds.size();

    json request = {{"figures", json::array()}, {"shared", base}, {"dtype", dtype}, {"seeds", r.seeds}};
    if (!r.main_report_runs.empty())
        request["main_report"] = {{"runs", fs::absolute(r.main_report_runs).lexically_normal().string()},
                                  {"report_dir", fs::absolute(r.main_report_dir).lexically_normal().string()}};
    request["grid"] = json::array();
    for (const GridAxis& a : r.grid) request["grid"].push_back({{"key", a.key}, {"values", a.values}});

    // The tasks, figure by figure, dataset by dataset, grid point by grid point (the last axis fastest),
    // seed by seed.
    std::vector<Task> tasks;
    for (const Figure* fig : r.figures) {
        const FigureInfo info = fig->info();
        request["figures"].push_back(info.id);
        const auto datasets = figure_datasets(*fig, r, dataset_axis);
        for (const std::string& ds : datasets) {
            const json defaults = fig->defaults(f.preset, ds);
            for (const auto& [key, flag] : {std::pair<std::string, std::string>{"epochs", "--epochs"},
                                            {"lr", "--lr"}, {"momentum", "--momentum"}, {"batch_size", "--batch-size"}})
                if (base.contains(key)) check_setting(defaults, key, base.at(key), flag, info.id);
            if (!r.seeds.empty() && !defaults.contains("seeds"))
                throw UsageError(fmt::format("--seeds: {} has no seeds setting (its settings are fixed per run)", info.id));
            for (const GridAxis* a : axes)
                for (const json& v : a->values)
                    check_setting(defaults, a->key, v, fmt::format("--grid '{}={}'", a->key, value_text(v)), info.id);
            if (tasks.size() + points * per_point > kMaxTasks)
                throw UsageError(fmt::format("the sweep has more than {} tasks", kMaxTasks));
            for (std::size_t p = 0; p < points; ++p) {
                json setting = json::object();
                std::size_t rest = p;
                for (std::size_t k = axes.size(); k-- > 0;) {
                    setting[axes[k]->key] = axes[k]->values[rest % axes[k]->values.size()];
                    rest /= axes[k]->values.size();
                }
                for (std::size_t s = 0; s < per_point; ++s) {
                    Task t;
                    t.figure = info.id;
                    t.dataset = ds;
                    t.setting = setting;
                    t.seed = r.seeds.empty() ? -1 : r.seeds[s];
                    t.dtype = dtype;
                    t.config = base;
                    for (auto it = setting.begin(); it != setting.end(); ++it) t.config[it.key()] = it.value();
                    if (t.seed >= 0) t.config["seeds"] = json::array({t.seed});
                    tasks.push_back(std::move(t));
                }
            }
        }
    }
    const int digits = std::max<int>(3, int(std::to_string(tasks.size() - 1).size()));
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        Task& t = tasks[i];
        t.index = i;
        t.name = fmt::format("t{:0{}}", i, digits);
        if (r.command == "reproduce" || r.figures.size() > 1) t.name += "-" + t.figure;
        if (!t.dataset.empty()) t.name += "-" + name_part(t.dataset);
        for (const GridAxis* a : axes)
            t.name += "-" + name_part(a->key) + name_part(value_text(t.setting.at(a->key)));
        if (t.seed >= 0) t.name += fmt::format("-seed{}", t.seed);
    }
    // Every task's effective config, checked as its run will check it (figure rules, memory).
    for (const Task& t : tasks) {
        Flags g = f;
        g.o_seeds = g.o_epochs = g.o_lr = g.o_momentum = g.o_batch = g.o_dataset = nullptr;
        g.config = "sweep task " + t.name;
        g.config_object = t.config;
        try {
            (void)effective_config(*find_figure(t.figure), g, t.dataset);
        } catch (const UsageError& e) {
            throw UsageError(fmt::format("sweep task {} ({}): {}", t.name, t.setting_label(), e.what()));
        }
    }
    m.tasks = std::move(tasks);
    m.request = std::move(request);
    return m;
}

std::string first_task_difference(const Manifest& a, const Manifest& b) {
    if (a.preset != b.preset) return fmt::format("preset {} vs {}", a.preset, b.preset);
    if (a.data_dir != b.data_dir) return fmt::format("data folder {} vs {}", a.data_dir, b.data_dir);
    if (a.tasks.size() != b.tasks.size()) return fmt::format("{} tasks vs {}", a.tasks.size(), b.tasks.size());
    for (std::size_t i = 0; i < a.tasks.size(); ++i) {
        const Task &x = a.tasks[i], &y = b.tasks[i];
        if (x.name != y.name) return fmt::format("task {} is {} vs {}", i, x.name, y.name);
        if (x.figure != y.figure || x.dataset != y.dataset || x.dtype != y.dtype || x.config != y.config)
            return fmt::format("task {}: settings {} vs {}", x.name, x.config.dump(), y.config.dump());
    }
    return "";
}

}  // namespace gt::experiments::sweep
