// Text formatting shared by the figure drivers and the reports: times, table numbers, HTML text.
#pragma once

#include <string>

namespace gt::experiments {

/// Current UTC time as ISO 8601 ("2026-11-28T12:00:00Z").
std::string utc_now();

/// Formats a number for tables: fixed with `digits` significant figures ("0.9821", "1.743e+09").
std::string fmt_num(double v, int digits = 4);

/// Escapes & < > " ' for HTML text and attribute values (single- or double-quoted).
std::string html_escape(const std::string& s);

}  // namespace gt::experiments
