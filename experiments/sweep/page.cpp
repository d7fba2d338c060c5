#include "experiments/sweep/page.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "experiments/format.hpp"
#include "experiments/sweep/plots.hpp"
#include "platform/files.hpp"

namespace gt::experiments::sweep {

namespace {

// ---- text --------------------------------------------------------------------------------------------

std::string percent_encode(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
        if (is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') o += static_cast<char>(c);
        else o += fmt::format("%{:02X}", c);
    }
    return o;
}

/// A relative href from report/ into the sweep folder: "../tasks/<name>/<folder>/summary.json".
std::string href(const std::vector<std::string>& parts, bool folder = false) {
    std::string o = "..";
    for (const auto& p : parts) o += "/" + percent_encode(p);
    return folder ? o + "/" : o;
}

/// Markdown text: no table breaks, no raw HTML.
std::string md(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '|': o += "\\|"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '&': o += "&amp;"; break;
            case '\n': case '\r': o += ' '; break;
            default: o += c;
        }
    }
    return o;
}

std::string json_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace); }

/// Appends `item` to a list, `sep` before it unless the list is still empty.
void add_item(std::string& list, const char* sep, const std::string& item) { list += (list.empty() ? "" : sep) + item; }

std::string seed_name(long seed, const char* preset) { return seed < 0 ? std::string(preset) : std::to_string(seed); }

/// The page as HTML and as Markdown, written side by side.
struct Page {
    std::string h, m;
    void both(const std::string& html, const std::string& mdtext) {
        h += html;
        m += mdtext;
    }
};

// ---- the cells of a summary row ------------------------------------------------------------------------

/// The row's pattern with each number replaced by `slot(k)`: "0.97 ± 0.01 / 0.95 ± 0.02".
template <class F>
std::string fill_pattern(const RowAcc& a, F slot) {
    std::string cell;
    std::size_t k = 0, at = 0;
    while (at < a.pattern.size()) {
        const std::size_t ph = a.pattern.find('\x01', at);
        cell += a.pattern.substr(at, ph == std::string::npos ? std::string::npos : ph - at);
        if (ph == std::string::npos) break;
        cell += slot(k++);
        at = ph + 1;
    }
    return cell;
}

std::string setting_value_cell(const RowAcc& a) {
    if (a.pattern_agrees && !a.slots.empty()) {
        // Every seed wrote the same text around its numbers: each number as mean ± std, the text kept
        // ("0.97 ± 0.01 / 0.95 ± 0.02", "L0 9.9e-08 ± 1e-08, L1 ...").
        return fill_pattern(a, [&](std::size_t k) {
                   const Stats ss = stats_of(a.slots[k]);
                   return ss.n > 0 && ss.min == ss.max ? a.first_tokens[k] : pm(ss);
               }) +
               fmt::format(" (n={})", a.leading.size());
    }
    const Stats st = stats_of(numeric_leading(a));
    std::string cell;
    if (st.n > 0) {
        const std::string* rest = common_rest(a);
        cell = pm(st) + (rest && rest->size() <= 3 ? *rest : std::string()) + fmt::format(" (n={})", st.n);
    }
    if (!a.texts.empty()) {
        std::map<std::string, std::size_t> counts;
        for (const auto& t : a.texts) ++counts[t];
        std::string o;
        for (const auto& [t, c] : counts) add_item(o, ", ", fmt::format("{} ×{}", t, c));
        cell = st.n > 0 ? cell + "; also " + o : o;
    }
    return cell;
}

std::string range_cell(const RowAcc& a) {
    const auto range = [](const Stats& st) {
        return st.n == 0 ? std::string("nan") : st.min == st.max ? fmt_num(st.min) : fmt_num(st.min) + " – " + fmt_num(st.max);
    };
    if (a.pattern_agrees && !a.slots.empty())
        return fill_pattern(a, [&](std::size_t k) { return range(stats_of(a.slots[k])); });
    const Stats st = stats_of(numeric_leading(a));
    return st.n ? range(st) : "—";
}

// ---- what the sweep spans --------------------------------------------------------------------------------

/// The figures in first appearance among all tasks.
std::vector<std::string> figures_of(const Manifest& m) {
    std::vector<std::string> figs;
    for (const Task& t : m.tasks)
        if (std::find(figs.begin(), figs.end(), t.figure) == figs.end()) figs.push_back(t.figure);
    return figs;
}

