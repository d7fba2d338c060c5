#include "experiments/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "autodiff/tensor.hpp"
#include "experiments/figure.hpp"
#include "platform/files.hpp"
#include "platform/subprocess.hpp"

namespace gt::experiments {

std::string dat_value(double v, int digits) { return std::isfinite(v) ? fmt::format("{:.{}g}", v, digits) : "NaN"; }

DatFile::DatFile(std::vector<std::string> columns) : columns_(std::move(columns)) {
    text_ = "#";
    for (const auto& c : columns_) text_ += " " + c;
    text_ += "\n";
}

void DatFile::row(const std::vector<double>& values) {
    if (values.size() != columns_.size())
        throw ValueError(fmt::format("plot data: expected {} columns, got {}", columns_.size(), values.size()));
    std::string line;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) line += ' ';
        line += dat_value(values[i]);
    }
    text_ += line + "\n";
    block_open_ = true;
}

void DatFile::block(const std::string& name) {
    if (block_open_) text_ += "\n\n";
    text_ += "# block: " + name + "\n";
    block_open_ = false;
}

void DatFile::save(const fs::path& path) const { write_text_atomic(path, text_); }

std::string gp_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

void render(const fs::path& folder, const PlotSpec& spec) {
    const std::string script = fmt::format(
        "# Drawn by gramtape from the data files in this folder.\n"
        "# Restyle freely, then run `gnuplot {0}` in this folder to redraw {1}.\n"
        "if (!exists(\"outfile\")) outfile = \"{1}\"\n"
        "set terminal pngcairo size {2},{3} enhanced font \"DejaVu Sans,11\"\n"
        "set output outfile\n"
        "set datafile missing \"NaN\"\n"
        "{4}\n"
        "unset output\n",
        spec.script, spec.png, spec.width, spec.height, spec.body);
    write_text_atomic(folder / spec.script, script);
    const fs::path png = folder / spec.png;
    const fs::path tmp = temp_path_for(png);
    const fs::path log = folder / (spec.script + ".log");
    // No shell: the folder is only gnuplot's working directory, so any byte of its path is fine.
    SpawnOptions opt;
    opt.cwd = folder.string();
    opt.output_file = log.string();
    opt.hint = "install gnuplot-nox";
    RunResult r;
    try {
        r = run_program({"gnuplot", "-e", "outfile=" + gp_quote(tmp.filename().string()), spec.script}, opt);
    } catch (const SpawnError& e) {
        throw IoError(e.what());
    }
    std::error_code ec;
    if (r.status != 0 || !fs::exists(tmp)) {
        fs::remove(tmp, ec);
        std::string msg;
        try {
            msg = read_text(log);
        } catch (const std::exception&) {
        }
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
        if (msg.size() > 600) msg = msg.substr(0, 600) + "...";
        throw IoError(fmt::format("gnuplot failed on {} (exit {}): {}", (folder / spec.script).string(), r.status, msg));
    }
    commit_temp(tmp, png);
    if (fs::exists(log) && fs::file_size(log, ec) == 0) fs::remove(log, ec);
}

void plot(RunContext& ctx, const PlotSpec& spec) {
    try {
        render(ctx.folder->path(), spec);
    } catch (const std::exception& e) {
        const std::string who = ctx.figure.empty() ? "gramtape" : ctx.figure;
        std::fprintf(stderr, "%s: plot %s failed: %s; the run's data are complete\n", who.c_str(), spec.png.c_str(),
                     e.what());
        ctx.plot_failures.push_back(spec.png + ": " + e.what());
    }
}

std::string gp_accuracy_curves(int index) {
    const std::string at = index < 0 ? "" : fmt::format("index {} ", index);
    return fmt::format("\"\" {0}using 1:2 with lines dt 2 lw 1.5 lc rgb \"black\" title \"train acc\", "
                       "\"\" {0}using 1:3 with lines dt 3 lw 1.5 lc rgb \"gray40\" title \"test acc\"", at);
}

PanelGrid::PanelGrid(std::size_t panels, std::size_t max_cols)
    : cols(std::max<std::size_t>(1, std::min(max_cols, panels))), rows((panels + cols - 1) / cols) {}

std::string PanelGrid::begin(const std::string& title) const {
    return fmt::format("set multiplot layout {},{} title \"{}\"\n", rows, cols, title);
}

PlotSpec PanelGrid::spec(const std::string& name, const std::string& body) const {
    return {name + ".png", name + ".gp", std::max(900, static_cast<int>(520 * cols)), static_cast<int>(420 * rows),
            body + "unset multiplot"};
}

void note_epochs(Summary& s, const RunContext& ctx, long epochs, long paper_epochs) {
    if (epochs != paper_epochs)
        s.differences.push_back(
            fmt::format("{} epochs instead of {} (preset {}).", epochs, paper_epochs, ctx.config.value("preset", "")));
}

}  // namespace gt::experiments
