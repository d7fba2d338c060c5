// The page of a sweep's report: report/index.html and report/README.md (the same content as HTML and
// as Markdown), drawn from the merged model, with the gnuplot panels of plots.hpp.
#pragma once

#include "experiments/sweep/manifest.hpp"
#include "experiments/sweep/merge.hpp"
#include "experiments/sweep/merged_model.hpp"

namespace gt::experiments::sweep {

/// Draws the panels into report/ and writes res.report_html and res.report_md. Reads res.merged,
/// res.missing and res.missing_tasks; adds every panel gnuplot could not draw to res.plot_failures.
void write_page(const fs::path& sweep_dir, const Manifest& m, const MergedTasks& tasks, MergeResult& res);

}  // namespace gt::experiments::sweep