/// The grid as the tasks span it: every key with its values in first-appearance order, the datasets
/// first ("dataset = mnist; lr = 0.01, 0.05"), or "(no grid)".
std::string grid_text(const Manifest& m) {
    std::vector<std::pair<std::string, std::vector<std::string>>> grid;
    std::vector<std::string> datasets;
    for (const Task& t : m.tasks) {
        for (auto it = t.setting.begin(); it != t.setting.end(); ++it) {
            auto g = std::find_if(grid.begin(), grid.end(), [&](const auto& e) { return e.first == it.key(); });
            if (g == grid.end()) {
                grid.push_back({it.key(), {}});
                g = grid.end() - 1;
            }
            const std::string v = json_text(*it);
            if (std::find(g->second.begin(), g->second.end(), v) == g->second.end()) g->second.push_back(v);
        }
        if (!t.dataset.empty() && std::find(datasets.begin(), datasets.end(), t.dataset) == datasets.end())
            datasets.push_back(t.dataset);
    }
    std::string text;
    for (const auto& [k, vs] : grid) {
        std::string v;
        for (const auto& x : vs) add_item(v, ", ", x);
        add_item(text, "; ", k + " = " + v);
    }
    if (!datasets.empty()) {
        std::string v;
        for (const auto& x : datasets) add_item(v, ", ", x);
        text = "dataset = " + v + (text.empty() ? "" : "; " + text);
    }
    return text.empty() ? "(no grid)" : text;
}

/// The seeds in first appearance among all tasks ("0, 1, 2"; a task without one runs the preset's).
std::string seeds_text(const Manifest& m) {
    std::vector<long> seeds;
    for (const Task& t : m.tasks)
        if (std::find(seeds.begin(), seeds.end(), t.seed) == seeds.end()) seeds.push_back(t.seed);
    std::string text;
    for (long s : seeds) add_item(text, ", ", seed_name(s, "the preset's seeds"));
    return text;
}

// ---- the sections ------------------------------------------------------------------------------------------

void write_head(Page& pg, const Manifest& m, const std::vector<std::string>& figs, const MergeResult& res) {
    std::string fig_list;
    for (const auto& f : figs) add_item(fig_list, ", ", f);
    const std::string grid = grid_text(m), seeds = seeds_text(m);
    const std::string title = fmt::format("gramtape sweep — {}, preset {}", fig_list, m.preset);
    pg.h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + html_escape(title) +
            "</title>\n<style>\n"
            "body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;line-height:1.4}\n"
            "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #bbb;padding:.25em .6em;"
            "text-align:left;vertical-align:top}th{background:#eee}\n"
            ".pass{color:#137a13;font-weight:bold}.fail{color:#b00;font-weight:bold}\n"
            "img{max-width:100%;border:1px solid #ddd}code{background:#f4f4f4;padding:0 .2em}\n"
            "</style></head><body>\n";
    pg.both("<h1>" + html_escape(title) + "</h1>\n", "# " + md(title) + "\n\n");
    pg.both(fmt::format("<p><b>Grid:</b> {}<br><b>Seeds:</b> {}<br><b>Tasks:</b> {} merged, {} not finished, {} in all<br>"
                        "<b>Request:</b> <code>{}</code></p>\n"
                        "<p>Every number is the mean ± sample standard deviation over the seeds of a setting (n seeds); "
                        "the merged rows are in <a href=\"../merged/metrics.csv\">merged/metrics.csv</a>, the per-setting "
                        "statistics in <a href=\"../merged/settings.json\">merged/settings.json</a>. Rebuild with "
                        "<code>gramtape sweep report SWEEPDIR</code>.</p>\n",
                        html_escape(grid), html_escape(seeds), res.merged, res.missing, m.tasks.size(),
                        html_escape(json_text(m.request))),
            fmt::format("**Grid:** {}  \n**Seeds:** {}  \n**Tasks:** {} merged, {} not finished, {} in all  \n"
                        "**Request:** `{}`\n\n"
                        "Every number is the mean ± sample standard deviation over the seeds of a setting (n seeds); the "
                        "merged rows are in [merged/metrics.csv](../merged/metrics.csv), the per-setting statistics in "
                        "[merged/settings.json](../merged/settings.json).\n\n",
                        md(grid), md(seeds), res.merged, res.missing, m.tasks.size(), md(json_text(m.request))));
}

