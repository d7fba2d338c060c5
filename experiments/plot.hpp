// Plot data (.dat, whitespace-separated, blocks separated by two blank lines for gnuplot's `index`)
// and gnuplot scripts that draw a PNG from them. The script stays in the run folder, so a user can
// restyle the figure and rerun `gnuplot figN.gp` there.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gt::experiments {

class DatFile {
   public:
    /// columns: the names written in the header comment.
    explicit DatFile(std::vector<std::string> columns);
    void row(const std::vector<double>& values);
    /// Starts a new data block (gnuplot `index`), with a comment naming it.
    void block(const std::string& name);
    /// Writes the file atomically.
    void save(const std::filesystem::path& path) const;

   private:
    std::vector<std::string> columns_;
    std::string text_;
    bool block_open_ = false;
};

struct PlotSpec {
    std::string png;     // "fig1.png"
    std::string script;  // "fig1.gp"
    int width = 1200, height = 800;
    std::string body;    // gnuplot commands after terminal/output setup
};

/// Writes the script and runs gnuplot in the folder; the PNG appears atomically.
/// Throws IoError with gnuplot's message when it fails or is not installed.
void render(const std::filesystem::path& folder, const PlotSpec& spec);

/// Quotes a string for a gnuplot double-quoted literal.
std::string gp_quote(const std::string& s);

}  // namespace gt::experiments
