// Numerical guards with context. When a metric of the analysis module fails (Target Linearity's normal
// equations not positive definite, a zero-variance target, a shape error) or comes out NaN/Inf, the
// user must learn WHERE: figure, run, layer, epoch and step. The analysis module knows nothing of runs;
// these wrappers catch its error and rethrow it (same type) with the location in front, and record a
// non-finite value as NaN with one warning line that names the location and the ridge used. (A
// non-finite training loss is caught by nn's training loop, nn/training_loop.hpp.)
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "analysis/streaming.hpp"
#include "analysis/surrogate.hpp"
#include "analysis/target_linearity.hpp"
#include "experiments/metrics.hpp"

namespace gt::experiments {

/// Where a metric is evaluated. Unset fields (empty strings, negative numbers) are left out.
struct MetricSite {
    std::string figure;  // "fig13"
    std::string run;     // "wd0.5"
    std::string layer;   // "2", "mu", "" (not per layer)
    long epoch = -1;
    long step = -1;

    MetricSite at_layer(const std::string& l) const;
    MetricSite at_layer(std::size_t l) const { return at_layer(std::to_string(l)); }
    /// "fig13 run wd0.5, layer 2, epoch 3, step 243"
    std::string describe() const;
};

/// Runs f; a gt::Error it throws is rethrown as the same type with "<site>: " in front.
void with_site(const MetricSite& site, const std::function<void()>& f);

/// Target Linearity with the site in every error. A non-finite result (NaN/Inf) is returned as NaN and
/// reported once on `warn` (stderr by default) with the site and the ridge used.
template <class T>
analysis::TlResult tl_at(const MetricSite& site, const Tensor<T>& h, const Tensor<T>& y,
                         const analysis::TlOptions& options = {}, std::FILE* warn = stderr);
template <class T>
analysis::TlResult tl_at(const MetricSite& site, const analysis::LayerStatistics<T>& stats,
                         const analysis::TlOptions& options = {}, std::FILE* warn = stderr);
/// Surrogate of streamed statistics with the site in every error; non-finite S is NaN plus a warning.
template <class T>
analysis::SurrogateResult surrogate_at(const MetricSite& site, const analysis::LayerStatistics<T>& stats,
                                       const Tensor<T>& w, std::FILE* warn = stderr);

/// Adds a metric row at the site; a non-finite value is stored as NaN (metrics.csv stays parseable)
/// and reported on `warn` with the site. Returns the stored value.
double add_metric(MetricsLog& log, const MetricSite& site, const std::string& metric, double value,
                  std::FILE* warn = stderr);

}  // namespace gt::experiments