/// Draws the figure's panels (plotN, numbered across the page) and shows each, or why it failed.
std::vector<Panel> plots_section(Page& pg, const fs::path& report, const std::string& fig,
                                 const std::vector<const Setting*>& of, std::size_t& plot_no, MergeResult& res) {
    std::vector<Panel> panels = choose_panels(fig, of);
    for (Panel& p : panels) {
        draw_panel(report, fmt::format("plot{}", ++plot_no), p, of);
        if (p.failure.empty()) {
            pg.both(fmt::format("<p><a href=\"{0}\"><img src=\"{0}\" alt=\"{1}\"></a>{2}</p>\n", html_escape(p.png),
                                html_escape(fig + ": " + p.title),
                                p.curves > kMaxKeyedCurves
                                    ? fmt::format("<br>{} curves, drawn without a legend or ±std bands", p.curves)
                                    : ""),
                    fmt::format("![{}]({})\n\n", md(fig + ": " + p.title), p.png));
        } else {
            res.plot_failures.push_back(p.png + ": " + p.failure);
            const std::string gp = p.png.substr(0, p.png.size() - 4) + ".gp";
            pg.both(fmt::format("<p class=\"fail\">Plot {} ({}) could not be drawn: {} (the merged data are complete; "
                                "run <code>gnuplot {}</code> in report/ to retry)</p>\n",
                                html_escape(p.png), html_escape(p.title), html_escape(p.failure), html_escape(gp)),
                    fmt::format("**Plot {} ({}) could not be drawn:** {} (the merged data are complete; run `gnuplot {}` "
                                "in report/ to retry)\n\n",
                                p.png, md(p.title), md(p.failure), gp));
        }
    }
    return panels;
}

void summary_table(Page& pg, const Setting& s) {
    if (s.rows.empty()) return;
    pg.both("<table><tr><th>Quantity</th><th>Ours: mean ± std (n)</th><th>Range</th><th>Paper</th></tr>\n",
            "| Quantity | Ours: mean ± std (n) | Range | Paper |\n|---|---|---|---|\n");
    for (const RowAcc& a : s.rows)
        pg.both(fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", html_escape(a.quantity),
                            html_escape(setting_value_cell(a)), html_escape(range_cell(a)), html_escape(a.paper)),
                fmt::format("| {} | {} | {} | {} |\n", md(a.quantity), md(setting_value_cell(a)), md(range_cell(a)),
                            md(a.paper)));
    pg.both("</table>\n", "\n");
}

void claims_list(Page& pg, const Setting& s) {
    if (s.claims.empty()) return;
    pg.both("<ul>\n", "");
    for (const ClaimAcc& c : s.claims) {
        const char* cls = c.pass == c.n ? "pass" : "fail";
        pg.both(fmt::format("<li><span class=\"{}\">{}/{} pass</span> {}</li>\n", cls, c.pass, c.n, html_escape(c.claim)),
                fmt::format("- **{}/{} pass** {}\n", c.pass, c.n, md(c.claim)));
    }
    pg.both("</ul>\n", "\n");
}

/// The final values of the plotted series.
void finals_table(Page& pg, const Setting& s, const std::vector<Panel>& panels) {
    std::string fh, fm;
    for (const Series& g : s.series) {
        const bool plotted = std::any_of(panels.begin(), panels.end(),
                                         [&](const Panel& p) { return p.metric == g.metric && p.layer == g.layer; });
        if (!plotted) continue;
        const Stats st = stats_of(g.finals);
        const std::string what = (g.run.empty() ? "" : g.run + ": ") + g.metric + (g.layer.empty() ? "" : ", layer " + g.layer);
        const std::string val = fmt::format("{} (n={}{})", pm(st), st.n, st.nonfinite ? fmt::format(", {} not finite", st.nonfinite) : "");
        fh += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", html_escape(what), html_escape(val));
        fm += fmt::format("| {} | {} |\n", md(what), md(val));
    }
    if (!fh.empty())
        pg.both("<table><tr><th>Final value of</th><th>mean ± std (n)</th></tr>\n" + fh + "</table>\n",
                "| Final value of | mean ± std (n) |\n|---|---|\n" + fm + "\n");
}

void setting_section(Page& pg, const Setting& s, const std::vector<Panel>& panels) {
    std::string seeds_of;
    for (long x : s.seeds) add_item(seeds_of, ", ", seed_name(x, "preset"));
    const std::string n_seeds = fmt::format("{} {}", s.tasks.size(), s.tasks.size() == 1 ? "seed" : "seeds");
    pg.both(fmt::format("<h3>{}</h3>\n<p>{}: {}</p>\n", html_escape(s.label), n_seeds, html_escape(seeds_of)),
            fmt::format("### {}\n\n{}: {}\n\n", md(s.label), n_seeds, md(seeds_of)));
    summary_table(pg, s);
    claims_list(pg, s);
    finals_table(pg, s, panels);
}

