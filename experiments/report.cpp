#include "experiments/report.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "experiments/datasets_glue.hpp"
#include "experiments/format.hpp"
#include "experiments/sweep/status.hpp"
#include "platform/files.hpp"

namespace gt::experiments {

namespace {

int fig_number(const std::string& id) {
    std::size_t i = 0;
    while (i < id.size() && !std::isdigit(static_cast<unsigned char>(id[i]))) ++i;
    return i < id.size() ? std::atoi(id.c_str() + i) : 1000;
}

int preset_rank(const std::string& p) {
    const auto& ps = presets();
    const auto it = std::find(ps.begin(), ps.end(), p);
    return static_cast<int>(it - ps.begin());
}

std::string md_cell(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '|') o += "\\|";
        else if (c == '\n') o += ' ';
        else o += c;
    }
    return o;
}

std::string rel(const fs::path& target, const fs::path& base) {
    std::error_code ec;
    const fs::path r = fs::relative(fs::absolute(target), fs::absolute(base), ec);
    return ec ? fs::absolute(target).string() : r.generic_string();
}

/// The page anchor of a run: its folder's path under the runs root, '/' as '~' ("fig2-quick-mnist",
/// "reproduce-paper~tasks~t001-fig2-mnist~fig2-paper-mnist"), unique as the folders are.
std::string run_anchor(const fs::path& folder, const fs::path& runs) {
    std::string a = rel(folder, runs);
    std::replace(a.begin(), a.end(), '/', '~');
    return a;
}

std::string claims_tally(const Summary& s) {
    const auto pass = std::count_if(s.claims.begin(), s.claims.end(), [](const ClaimCheck& c) { return c.pass; });
    return fmt::format("{}/{}", pass, s.claims.size());
}

}  // namespace

std::vector<FoundRun> find_runs(const fs::path& runs) {
    std::vector<FoundRun> out;
    if (!fs::is_directory(runs)) return out;
    auto add = [&](const fs::path& folder) {
        const fs::path s = folder / "summary.json";
        if (fs::is_directory(folder) && fs::exists(s)) out.push_back({folder, Summary::from_json(read_json(s), s.string())});
    };
    for (const auto& e : fs::directory_iterator(runs)) {
        add(e.path());
        // `reproduce --engine` puts its runs in a sweep folder, runs/reproduce-PRESET/tasks/<task>/<run>:
        // they stand beside the others. A grid sweep's runs are in its own report (sweep_folders).
        if (!fs::exists(sweep::manifest_path(e.path()))) continue;
        const sweep::Manifest m = sweep::load_manifest(e.path());
        if (m.command != "reproduce") continue;
        for (const sweep::Task& t : m.tasks) add(sweep::task_run_folder(e.path(), m, t));
    }
    std::sort(out.begin(), out.end(), [](const FoundRun& a, const FoundRun& b) {
        const auto ka = std::make_tuple(fig_number(a.summary.figure), a.summary.figure, preset_rank(a.summary.preset),
                                        a.summary.dataset);
        const auto kb = std::make_tuple(fig_number(b.summary.figure), b.summary.figure, preset_rank(b.summary.preset),
                                        b.summary.dataset);
        return ka < kb;
    });
    return out;
}

