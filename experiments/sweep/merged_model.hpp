// The merged model of a sweep, internal to `gramtape sweep report`: per setting (tasks differing in seed
// only), the seeds' summary rows, claim tallies and metric series, and the statistics over the seeds.
// merge.cpp builds it while reading the tasks; settings.json and the page are drawn from it.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "experiments/figure.hpp"

namespace gt::experiments::sweep {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ASCII only: the <cctype> tests follow the locale.
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ---- statistics over the seeds --------------------------------------------------------------------------

struct Stats {
    std::size_t n = 0, nonfinite = 0;
    double mean = kNaN, std = kNaN, min = kNaN, max = kNaN;
};

/// Mean, sample standard deviation (n − 1; 0 for one value), min and max of the finite values.
Stats stats_of(const std::vector<double>& v);
/// A finite number, else null (JSON has no NaN).
json json_number(double v);
/// {"n", "mean", "std", "min", "max"} and "nonfinite" when there were any.
json stats_json(const Stats& s);
/// "0.8 ± 0.1" (the std dropped when every value is the same).
std::string pm(const Stats& s);

/// Running mean and variance of one point of a curve (Welford), finite values only.
struct Running {
    std::size_t n = 0;
    double mean = 0, m2 = 0;
    void add(double v);
    double sd() const;
};

// ---- what is gathered per setting ------------------------------------------------------------------------

/// One (run without seed, layer, metric) of a setting: the final value of every seed's run and the mean
/// curve over epochs and over steps.
struct Series {
    std::string run, layer, metric;
    std::vector<double> finals;
    std::map<long, Running> by_epoch, by_step;
};

/// One summary row of a setting over its seeds.
struct RowAcc {
    std::string quantity, paper;
    std::vector<double> leading;        // the leading number of each seed's value (NaN when not numeric)
    std::vector<std::string> rests;     // what follows it
    std::vector<std::string> texts;     // the values that do not start with a number
    std::string pattern;                // shared by every seed's value, or "" when they differ
    bool pattern_agrees = true;
    std::vector<std::vector<double>> slots;  // per number of the pattern, its value per seed
    std::vector<std::string> first_tokens;
};

struct ClaimAcc {
    std::string claim;
    std::size_t pass = 0, n = 0;
};

struct Setting {
    std::string figure, label, dataset;
    json setting;
    std::vector<std::size_t> tasks;
    std::vector<long> seeds;
    std::vector<RowAcc> rows;
    std::unordered_map<std::string, std::size_t> row_index;
    std::vector<ClaimAcc> claims;
    std::unordered_map<std::string, std::size_t> claim_index;
    std::vector<Series> series;
    std::unordered_map<std::string, std::size_t> series_index;
};

/// The finished tasks of a sweep, gathered: settings in first-appearance order, and per task index its
/// setting and whether it was merged.
struct MergedTasks {
    std::vector<Setting> settings;
    std::vector<std::size_t> task_setting;
    std::vector<bool> done;
};

/// A map key of three strings (joined by \x1f, which no name holds).
std::string key3(const std::string& a, const std::string& b, const std::string& c);

/// Adds one seed's summary (rows and claims) to its setting.
void add_summary(Setting& s, const Summary& sum);

/// The text after the leading number when every numeric value has the same ("%"), else nullptr.
const std::string* common_rest(const RowAcc& a);
/// The leading numbers of the seeds whose value starts with one.
std::vector<double> numeric_leading(const RowAcc& a);

}  // namespace gt::experiments::sweep
