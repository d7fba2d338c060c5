#include "experiments/format.hpp"

#include <chrono>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace gt::experiments {

std::string utc_now() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string fmt_num(double v, int digits) {
    if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    const double a = std::fabs(v);
    if (a != 0.0 && (a >= 1e5 || a < 1e-3)) return fmt::format("{:.{}e}", v, digits - 1);
    return fmt::format("{:.{}g}", v, digits);
}

std::string html_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            case '\'': o += "&#39;"; break;
            default: o += c;
        }
    }
    return o;
}

}  // namespace gt::experiments
