#include "experiments/sweep/plots.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "experiments/plot.hpp"
#include "experiments/sweep/merge.hpp"

namespace gt::experiments::sweep {

namespace {

/// Text inside a gnuplot single-quoted literal: no control characters (a newline would end the command).
std::string gp_text(const std::string& s) {
    std::string o;
    for (char c : s) o += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    return gp_quote(o);
}

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

}  // namespace

std::vector<Panel> choose_panels(const std::string& figure, const std::vector<const Setting*>& settings) {
    std::vector<std::string> metrics;         // first appearance
    std::map<std::string, std::string> last_layer;  // metric -> its last layer in first-appearance order
    std::map<std::string, std::vector<std::string>> layers;
    for (const Setting* s : settings)
        for (const Series& g : s->series) {
            if (!layers.count(g.metric)) metrics.push_back(g.metric);
            auto& ls = layers[g.metric];
            if (std::find(ls.begin(), ls.end(), g.layer) == ls.end()) ls.push_back(g.layer);
        }
    for (const auto& [mtr, ls] : layers) last_layer[mtr] = ls.back();
    std::vector<std::string> chosen;
    for (const auto& mtr : plot_metrics(figure))
        if (layers.count(mtr) && chosen.size() < kMaxPanels) chosen.push_back(mtr);
    if (chosen.empty()) {
        if (layers.count("test_acc")) chosen.push_back("test_acc");
        for (const auto& mtr : metrics)
            if (chosen.size() < kMaxPanels && std::find(chosen.begin(), chosen.end(), mtr) == chosen.end())
                chosen.push_back(mtr);
    }
    std::vector<Panel> panels;
    for (const auto& mtr : chosen) {
        Panel p;
        p.figure = figure;
        p.metric = mtr;
        p.layer = last_layer[mtr];
        // x = epoch, or step when every run logs one epoch only (fig1 and fig8 count steps).
        bool epochs_vary = false;
        for (const Setting* s : settings)
            for (const Series& g : s->series)
                if (g.metric == mtr && g.layer == p.layer && g.by_epoch.size() > 1) epochs_vary = true;
        p.by_epoch = epochs_vary;
        p.title = p.layer.empty() ? mtr : fmt::format("{}, layer {}", mtr, p.layer);
        panels.push_back(p);
    }
    return panels;
}

void draw_panel(const fs::path& folder, const std::string& name, Panel& p, const std::vector<const Setting*>& settings) {
    DatFile dat({p.by_epoch ? "epoch" : "step", "mean", "mean_minus_std", "mean_plus_std", "n"});
    std::vector<std::string> labels;
    for (const Setting* s : settings)
        for (const Series& g : s->series) {
            if (g.metric != p.metric || g.layer != p.layer) continue;
            const auto& curve = p.by_epoch ? g.by_epoch : g.by_step;
            bool any = false;
            for (const auto& [x, r] : curve) any = any || r.n > 0;
            if (!any) continue;  // only non-finite values: nothing to draw
            const std::string label = g.run.empty() ? s->label : s->label + " · " + g.run;
            dat.block(label);
            for (const auto& [x, r] : curve) {
                if (r.n == 0) {
                    dat.row({double(x), kNaN, kNaN, kNaN, 0.0});
                    continue;
                }
                dat.row({double(x), r.mean, r.mean - r.sd(), r.mean + r.sd(), double(r.n)});
            }
            labels.push_back(label);
        }
    p.png = name + ".png";
    p.curves = labels.size();
    if (labels.empty()) {
        p.failure = "no finite values to draw";
        return;
    }
    const std::string datname = name + ".dat";
    const bool keyed = labels.size() <= kMaxKeyedCurves;
    std::string body = "set termoption noenhanced\n";
    body += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset grid\nset format y '%.3g'\n", gp_text(p.figure + ": " + p.title + " (mean over seeds, band ± 1 std)"),
                        gp_text(p.by_epoch ? "epoch" : "step"), gp_text(p.metric));
    body += keyed ? "set key outside right top\n" : "unset key\n";
    std::string items;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const char* c = kColours[i % (sizeof(kColours) / sizeof(kColours[0]))];
        if (!items.empty()) items += ", \\\n     ";
        if (keyed)
            items += fmt::format("{0} index {1} using 1:3:4 with filledcurves lc rgb '{2}' fs transparent solid 0.18 "
                                 "noborder notitle, \\\n     ",
                                 gp_quote(datname), i, c);
        items += fmt::format("{} index {} using 1:2 with linespoints lc rgb '{}' lw 2 pt 7 ps 0.5 {}", gp_quote(datname),
                             i, c, keyed ? "title " + gp_text(labels[i]) : std::string("notitle"));
    }
    body += "plot " + items + "\n";
    try {
        dat.save(folder / datname);
        render(folder, {p.png, name + ".gp", keyed ? 1100 : 900, 560, body});
    } catch (const std::exception& e) {
        p.failure = e.what();
    }
}

const std::vector<std::string>& plot_metrics(const std::string& figure) {
    // Per figure: the curve the paper's figure draws first, then test accuracy / loss where it logs them.
    static const std::map<std::string, std::vector<std::string>> table = {
        {"fig1", {"tl_virtual_input", "train_mse"}},
        {"fig2", {"test_acc", "gram_deviation", "train_loss"}},
        {"fig6", {"test_acc", "gram_deviation", "train_loss"}},
        {"fig4", {"tl", "surrogate", "test_acc", "train_acc", "train_loss"}},
        {"fig9", {"tl", "surrogate", "test_acc", "train_acc", "train_loss"}},
        {"fig5", {"tl_mu", "val_recon", "val_loss", "train_recon"}},
        {"fig10", {"tl_mu", "val_recon", "val_loss", "train_recon"}},
        {"fig7", {"rho_vcs_gram_change", "rel_residual_gram_change_vs_vcs", "test_acc", "train_loss"}},
        {"fig8", {"y_minus_ols", "yhat_minus_ols", "y_minus_yhat", "train_mse"}},
        {"fig11", {"test_acc", "tl", "train_loss", "mlm_loss", "rho_vcs_gram_change", "rho_agop_gram_change"}},
        {"fig12", {"tl", "test_acc_clean", "test_acc", "train_acc"}},
        {"fig13", {"test_acc", "tl", "train_acc", "train_loss"}},
        {"fig14", {"tl", "test_acc", "train_acc", "train_loss"}},
    };
    static const std::vector<std::string> none;
    const auto it = table.find(figure);
    return it == table.end() ? none : it->second;
}

}  // namespace gt::experiments::sweep
