#include "experiments/guarded_metrics.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace gt::experiments {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string value_word(double v) { return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"); }
}  // namespace

MetricSite MetricSite::at_layer(const std::string& l) const {
    MetricSite s = *this;
    s.layer = l;
    return s;
}

std::string MetricSite::describe() const {
    std::string s = figure;
    if (!run.empty()) s += (s.empty() ? "run " : " run ") + run;
    std::vector<std::string> parts;
    if (!layer.empty()) parts.push_back("layer " + layer);
    if (epoch >= 0) parts.push_back(fmt::format("epoch {}", epoch));
    if (step >= 0) parts.push_back(fmt::format("step {}", step));
    for (const auto& p : parts) s += (s.empty() ? "" : ", ") + p;
    return s.empty() ? "metric" : s;
}

void with_site(const MetricSite& site, const std::function<void()>& f) {
    const std::string where = site.describe() + ": ";
    try {
        f();
    } catch (const IoError& e) {
        throw IoError(where + e.what());
    } catch (const ShapeError& e) {
        throw ShapeError(where + e.what());
    } catch (const ValueError& e) {
        throw ValueError(where + e.what());
    } catch (const Error& e) {
        throw Error(where + e.what());
    }
}

namespace {
analysis::TlResult finish_tl(const MetricSite& site, analysis::TlResult r, std::FILE* warn) {
    if (!std::isfinite(r.tl)) {
        if (warn)
            std::fprintf(warn, "warning: %s: Target Linearity is %s (ridge %g, residual %g, total %g); recorded as nan\n",
                         site.describe().c_str(), value_word(r.tl).c_str(), r.ridge, r.residual_ss, r.total_ss);
        r.tl = kNaN;
    }
    return r;
}
}  // namespace

template <class T>
analysis::TlResult tl_at(const MetricSite& site, const Tensor<T>& h, const Tensor<T>& y,
                         const analysis::TlOptions& options, std::FILE* warn) {
    analysis::TlResult r;
    with_site(site, [&] { r = analysis::target_linearity<T>(h, y, options); });
    return finish_tl(site, r, warn);
}

template <class T>
analysis::TlResult tl_at(const MetricSite& site, const analysis::LayerStatistics<T>& stats,
                         const analysis::TlOptions& options, std::FILE* warn) {
    analysis::TlResult r;
    with_site(site, [&] { r = stats.target_linearity(options); });
    return finish_tl(site, r, warn);
}

template <class T>
analysis::SurrogateResult surrogate_at(const MetricSite& site, const analysis::LayerStatistics<T>& stats,
                                       const Tensor<T>& w, std::FILE* warn) {
    analysis::SurrogateResult r;
    with_site(site, [&] { r = stats.surrogate(w); });
    if (!std::isfinite(r.s) || !std::isfinite(r.s_mean)) {
        if (warn)
            std::fprintf(warn, "warning: %s: surrogate S is %s; recorded as nan\n", site.describe().c_str(),
                         value_word(std::isfinite(r.s) ? r.s_mean : r.s).c_str());
        r.s = r.s_mean = kNaN;
    }
    return r;
}

double add_metric(MetricsLog& log, const MetricSite& site, const std::string& metric, double value, std::FILE* warn) {
    if (!std::isfinite(value)) {
        if (warn)
            std::fprintf(warn, "warning: %s: %s is %s; recorded as nan\n", site.describe().c_str(), metric.c_str(),
                         value_word(value).c_str());
        value = kNaN;
    }
    log.add(site.run, std::max(0L, site.epoch), std::max(0L, site.step), site.layer, metric, value);
    return value;
}

#define GT_INSTANTIATE(T)                                                                                           \
    template analysis::TlResult tl_at<T>(const MetricSite&, const Tensor<T>&, const Tensor<T>&,                     \
                                         const analysis::TlOptions&, std::FILE*);                                   \
    template analysis::TlResult tl_at<T>(const MetricSite&, const analysis::LayerStatistics<T>&,                    \
                                         const analysis::TlOptions&, std::FILE*);                                   \
    template analysis::SurrogateResult surrogate_at<T>(const MetricSite&, const analysis::LayerStatistics<T>&,      \
                                                       const Tensor<T>&, std::FILE*);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::experiments