/// One figure: its plots first (the comparison across settings), then each setting's numbers.
void figure_section(Page& pg, const fs::path& report, const std::string& fig, bool titled, const MergedTasks& tasks,
                    std::size_t& plot_no, MergeResult& res) {
    std::vector<const Setting*> of;
    for (const Setting& s : tasks.settings)
        if (s.figure == fig) of.push_back(&s);
    if (titled) pg.both("<h2>" + html_escape(fig) + "</h2>\n", "## " + md(fig) + "\n\n");
    if (of.empty()) {
        pg.both("<p>No finished task of this figure yet.</p>\n", "No finished task of this figure yet.\n\n");
        return;
    }
    const std::vector<Panel> panels = plots_section(pg, report, fig, of, plot_no, res);
    for (const Setting* s : of) setting_section(pg, *s, panels);
}

void merged_table(Page& pg, const fs::path& dir, const Manifest& m, const MergedTasks& tasks, const MergeResult& res) {
    if (res.merged == 0)
        pg.both("<h2>Merged tasks</h2>\n<p>No task has finished yet.</p>\n", "## Merged tasks\n\nNo task has finished yet.\n\n");
    else
        pg.both("<h2>Merged tasks</h2>\n<table><tr><th>#</th><th>Task</th><th>Setting</th><th>Seed</th><th>Files</th></tr>\n",
                "## Merged tasks\n\n| # | Task | Setting | Seed | Files |\n|---|---|---|---|---|\n");
    for (const Task& t : m.tasks) {
        if (!tasks.done[t.index]) continue;
        const std::string folder = task_run_folder(dir, m, t).filename().string();
        const std::string run = href({"tasks", t.name, folder}, true), sum = href({"tasks", t.name, folder, "summary.json"}),
                          log = href({"logs", t.name + ".log"});
        const std::string seed = seed_name(t.seed, "preset");
        pg.both(fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">run folder</a> · "
                            "<a href=\"{}\">summary.json</a> · <a href=\"{}\">log</a></td></tr>\n",
                            t.index, html_escape(t.name), html_escape(tasks.settings[tasks.task_setting[t.index]].label),
                            seed, html_escape(run), html_escape(sum), html_escape(log)),
                fmt::format("| {} | {} | {} | {} | [run folder]({}) · [summary.json]({}) · [log]({}) |\n", t.index,
                            md(t.name), md(t.setting_label()), seed, run, sum, log));
    }
    if (res.merged > 0) pg.both("</table>\n", "\n");
}

void missing_table(Page& pg, const Manifest& m, const MergeResult& res) {
    if (res.missing_tasks.empty()) return;
    pg.both("<h2>Not merged</h2>\n<table><tr><th>#</th><th>Task</th><th>Setting</th><th>State</th><th>Log</th></tr>\n",
            "## Not merged\n\n| # | Task | Setting | State | Log |\n|---|---|---|---|---|\n");
    for (const MissingTask& mt : res.missing_tasks) {
        const Task& t = m.tasks[mt.index];
        const std::string log = href({"logs", t.name + ".log"});
        pg.both(fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">log</a></td></tr>\n",
                            t.index, html_escape(t.name), html_escape(t.setting_label()), html_escape(mt.state),
                            html_escape(log)),
                fmt::format("| {} | {} | {} | {} | [log]({}) |\n", t.index, md(t.name), md(t.setting_label()),
                            md(mt.state), log));
    }
    pg.both("</table>\n", "\n");
}

}  // namespace

void write_page(const fs::path& dir, const Manifest& m, const MergedTasks& tasks, MergeResult& res) {
    const fs::path report = dir / "report";
    const std::vector<std::string> figs = figures_of(m);
    Page pg;
    write_head(pg, m, figs, res);
    std::size_t plot_no = 0;
    for (const std::string& fig : figs) figure_section(pg, report, fig, figs.size() > 1, tasks, plot_no, res);
    merged_table(pg, dir, m, tasks, res);
    missing_table(pg, m, res);
    pg.h += "</body></html>\n";
    write_text_atomic(res.report_html, pg.h);
    write_text_atomic(res.report_md, pg.m);
}

}  // namespace gt::experiments::sweep
