// Text formatting shared by the figure drivers and the report: times and table numbers.
#pragma once

#include <string>

namespace gt::experiments {

/// Current UTC time as ISO 8601 ("2026-11-28T12:00:00Z").
std::string utc_now();

/// Formats a number for tables: fixed with `digits` significant figures ("0.9821", "1.743e+09").
std::string fmt_num(double v, int digits = 4);

}  // namespace gt::experiments
