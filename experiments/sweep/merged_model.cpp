#include "experiments/sweep/merged_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "experiments/format.hpp"
#include "experiments/sweep/merge.hpp"

namespace gt::experiments::sweep {

namespace {

/// The number token at text[i] (the caller checked that one may start there): [-]digits[.digits][e[+-]digits],
/// "−" (U+2212) read as "-". Returns its length in bytes, 0 when there is none; `value` receives it.
std::size_t number_at(const std::string& text, std::size_t i, double& value) {
    std::string tok;
    std::size_t j = i;
    if (j < text.size() && text[j] == '-') {
        tok += '-';
        ++j;
    } else if (text.compare(j, 3, "\xE2\x88\x92") == 0) {
        tok += '-';
        j += 3;
    }
    const std::size_t int_start = j;
    while (j < text.size() && is_digit(text[j])) tok += text[j++];
    bool digits = j > int_start;
    if (j + 1 < text.size() && text[j] == '.' && is_digit(text[j + 1])) {
        tok += text[j++];
        while (j < text.size() && is_digit(text[j])) tok += text[j++];
        digits = true;
    }
    if (!digits) return 0;
    if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < text.size() && is_digit(text[k])) {
            tok += text.substr(j, k - j);
            j = k;
            while (j < text.size() && is_digit(text[j])) tok += text[j++];
        }
    }
    value = std::strtod(tok.c_str(), nullptr);
    return j - i;
}

/// Every number of a summary value and the text around them: "0.97 / 0.95" -> {0.97, 0.95}, "{} / {}".
/// A number glued to a word ("L3", "x2") is text.
struct Numbers {
    std::vector<double> values;
    std::vector<std::string> tokens;  // as written
    std::string pattern;              // the text with \x01 for each number
};

Numbers numbers_of(const std::string& text) {
    Numbers n;
    std::size_t i = 0;
    while (i < text.size()) {
        const bool glued = i > 0 && (is_alnum(text[i - 1]) || text[i - 1] == '.' || text[i - 1] == '_');
        double v = 0;
        const std::size_t len = glued ? 0 : number_at(text, i, v);
        if (len == 0) {
            n.pattern += text[i++];
            continue;
        }
        n.values.push_back(v);
        n.tokens.push_back(text.substr(i, len));
        n.pattern += '\x01';
        i += len;
    }
    return n;
}

/// One seed's value of a summary row: its leading number and the numbers of its pattern.
void add_row_value(RowAcc& a, bool fresh, const std::string& ours) {
    double v = kNaN;
    std::string rest;
    if (leading_number(ours, v, &rest)) {
        a.leading.push_back(v);
        a.rests.push_back(rest);
    } else {
        a.leading.push_back(kNaN);
        a.rests.push_back("");
        a.texts.push_back(ours);
    }
    const Numbers n = numbers_of(ours);
    if (fresh) {
        a.pattern = n.pattern;
        a.slots.resize(n.values.size());
        a.first_tokens = n.tokens;
    } else if (n.pattern != a.pattern) {
        a.pattern_agrees = false;
    }
    if (a.pattern_agrees)
        for (std::size_t k = 0; k < n.values.size(); ++k) a.slots[k].push_back(n.values[k]);
}

}  // namespace

// ---- statistics --------------------------------------------------------------------------------------

Stats stats_of(const std::vector<double>& v) {
    Stats s;
    double sum = 0;
    for (double x : v) {
        if (!std::isfinite(x)) {
            ++s.nonfinite;
            continue;
        }
        if (s.n == 0) s.min = s.max = x;
        s.min = std::min(s.min, x);
        s.max = std::max(s.max, x);
        sum += x;
        ++s.n;
    }
    if (s.n == 0) return s;
    s.mean = sum / static_cast<double>(s.n);
    double ss = 0;
    for (double x : v)
        if (std::isfinite(x)) ss += (x - s.mean) * (x - s.mean);
    s.std = s.n > 1 ? std::sqrt(ss / static_cast<double>(s.n - 1)) : 0.0;
    return s;
}

json json_number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json stats_json(const Stats& s) {
    json j = {{"n", s.n}, {"mean", json_number(s.mean)}, {"std", json_number(s.std)}, {"min", json_number(s.min)},
              {"max", json_number(s.max)}};
    if (s.nonfinite) j["nonfinite"] = s.nonfinite;
    return j;
}

std::string pm(const Stats& s) {
    if (s.n == 0) return "nan";
    if (s.min == s.max) return fmt_num(s.mean);
    return fmt_num(s.mean) + " ± " + fmt_num(s.std, 2);
}

void Running::add(double v) {
    if (!std::isfinite(v)) return;
    ++n;
    const double d = v - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (v - mean);
}

double Running::sd() const { return n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : 0.0; }

// ---- per setting -----------------------------------------------------------------------------------------

std::string key3(const std::string& a, const std::string& b, const std::string& c) {
    std::string k = a;
    k += '\x1f';
    k += b;
    k += '\x1f';
    k += c;
    return k;
}

void add_summary(Setting& s, const Summary& sum) {
    for (const SummaryRow& r : sum.rows) {
        auto [it, fresh] = s.row_index.emplace(r.quantity, s.rows.size());
        if (fresh) {
            s.rows.push_back({});
            s.rows.back().quantity = r.quantity;
            s.rows.back().paper = r.paper;
        }
        add_row_value(s.rows[it->second], fresh, r.ours);
    }
    for (const ClaimCheck& c : sum.claims) {
        auto [it, fresh] = s.claim_index.emplace(c.claim, s.claims.size());
        if (fresh) s.claims.push_back({c.claim, 0, 0});
        ClaimAcc& a = s.claims[it->second];
        a.pass += c.pass;
        ++a.n;
    }
}

const std::string* common_rest(const RowAcc& a) {
    const std::string* rest = nullptr;
    for (std::size_t i = 0; i < a.leading.size(); ++i) {
        if (std::isnan(a.leading[i])) continue;
        if (!rest) rest = &a.rests[i];
        else if (a.rests[i] != *rest) return nullptr;
    }
    return rest;
}

std::vector<double> numeric_leading(const RowAcc& a) {
    std::vector<double> numeric;
    for (double v : a.leading)
        if (!std::isnan(v)) numeric.push_back(v);
    return numeric;
}

// ---- public pieces (declared in merge.hpp) ----------------------------------------------------------------

bool leading_number(const std::string& text, double& value, std::string* rest) {
    const std::size_t len = number_at(text, 0, value);
    if (len == 0) return false;
    if (rest) *rest = text.substr(len);
    return true;
}

}  // namespace gt::experiments::sweep
