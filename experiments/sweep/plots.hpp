// The gnuplot panels of a sweep's report: per figure, its metrics of interest, each drawn as one
// mean ± std curve per setting (report/plotN.dat, plotN.gp, plotN.png).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "experiments/sweep/manifest.hpp"
#include "experiments/sweep/merged_model.hpp"

namespace gt::experiments::sweep {

constexpr std::size_t kMaxPanels = 6;
constexpr std::size_t kMaxKeyedCurves = 12;  // beyond this a panel draws lines only: a legend would not fit

struct Panel {
    std::string figure, metric, layer;
    bool by_epoch = true;
    std::string png, title;
    std::size_t curves = 0;
    std::string failure;  // "" when drawn
};

/// The panels of one figure: its metrics of interest present in the data (a per-layer metric at its last
/// layer), else test_acc and the first metrics found; at most kMaxPanels.
std::vector<Panel> choose_panels(const std::string& figure, const std::vector<const Setting*>& settings);

/// Writes `name`.dat and `name`.gp into `folder` and runs gnuplot; a failure is recorded in the panel.
void draw_panel(const fs::path& folder, const std::string& name, Panel& p, const std::vector<const Setting*>& settings);

}  // namespace gt::experiments::sweep
