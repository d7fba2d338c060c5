#include "experiments/plot.hpp"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "autodiff/tensor.hpp"
#include "experiments/io.hpp"

namespace gt::experiments {

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
        line += std::isfinite(values[i]) ? fmt::format("{:.8g}", values[i]) : std::string("NaN");
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
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

void render(const fs::path& folder, const PlotSpec& spec) {
    const std::string script = fmt::format(
        "# Drawn by gramtape from the data files in this folder.\n"
        "# Restyle freely, then run `gnuplot {0}` in this folder to redraw {1}.\n"
        "if (!exists(\"outfile\")) outfile = \"{1}\"\n"
        "set terminal pngcairo size {2},{3} enhanced font \"DejaVu Sans,11\"\n"
        "set output outfile\n"
        "{4}\n"
        "unset output\n",
        spec.script, spec.png, spec.width, spec.height, spec.body);
    write_text_atomic(folder / spec.script, script);
    const fs::path png = folder / spec.png;
    const fs::path tmp = temp_path_for(png);
    const fs::path log = folder / (spec.script + ".log");
    const std::string cmd = fmt::format("cd '{}' && gnuplot -e \"outfile='{}'\" '{}' > '{}' 2>&1", folder.string(),
                                        tmp.filename().string(), spec.script, log.filename().string());
    const int rc = std::system(cmd.c_str());
    if (rc != 0 || !fs::exists(tmp)) {
        std::error_code ec;
        fs::remove(tmp, ec);
        std::string msg;
        try {
            msg = read_text(log);
        } catch (const std::exception&) {
        }
        if (msg.size() > 600) msg = msg.substr(0, 600) + "...";
        throw IoError(fmt::format("gnuplot failed on {} (exit {}): {}{}", (folder / spec.script).string(), rc, msg,
                                  rc == 127 * 256 ? " (is gnuplot-nox installed?)" : ""));
    }
    commit_temp(tmp, png);
    std::error_code ec;
    if (fs::exists(log) && fs::file_size(log, ec) == 0) fs::remove(log, ec);
}

}  // namespace gt::experiments
