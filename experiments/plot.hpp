// Plot data (.dat, whitespace-separated, blocks separated by two blank lines for gnuplot's `index`)
// and gnuplot scripts that draw a PNG from them. The script stays in the run folder, so a user can
// restyle the figure and rerun `gnuplot figN.gp` there.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace gt::experiments {

struct RunContext;
struct Summary;

/// A number as the .dat files hold it: a non-finite value is `NaN`, which gnuplot draws as a gap.
std::string dat_value(double v, int digits = 8);

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

/// Writes the script and runs gnuplot in the folder (no shell; gnuplot's working directory is the
/// folder, so scripts name files by their plain names); the PNG appears atomically. `NaN` in a .dat
/// file is missing data. Throws IoError with gnuplot's message when it fails or is not installed.
void render(const std::filesystem::path& folder, const PlotSpec& spec);

/// render() into ctx's run folder for a figure's run: a failing plot never fails the run. It prints
/// "fig1: plot fig1.png failed: <reason>; the run's data are complete" on stderr and adds
/// "fig1.png: <reason>" to ctx.plot_failures (the summary and the report show it).
void plot(RunContext& ctx, const PlotSpec& spec);

/// Quotes a string as a gnuplot single-quoted literal ('' stands for '). Not a double-quoted one:
/// gnuplot runs `backquoted` text of a double-quoted string through the shell.
std::string gp_quote(const std::string& s);

/// The dashed train and dotted test accuracy curves of the current .dat file (`""`), columns 2 and 3,
/// of data block `index` (all of the file when negative), as gnuplot plot items.
std::string gp_accuracy_curves(int index = -1);

/// A multiplot of `panels` panels, at most `max_cols` to a row, 520×420 pixels a panel (≥ 900 wide).
struct PanelGrid {
    std::size_t cols, rows;
    PanelGrid(std::size_t panels, std::size_t max_cols);
    /// "set multiplot layout R,C title \"<title>\"\n"
    std::string begin(const std::string& title) const;
    /// `name`.png from `name`.gp drawing `body` then "unset multiplot".
    PlotSpec spec(const std::string& name, const std::string& body) const;
};

/// Adds "<epochs> epochs instead of <paper_epochs> (preset P)." to s.differences when they differ.
void note_epochs(Summary& s, const RunContext& ctx, long epochs, long paper_epochs);

}  // namespace gt::experiments
