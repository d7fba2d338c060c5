#include "experiments/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "autodiff/tensor.hpp"
#include "platform/files.hpp"

namespace gt::experiments {

namespace {
const char* kHeader = "run,epoch,step,layer,metric,value";

void check_field(const std::string& s, const char* what) {
    if (s.find_first_of(",\n\r\"") != std::string::npos)
        throw ValueError(fmt::format("metrics: {} '{}' must not contain a comma, quote or newline", what, s));
}
}  // namespace

void MetricsLog::add(const std::string& run, long epoch, long step, const std::string& layer,
                     const std::string& metric, double value) {
    check_field(run, "run");
    check_field(layer, "layer");
    check_field(metric, "metric");
    if (!std::isfinite(value)) {
        if (warned_.insert(run + ',' + layer + ',' + metric).second) {
            const std::string where = fmt::format("{} run {}{}, epoch {}, step {}", figure_.empty() ? "gramtape" : figure_,
                                                  run, layer.empty() ? "" : ", layer " + layer, epoch, step);
            std::fprintf(stderr, "warning: %s: %s is %s; recorded as nan in metrics.csv\n", where.c_str(), metric.c_str(),
                         std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf");
        }
        value = std::numeric_limits<double>::quiet_NaN();
    }
    rows_.push_back({run, epoch, step, layer, metric, value});
}

void MetricsLog::flush() const {
    std::string out = kHeader;
    out += '\n';
    for (const auto& r : rows_) {
        const std::string v = std::isfinite(r.value) ? fmt::format("{:.17g}", r.value) : "nan";
        out += fmt::format("{},{},{},{},{},{}\n", r.run, r.epoch, r.step, r.layer, r.metric, v);
    }
    write_text_atomic(path_, out);
}

std::vector<MetricRow> MetricsLog::parse(const std::string& text, const std::string& where) {
    std::vector<MetricRow> rows;
    std::istringstream in(text);
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (lineno == 1) {
            if (line != kHeader)
                throw IoError(fmt::format("{}: line 1: expected header '{}', found '{}'", where, kHeader, line));
            continue;
        }
        if (line.empty()) continue;
        std::vector<std::string> f;
        std::size_t start = 0;
        for (;;) {
            const std::size_t c = line.find(',', start);
            f.push_back(line.substr(start, c == std::string::npos ? std::string::npos : c - start));
            if (c == std::string::npos) break;
            start = c + 1;
        }
        if (f.size() != 6)
            throw IoError(fmt::format("{}: line {}: expected 6 comma-separated fields, found {}", where, lineno,
                                      f.size()));
        MetricRow r;
        try {
            std::size_t used = 0;
            r.run = f[0];
            r.epoch = std::stol(f[1]);
            r.step = std::stol(f[2]);
            r.layer = f[3];
            r.metric = f[4];
            r.value = std::stod(f[5], &used);  // also "nan" (and "-nan", "inf" of older files)
            if (used != f[5].size()) throw std::invalid_argument("trailing characters");
        } catch (const std::exception&) {
            throw IoError(fmt::format("{}: line {}: expected numbers in epoch, step and value, found '{}'", where,
                                      lineno, line));
        }
        if (!std::isfinite(r.value)) r.value = std::numeric_limits<double>::quiet_NaN();
        rows.push_back(std::move(r));
    }
    if (lineno == 0) throw IoError(where + ": empty file, expected the header '" + std::string(kHeader) + "'");
    return rows;
}

void MetricsLog::load() { rows_ = parse(read_text(path_), path_.string()); }

void MetricsLog::drop_after(const std::string& run, long epoch) {
    std::vector<MetricRow> kept;
    for (auto& r : rows_)
        if (r.run != run || r.epoch <= epoch) kept.push_back(std::move(r));
    rows_ = std::move(kept);
}

std::size_t MetricsLog::count(const std::string& run, long max_epoch) const {
    std::size_t n = 0;
    for (const auto& r : rows_) n += r.run == run && (max_epoch < 0 || r.epoch <= max_epoch);
    return n;
}

void MetricsLog::drop_run(const std::string& run) {
    std::vector<MetricRow> kept;
    for (auto& r : rows_)
        if (r.run != run) kept.push_back(std::move(r));
    rows_ = std::move(kept);
}

std::vector<std::pair<long, double>> MetricsLog::series(const std::string& run, const std::string& metric,
                                                        const std::string& layer) const {
    std::vector<std::pair<long, double>> out;
    for (const auto& r : rows_)
        if (r.run == run && r.metric == metric && r.layer == layer) out.emplace_back(r.epoch, r.value);
    return out;
}

double MetricsLog::last(const std::string& run, const std::string& metric, const std::string& layer) const {
    const auto s = series(run, metric, layer);
    return s.empty() ? std::numeric_limits<double>::quiet_NaN() : s.back().second;
}

}  // namespace gt::experiments