std::vector<fs::path> sweep_folders(const fs::path& runs) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::is_directory(runs, ec)) return out;
    for (const auto& e : fs::directory_iterator(runs))
        if (fs::exists(sweep::manifest_path(e.path())) && sweep::load_manifest(e.path()).command == "sweep")
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::size_t write_report(const fs::path& runs, const fs::path& out, const std::string& preset,
                         const std::string& data_dir) {
    std::vector<FoundRun> found = find_runs(runs);
    if (!preset.empty())
        found.erase(std::remove_if(found.begin(), found.end(),
                                   [&](const FoundRun& r) { return r.summary.preset != preset; }),
                    found.end());
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out))
        throw UsageError(fmt::format("--report-dir '{}': cannot create the folder ({})", out.string(),
                                     ec ? ec.message() : "a file is in the way"));

    std::string h, m;
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<title>gramtape — reproduction report</title>\n<style>\n"
         "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}\n"
         "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #bbb;padding:.25em .6em;"
         "text-align:left;vertical-align:top}th{background:#eee}\n"
         ".pass{color:#137a13;font-weight:bold}.fail{color:#b00;font-weight:bold}\n"
         "img{max-width:100%;border:1px solid #ddd}code{background:#f4f4f4;padding:0 .2em}\n"
         "</style></head><body>\n";
    h += "<h1>gramtape — reproduction report</h1>\n";
    h += "<p>Paper: <em>The Weight Gram Matrix Captures Sequential Feature Linearization in Deep Networks</em> "
         "(arXiv 2605.06258). Each section shows our figure, the command that made it, our numbers beside the "
         "paper's, the claim checks and every setup difference. Rebuild with <code>gramtape report</code>.</p>\n";
    m += "# gramtape — reproduction report\n\n";
    m += "Paper: *The Weight Gram Matrix Captures Sequential Feature Linearization in Deep Networks* "
         "(arXiv 2605.06258). Rebuild with `gramtape report`.\n\n";

    if (found.empty()) {
        h += fmt::format("<p>No finished runs under <code>{}</code>. Run <code>gramtape reproduce</code> first.</p>\n",
                         html_escape(runs.string()));
        m += fmt::format("No finished runs under `{}`. Run `gramtape reproduce` first.\n", runs.string());
    } else {
        h += "<h2>Overview</h2>\n<table><tr><th>Figure</th><th>Dataset</th><th>Preset</th><th>Claims passed</th>"
             "<th>Seconds</th><th>Run folder</th></tr>\n";
        m += "## Overview\n\n| Figure | Dataset | Preset | Claims passed | Seconds | Run folder |\n"
             "|---|---|---|---|---|---|\n";
        for (const auto& r : found) {
            const auto& s = r.summary;
            const std::string anchor = run_anchor(r.folder, runs);
            h += fmt::format("<tr><td><a href=\"#{}\">{} — {}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td>"
                             "<td><code>{}</code></td></tr>\n",
                             html_escape(anchor), html_escape(s.figure), html_escape(s.title), html_escape(s.dataset.empty() ? "synthetic" : s.dataset),
                             html_escape(s.preset), claims_tally(s), s.seconds, html_escape(rel(r.folder, out)));
            m += fmt::format("| [{} — {}](#{}) | {} | {} | {} | {:.0f} | `{}` |\n", s.figure, md_cell(s.title), anchor,
                             s.dataset.empty() ? "synthetic" : s.dataset, s.preset, claims_tally(s), s.seconds,
                             rel(r.folder, out));
        }
        h += "</table>\n";
        m += "\n";
    }
    const auto sweeps = sweep_folders(runs);
    if (!sweeps.empty()) {
        h += "<h2>Sweeps</h2>\n<table><tr><th>Sweep</th><th>Figure</th><th>Preset</th><th>Tasks done</th><th>Grid</th></tr>\n";
        m += "## Sweeps\n\n| Sweep | Figure | Preset | Tasks done | Grid |\n|---|---|---|---|---|\n";
        for (const fs::path& dir : sweeps) {
            const sweep::Manifest sm = sweep::load_manifest(dir);
            std::size_t done = 0;
            for (const sweep::Task& t : sm.tasks) done += sweep::task_done(dir, sm, t);
            std::string grid;
            for (const auto& a : sm.request.value("grid", json::array()))
                grid += (grid.empty() ? "" : "; ") + a.value("key", std::string()) + " = " + a.value("values", json::array()).dump();
            const json seeds = sm.request.value("seeds", json::array());
            if (!seeds.empty()) grid += (grid.empty() ? "" : "; ") + std::string("seeds ") + seeds.dump();
            const std::string figs = sm.request.value("figures", json::array()).dump();
            const std::string link = rel(dir / "report" / "index.html", out);
            h += fmt::format("<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td></tr>\n",
                             html_escape(link), html_escape(dir.filename().string()), html_escape(figs), html_escape(sm.preset), done, sm.tasks.size(),
                             html_escape(grid));
            m += fmt::format("| [{}]({}) | {} | {} | {}/{} | {} |\n", md_cell(dir.filename().string()), link, md_cell(figs),
                             sm.preset, done, sm.tasks.size(), md_cell(grid));
        }
        h += "</table>\n";
        m += "\n";
    }

    for (const auto& r : found) {
        const auto& s = r.summary;
        const std::string anchor = run_anchor(r.folder, runs);
        const std::string ds = s.dataset.empty() ? "" : " (" + s.dataset + ")";
        h += fmt::format("<h2 id=\"{}\">{} — {}{}</h2>\n", html_escape(anchor), html_escape(s.figure), html_escape(s.title), html_escape(ds));
        m += fmt::format("<a id=\"{}\"></a>\n## {} — {}{}\n\n", anchor, s.figure, s.title, ds);
        h += fmt::format("<p><b>Command:</b> <code>{}</code><br><b>Run folder:</b> <code>{}</code> "
                         "(config.json, meta.json, metrics.csv, .npy arrays, the .gp script)<br><b>Time:</b> {:.0f} s wall, {:.0f} s CPU</p>\n",
                         html_escape(s.command), html_escape(rel(r.folder, out)), s.seconds, s.cpu_seconds);
        m += fmt::format("**Command:** `{}`  \n**Run folder:** `{}`  \n**Time:** {:.0f} s wall, {:.0f} s CPU\n\n", s.command,
                         rel(r.folder, out), s.seconds, s.cpu_seconds);
        h += fmt::format("<p><b>Setup:</b> {}</p>\n", html_escape(s.setup));
        m += fmt::format("**Setup:** {}\n\n", s.setup);
        for (const auto& img : s.images) {
            // A plot gnuplot could not draw (or whose PNG is gone) is named with its reason, not a broken image.
            std::string failed;
            for (const auto& p : s.plot_failures)
                if (p.rfind(img + ": ", 0) == 0) failed = p.substr(img.size() + 2);
            if (failed.empty() && !fs::exists(r.folder / img)) failed = "the file is missing";
            if (!failed.empty()) {
                const std::string gp = img.substr(0, img.rfind('.')) + ".gp";
                h += fmt::format("<p class=\"fail\">Plot {} failed: {} (the run's data are complete; run <code>gnuplot {}</code> "
                                 "in the run folder to draw it)</p>\n", html_escape(img), html_escape(failed), html_escape(gp));
                m += fmt::format("**Plot {} failed:** {} (the run's data are complete; run `gnuplot {}` in the run folder "
                                 "to draw it)\n\n", img, failed, gp);
                continue;
            }
            const std::string link = rel(r.folder / img, out);
            h += fmt::format("<p><a href=\"{0}\"><img src=\"{0}\" alt=\"{1}\"></a></p>\n", html_escape(link), html_escape(img));
            m += fmt::format("![{}]({})\n\n", img, link);
        }
        if (!s.rows.empty()) {
            h += "<table><tr><th>Quantity</th><th>Ours</th><th>Paper</th><th>Paper's number from</th></tr>\n";
            m += "| Quantity | Ours | Paper | Paper's number from |\n|---|---|---|---|\n";
            for (const auto& row : s.rows) {
                h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", html_escape(row.quantity),
                                 html_escape(row.ours), html_escape(row.paper), html_escape(row.source));
                m += fmt::format("| {} | {} | {} | {} |\n", md_cell(row.quantity), md_cell(row.ours),
                                 md_cell(row.paper), md_cell(row.source));
            }
            h += "</table>\n";
            m += "\n";
        }
        if (!s.claims.empty()) {
            h += "<p><b>Claim checks</b></p><ul>\n";
            m += "**Claim checks**\n\n";
            for (const auto& c : s.claims) {
                h += fmt::format("<li><span class=\"{}\">{}</span> {} — {}</li>\n", c.pass ? "pass" : "fail",
                                 c.pass ? "PASS" : "FAIL", html_escape(c.claim), html_escape(c.detail));
                m += fmt::format("- **{}** {} — {}\n", c.pass ? "PASS" : "FAIL", c.claim, c.detail);
            }
            h += "</ul>\n";
            m += "\n";
        }
        if (!s.differences.empty()) {
            h += "<p><b>Differences from the paper's setup</b></p><ul>\n";
            m += "**Differences from the paper's setup**\n\n";
            for (const auto& d : s.differences) {
                h += "<li>" + html_escape(d) + "</li>\n";
                m += "- " + d + "\n";
            }
            h += "</ul>\n";
            m += "\n";
        }
    }
    // What this machine could not run: missing datasets per figure, and paper figures without a driver.
    std::string hn, mn;
    for (const Figure* f : figures()) {
        const FigureInfo i = f->info();
        std::vector<std::string> missing;
        for (const auto& d : i.datasets)
            if (!dataset_available(d, data_dir)) missing.push_back(d);
        if (missing.empty()) continue;
        std::string list;
        for (const auto& d : missing) list += (list.empty() ? "" : ", ") + d;
        hn += fmt::format("<li>{} ({}): {} — files not under <code>{}</code>{}</li>\n", html_escape(i.id), html_escape(i.title), html_escape(list),
                          html_escape(data_dir), list.find("svhn") != std::string::npos ? " (SVHN also has no loader yet)" : "");
        mn += fmt::format("- {} ({}): {} — files not under `{}`{}\n", i.id, i.title, list, data_dir,
                          list.find("svhn") != std::string::npos ? " (SVHN also has no loader yet)" : "");
    }
    std::string absent;
    for (int k = 1; k <= 14; ++k) {
        const std::string id = "fig" + std::to_string(k);
        if (k == 3 || find_figure(id)) continue;
        absent += (absent.empty() ? "" : ", ") + id;
    }
    h += "<h2>Not reproduced here</h2>\n<ul>\n" + hn;
    m += "## Not reproduced here\n\n" + mn;
    if (!absent.empty()) {
        h += "<li>Paper figures without a driver yet: " + html_escape(absent) + " (Fig. 3 is a schematic).</li>\n";
        m += "- Paper figures without a driver yet: " + absent + " (Fig. 3 is a schematic).\n";
    }
    h += "</ul>\n";
    h += "</body></html>\n";
    write_text_atomic(out / "index.html", h);
    write_text_atomic(out / "README.md", m);
    return found.size();
}

}  // namespace gt::experiments
