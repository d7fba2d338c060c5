#include "experiments/sweep/merge.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/metrics.hpp"
#include "experiments/plot.hpp"
#include "experiments/sweep/status.hpp"
#include "platform/files.hpp"

namespace gt::experiments::sweep {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxPanels = 6;
constexpr std::size_t kMaxKeyedCurves = 12;  // beyond this a panel draws lines only: a legend would not fit

// ---- small text helpers ----------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

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

std::string percent_encode(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
        if (is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') o += static_cast<char>(c);
        else o += fmt::format("%{:02X}", c);
    }
    return o;
}

/// A relative href from report/ into the sweep folder: "../tasks/<name>/<folder>/summary.json".
std::string href(const std::vector<std::string>& parts, bool folder = false) {
    std::string o = "..";
    for (const auto& p : parts) o += "/" + percent_encode(p);
    return folder ? o + "/" : o;
}

/// Markdown text: no table breaks, no raw HTML.
std::string md(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '|': o += "\\|"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '&': o += "&amp;"; break;
            case '\n': case '\r': o += ' '; break;
            default: o += c;
        }
    }
    return o;
}

/// Text inside a gnuplot single-quoted literal: no control characters (a newline would end the command).
std::string gp_text(const std::string& s) {
    std::string o;
    for (char c : s) o += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    return gp_quote(o);
}

std::string json_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

// ---- statistics --------------------------------------------------------------------------------------

struct Stats {
    std::size_t n = 0, nonfinite = 0;
    double mean = kNaN, std = kNaN, min = kNaN, max = kNaN;
};

/// Mean, sample standard deviation (n − 1; 0 for one value), min and max of the finite values.
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

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json stats_json(const Stats& s) {
    json j = {{"n", s.n}, {"mean", num(s.mean)}, {"std", num(s.std)}, {"min", num(s.min)}, {"max", num(s.max)}};
    if (s.nonfinite) j["nonfinite"] = s.nonfinite;
    return j;
}

/// "0.8 ± 0.1" (the std dropped when every value is the same).
std::string pm(const Stats& s) {
    if (s.n == 0) return "nan";
    if (s.min == s.max) return fmt_num(s.mean);
    return fmt_num(s.mean) + " ± " + fmt_num(s.std, 2);
}

/// Running mean and variance of one point of a curve (Welford), finite values only.
struct Running {
    std::size_t n = 0;
    double mean = 0, m2 = 0;
    void add(double v) {
        if (!std::isfinite(v)) return;
        ++n;
        const double d = v - mean;
        mean += d / static_cast<double>(n);
        m2 += d * (v - mean);
    }
    double sd() const { return n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : 0.0; }
};

// ---- what is gathered per setting ----------------------------------------------------------------------

/// One (run without seed, layer, metric) of a setting: the final value of every seed's run and the mean
/// curve over epochs and over steps.
struct Series {
    std::string run, layer, metric;
    std::vector<double> finals;
    std::map<long, Running> by_epoch, by_step;
};

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
        RowAcc& a = s.rows[it->second];
        double v = kNaN;
        std::string rest;
        if (leading_number(r.ours, v, &rest)) {
            a.leading.push_back(v);
            a.rests.push_back(rest);
        } else {
            a.leading.push_back(kNaN);
            a.rests.push_back("");
            a.texts.push_back(r.ours);
        }
        const Numbers n = numbers_of(r.ours);
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
    for (const ClaimCheck& c : sum.claims) {
        auto [it, fresh] = s.claim_index.emplace(c.claim, s.claims.size());
        if (fresh) s.claims.push_back({c.claim, 0, 0});
        ClaimAcc& a = s.claims[it->second];
        a.pass += c.pass;
        ++a.n;
    }
}

// ---- the task's state ---------------------------------------------------------------------------------

/// Which tasks are done, and what became of the others ("failed: exit 1: ..."), from the task folders
/// alone (the scheduler is not asked: the report may run as a Slurm job itself). A folder that cannot
/// be read makes its task "not finished", never the report fail.
std::vector<std::pair<bool, std::string>> read_states(const fs::path& dir, const Manifest& m) {
    std::vector<std::pair<bool, std::string>> out;
    std::vector<TaskStatus> st;
    try {
        st = task_states(dir, m, false);
    } catch (const std::exception&) {
        st.clear();  // one unreadable attempt.json or progress.json: ask task by task below
    }
    for (const Task& t : m.tasks) {
        if (st.size() == m.tasks.size()) {
            const TaskStatus& s = st[t.index];
            out.emplace_back(s.state == State::done, std::string(state_name(s.state)) + (s.detail.empty() ? "" : ": " + s.detail));
            continue;
        }
        try {
            const bool done = task_done(dir, m, t);
            out.emplace_back(done, done ? "done" : "not finished");
        } catch (const std::exception& e) {
            out.emplace_back(false, std::string("not finished: ") + e.what());
        }
    }
    return out;
}

// ---- merged/metrics.csv, written as it is read ----------------------------------------------------------

/// A file written through a temporary beside it and renamed into place on commit(); removed when the
/// merge fails before that, so the old file stays.
class AtomicStream {
   public:
    explicit AtomicStream(fs::path path) : path_(std::move(path)), tmp_(temp_path_for(path_)) {
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0)
            throw IoError(fmt::format("cannot write {}: folder missing or not writable ({})", path_.string(),
                                      std::strerror(errno)));
    }
    AtomicStream(const AtomicStream&) = delete;
    AtomicStream& operator=(const AtomicStream&) = delete;
    ~AtomicStream() {
        if (fd_ >= 0) ::close(fd_);
        std::error_code ec;
        if (!committed_) fs::remove(tmp_, ec);
    }
    void write(const std::string& s) {
        for (std::size_t done = 0; done < s.size();) {
            const ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw IoError(fmt::format("cannot write {}: write failed ({})", path_.string(), std::strerror(errno)));
            }
            done += static_cast<std::size_t>(n);
        }
    }
    void commit() {
        const int rc = ::close(fd_);
        fd_ = -1;
        if (rc != 0) throw IoError(fmt::format("cannot write {}: close failed ({})", path_.string(), std::strerror(errno)));
        commit_temp(tmp_, path_);  // fsync, rename, folder fsync; removes the temporary on failure
        committed_ = true;
    }

   private:
    fs::path path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

/// One task's metrics.csv: its rows go to `out` behind the task columns, byte for byte, and into the
/// setting's series. MetricsLog::parse checks the file (IoError naming it and the line).
std::size_t merge_task_metrics(const fs::path& file, const Task& t, Setting& s, AtomicStream& out) {
    const std::string text = read_text(file);
    const std::vector<MetricRow> rows = MetricsLog::parse(text, file.string());

    // Per (run as written, layer, metric) of this task: its last value and its curve.
    struct Own {
        std::size_t series;  // index into s.series
        double last = kNaN;
        std::map<long, double> by_epoch, by_step;  // the last value at each epoch / step
    };
    std::vector<Own> own;
    std::unordered_map<std::string, std::size_t> own_index;
    std::unordered_map<std::string, std::string> seed_text;  // run -> the seed column

    const std::string prefix = csv_field(t.name) + "," + csv_field(t.setting_label()) + ",";
    std::string buf;
    std::size_t k = 0, pos = text.find('\n');  // past the header, which parse() checked
    while (pos != std::string::npos && pos < text.size()) {
        const std::size_t start = pos + 1;
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        pos = end < text.size() ? end : std::string::npos;
        if (end == start) continue;  // parse() skips empty lines too
        if (k >= rows.size()) throw IoError(fmt::format("{}: rows and lines disagree", file.string()));
        const MetricRow& r = rows[k++];
        auto [sit, fresh_seed] = seed_text.emplace(r.run, "");
        if (fresh_seed) {
            const long seed = t.seed >= 0 ? t.seed : run_seed(r.run);
            sit->second = seed >= 0 ? std::to_string(seed) : "";
        }
        buf += prefix;
        buf += sit->second;
        buf += ',';
        buf.append(text, start, end - start);
        buf += '\n';
        if (buf.size() >= (1u << 20)) {
            out.write(buf);
            buf.clear();
        }
        auto [oit, fresh] = own_index.emplace(key3(r.run, r.layer, r.metric), own.size());
        if (fresh) {
            const std::string bare = strip_seed(r.run);
            auto [git, new_series] = s.series_index.emplace(key3(bare, r.layer, r.metric), s.series.size());
            if (new_series) s.series.push_back({bare, r.layer, r.metric, {}, {}, {}});
            own.push_back({git->second, kNaN, {}, {}});
        }
        Own& o = own[oit->second];
        o.last = r.value;
        o.by_epoch[r.epoch] = r.value;
        o.by_step[r.step] = r.value;
    }
    if (k != rows.size()) throw IoError(fmt::format("{}: rows and lines disagree", file.string()));
    out.write(buf);
    for (const Own& o : own) {
        Series& g = s.series[o.series];
        g.finals.push_back(o.last);
        for (const auto& [x, v] : o.by_epoch) g.by_epoch[x].add(v);
        for (const auto& [x, v] : o.by_step) g.by_step[x].add(v);
    }
    return rows.size();
}

// ---- settings.json --------------------------------------------------------------------------------------

/// The text after the leading number when every numeric value has the same ("%"), else nullptr.
const std::string* common_rest(const RowAcc& a) {
    const std::string* rest = nullptr;
    for (std::size_t i = 0; i < a.leading.size(); ++i) {
        if (std::isnan(a.leading[i])) continue;
        if (!rest) rest = &a.rests[i];
        else if (a.rests[i] != *rest) return nullptr;
    }
    return rest;
}

json row_json(const RowAcc& a) {
    std::vector<double> numeric;
    for (double v : a.leading)
        if (!std::isnan(v)) numeric.push_back(v);
    json j = {{"quantity", a.quantity}, {"paper", a.paper}, {"values", json::array()}};
    for (double v : a.leading) j["values"].push_back(num(v));
    j.update(stats_json(stats_of(numeric)));
    if (const std::string* rest = common_rest(a)) j["suffix"] = *rest;
    if (!a.texts.empty()) j["not_numeric"] = a.texts;
    if (a.pattern_agrees && !a.slots.empty()) {
        std::string pat;  // "{} / {}"
        for (char c : a.pattern) pat += c == '\x01' ? std::string("{}") : std::string(1, c);
        j["pattern"] = pat;
        j["slots"] = json::array();
        for (const auto& sl : a.slots) j["slots"].push_back(stats_json(stats_of(sl)));
    }
    return j;
}

json settings_json(const Manifest& m, const std::vector<Setting>& settings, const std::vector<MissingTask>& missing,
                   std::size_t merged) {
    json j = {{"format", "gramtape-sweep-settings-1"}, {"preset", m.preset}, {"request", m.request},
              {"tasks", m.tasks.size()}, {"merged", merged}, {"missing", json::array()}, {"settings", json::array()}};
    for (const auto& t : missing) j["missing"].push_back(t.name);
    for (const Setting& s : settings) {
        json e = {{"figure", s.figure}, {"label", s.label}, {"dataset", s.dataset}, {"setting", s.setting},
                  {"tasks", json::array()}, {"seeds", s.seeds}, {"n", s.tasks.size()}};
        for (std::size_t i : s.tasks) e["tasks"].push_back(m.tasks[i].name);
        e["summary"] = json::array();
        for (const RowAcc& a : s.rows) e["summary"].push_back(row_json(a));
        e["claims"] = json::array();
        for (const ClaimAcc& c : s.claims) e["claims"].push_back({{"claim", c.claim}, {"pass", c.pass}, {"n", c.n}});
        e["series"] = json::array();
        for (const Series& g : s.series) {
            json x = {{"run", g.run}, {"layer", g.layer}, {"metric", g.metric}};
            x.update(stats_json(stats_of(g.finals)));
            e["series"].push_back(std::move(x));
        }
        j["settings"].push_back(std::move(e));
    }
    return j;
}

// ---- plots ----------------------------------------------------------------------------------------------

struct Panel {
    std::string figure, metric, layer;
    bool by_epoch = true;
    std::string png, title;
    std::size_t curves = 0;
    std::string failure;  // "" when drawn
};

/// The panels of one figure: its metrics of interest present in the data (a per-layer metric at its last
/// layer), else test_acc and the first metrics found; at most kMaxPanels.
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

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/// Writes plotN.dat and plotN.gp into `folder` and runs gnuplot; a failure is recorded in the panel.
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

// ---- the report -----------------------------------------------------------------------------------------

/// The row's pattern with each number replaced by `slot(k)`: "0.97 ± 0.01 / 0.95 ± 0.02".
template <class F>
std::string fill_pattern(const RowAcc& a, F slot) {
    std::string cell;
    std::size_t k = 0, at = 0;
    while (at < a.pattern.size()) {
        const std::size_t ph = a.pattern.find('\x01', at);
        cell += a.pattern.substr(at, ph == std::string::npos ? std::string::npos : ph - at);
        if (ph == std::string::npos) break;
        cell += slot(k++);
        at = ph + 1;
    }
    return cell;
}

std::vector<double> numeric_leading(const RowAcc& a) {
    std::vector<double> numeric;
    for (double v : a.leading)
        if (!std::isnan(v)) numeric.push_back(v);
    return numeric;
}

std::string setting_value_cell(const RowAcc& a) {
    if (a.pattern_agrees && !a.slots.empty()) {
        // Every seed wrote the same text around its numbers: each number as mean ± std, the text kept
        // ("0.97 ± 0.01 / 0.95 ± 0.02", "L0 9.9e-08 ± 1e-08, L1 ...").
        return fill_pattern(a, [&](std::size_t k) {
                   const Stats ss = stats_of(a.slots[k]);
                   return ss.n > 0 && ss.min == ss.max ? a.first_tokens[k] : pm(ss);
               }) +
               fmt::format(" (n={})", a.leading.size());
    }
    const Stats st = stats_of(numeric_leading(a));
    std::string cell;
    if (st.n > 0) {
        const std::string* rest = common_rest(a);
        cell = pm(st) + (rest && rest->size() <= 3 ? *rest : std::string()) + fmt::format(" (n={})", st.n);
    }
    if (!a.texts.empty()) {
        std::map<std::string, std::size_t> counts;
        for (const auto& t : a.texts) ++counts[t];
        std::string o;
        for (const auto& [t, c] : counts) o += (o.empty() ? "" : ", ") + fmt::format("{} ×{}", t, c);
        cell = st.n > 0 ? cell + "; also " + o : o;
    }
    return cell;
}

std::string range_cell(const RowAcc& a) {
    const auto range = [](const Stats& st) {
        return st.n == 0 ? std::string("nan") : st.min == st.max ? fmt_num(st.min) : fmt_num(st.min) + " – " + fmt_num(st.max);
    };
    if (a.pattern_agrees && !a.slots.empty())
        return fill_pattern(a, [&](std::size_t k) { return range(stats_of(a.slots[k])); });
    const Stats st = stats_of(numeric_leading(a));
    return st.n ? range(st) : "—";
}

struct Page {
    std::string h, m;
    void both(const std::string& html, const std::string& mdtext) {
        h += html;
        m += mdtext;
    }
};

}  // namespace

// ---- public pieces ---------------------------------------------------------------------------------------

std::string strip_seed(const std::string& run) {
    std::string out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = run.find('/', start);
        const std::string part = run.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        const bool seed = part.size() > 4 && part.compare(0, 4, "seed") == 0 &&
                          std::all_of(part.begin() + 4, part.end(), is_digit);
        if (!seed) out += (out.empty() ? "" : "/") + part;
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

long run_seed(const std::string& run) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = run.find('/', start);
        const std::string part = run.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.size() > 4 && part.size() < 15 && part.compare(0, 4, "seed") == 0 &&
            std::all_of(part.begin() + 4, part.end(), is_digit))
            return std::stol(part.substr(4));
        if (slash == std::string::npos) return -1;
        start = slash + 1;
    }
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
}

bool leading_number(const std::string& text, double& value, std::string* rest) {
    const std::size_t len = number_at(text, 0, value);
    if (len == 0) return false;
    if (rest) *rest = text.substr(len);
    return true;
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

MergeResult write_sweep_report(const fs::path& dir) {
    const Manifest m = load_manifest(dir);
    MergeResult res;
    const fs::path merged = dir / "merged", report = dir / "report";
    for (const fs::path& p : {merged, report}) {
        std::error_code ec;
        fs::create_directories(p, ec);
        if (ec || !fs::is_directory(p))
            throw IoError(fmt::format("{}: cannot create the folder ({})", p.string(), ec ? ec.message() : "a file is in the way"));
    }
    res.metrics_csv = merged / "metrics.csv";
    res.settings_json = merged / "settings.json";
    res.report_html = report / "index.html";
    res.report_md = report / "README.md";

    // Settings in first-appearance order; a setting is (figure, label): tasks differing in seed only.
    std::vector<Setting> settings;
    std::unordered_map<std::string, std::size_t> setting_index;
    std::vector<std::size_t> task_setting(m.tasks.size(), 0);
    std::vector<bool> done(m.tasks.size(), false);
    const auto states = read_states(dir, m);
    {
        AtomicStream out(res.metrics_csv);
        out.write("task,setting,seed,run,epoch,step,layer,metric,value\n");
        for (const Task& t : m.tasks) {
            const fs::path run = task_run_folder(dir, m, t);
            if (!states[t.index].first) {
                res.missing_tasks.push_back({t.index, t.name, states[t.index].second});
                continue;
            }
            const std::string label = t.setting_label();
            auto [it, fresh] = setting_index.emplace(t.figure + '\x1f' + label, settings.size());
            if (fresh) {
                settings.push_back({});
                Setting& s = settings.back();
                s.figure = t.figure;
                s.label = label;
                s.dataset = t.dataset;
                s.setting = t.setting;
            }
            Setting& s = settings[it->second];
            s.tasks.push_back(t.index);
            s.seeds.push_back(t.seed);
            task_setting[t.index] = it->second;
            done[t.index] = true;
            const fs::path sj = run / "summary.json";
            add_summary(s, Summary::from_json(read_json(sj), sj.string()));
            res.rows += merge_task_metrics(run / "metrics.csv", t, s, out);
            ++res.merged;
        }
        out.commit();
    }
    res.missing = res.missing_tasks.size();
    write_text_atomic(res.settings_json, dump(settings_json(m, settings, res.missing_tasks, res.merged)));

    // ---- report/ ----
    std::vector<std::string> figs;  // first appearance among all tasks
    for (const Task& t : m.tasks)
        if (std::find(figs.begin(), figs.end(), t.figure) == figs.end()) figs.push_back(t.figure);
    std::string fig_list;
    for (const auto& f : figs) fig_list += (fig_list.empty() ? "" : ", ") + f;

    // The grid as the tasks span it: every key with its values in first-appearance order.
    std::vector<std::pair<std::string, std::vector<std::string>>> grid;
    std::vector<std::string> datasets;
    std::vector<long> seeds;
    for (const Task& t : m.tasks) {
        for (auto it = t.setting.begin(); it != t.setting.end(); ++it) {
            auto g = std::find_if(grid.begin(), grid.end(), [&](const auto& e) { return e.first == it.key(); });
            if (g == grid.end()) {
                grid.push_back({it.key(), {}});
                g = grid.end() - 1;
            }
            const std::string v = json_text(*it);
            if (std::find(g->second.begin(), g->second.end(), v) == g->second.end()) g->second.push_back(v);
        }
        if (!t.dataset.empty() && std::find(datasets.begin(), datasets.end(), t.dataset) == datasets.end())
            datasets.push_back(t.dataset);
        if (std::find(seeds.begin(), seeds.end(), t.seed) == seeds.end()) seeds.push_back(t.seed);
    }
    std::string grid_text;
    for (const auto& [k, vs] : grid) {
        std::string v;
        for (const auto& x : vs) v += (v.empty() ? "" : ", ") + x;
        grid_text += (grid_text.empty() ? "" : "; ") + k + " = " + v;
    }
    if (!datasets.empty()) {
        std::string v;
        for (const auto& x : datasets) v += (v.empty() ? "" : ", ") + x;
        grid_text = "dataset = " + v + (grid_text.empty() ? "" : "; " + grid_text);
    }
    if (grid_text.empty()) grid_text = "(no grid)";
    std::string seed_text;
    for (long s : seeds) seed_text += (seed_text.empty() ? "" : ", ") + (s < 0 ? std::string("the preset's seeds") : std::to_string(s));

    Page pg;
    const std::string title = fmt::format("gramtape sweep — {}, preset {}", fig_list, m.preset);
    pg.h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + html_escape(title) +
            "</title>\n<style>\n"
            "body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;line-height:1.4}\n"
            "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #bbb;padding:.25em .6em;"
            "text-align:left;vertical-align:top}th{background:#eee}\n"
            ".pass{color:#137a13;font-weight:bold}.fail{color:#b00;font-weight:bold}\n"
            "img{max-width:100%;border:1px solid #ddd}code{background:#f4f4f4;padding:0 .2em}\n"
            "</style></head><body>\n";
    pg.both("<h1>" + html_escape(title) + "</h1>\n", "# " + md(title) + "\n\n");
    pg.both(fmt::format("<p><b>Grid:</b> {}<br><b>Seeds:</b> {}<br><b>Tasks:</b> {} merged, {} not finished, {} in all<br>"
                        "<b>Request:</b> <code>{}</code></p>\n"
                        "<p>Every number is the mean ± sample standard deviation over the seeds of a setting (n seeds); "
                        "the merged rows are in <a href=\"../merged/metrics.csv\">merged/metrics.csv</a>, the per-setting "
                        "statistics in <a href=\"../merged/settings.json\">merged/settings.json</a>. Rebuild with "
                        "<code>gramtape sweep report SWEEPDIR</code>.</p>\n",
                        html_escape(grid_text), html_escape(seed_text), res.merged, res.missing, m.tasks.size(),
                        html_escape(json_text(m.request))),
            fmt::format("**Grid:** {}  \n**Seeds:** {}  \n**Tasks:** {} merged, {} not finished, {} in all  \n"
                        "**Request:** `{}`\n\n"
                        "Every number is the mean ± sample standard deviation over the seeds of a setting (n seeds); the "
                        "merged rows are in [merged/metrics.csv](../merged/metrics.csv), the per-setting statistics in "
                        "[merged/settings.json](../merged/settings.json).\n\n",
                        md(grid_text), md(seed_text), res.merged, res.missing, m.tasks.size(), md(json_text(m.request))));

    std::size_t plot_no = 0;
    for (const std::string& fig : figs) {
        std::vector<const Setting*> of;
        for (const Setting& s : settings)
            if (s.figure == fig) of.push_back(&s);
        if (figs.size() > 1) pg.both("<h2>" + html_escape(fig) + "</h2>\n", "## " + md(fig) + "\n\n");
        if (of.empty()) {
            pg.both("<p>No finished task of this figure yet.</p>\n", "No finished task of this figure yet.\n\n");
            continue;
        }
        // Plots first: the comparison across settings.
        std::vector<Panel> panels = choose_panels(fig, of);
        for (Panel& p : panels) {
            draw_panel(report, fmt::format("plot{}", ++plot_no), p, of);
            if (p.failure.empty()) {
                pg.both(fmt::format("<p><a href=\"{0}\"><img src=\"{0}\" alt=\"{1}\"></a>{2}</p>\n", html_escape(p.png),
                                    html_escape(fig + ": " + p.title),
                                    p.curves > kMaxKeyedCurves
                                        ? fmt::format("<br>{} curves, drawn without a legend or ±std bands", p.curves)
                                        : ""),
                        fmt::format("![{}]({})\n\n", md(fig + ": " + p.title), p.png));
            } else {
                res.plot_failures.push_back(p.png + ": " + p.failure);
                const std::string gp = p.png.substr(0, p.png.size() - 4) + ".gp";
                pg.both(fmt::format("<p class=\"fail\">Plot {} ({}) could not be drawn: {} (the merged data are complete; "
                                    "run <code>gnuplot {}</code> in report/ to retry)</p>\n",
                                    html_escape(p.png), html_escape(p.title), html_escape(p.failure), html_escape(gp)),
                        fmt::format("**Plot {} ({}) could not be drawn:** {} (the merged data are complete; run `gnuplot {}` "
                                    "in report/ to retry)\n\n",
                                    p.png, md(p.title), md(p.failure), gp));
            }
        }
        for (const Setting* s : of) {
            std::string seeds_of;
            for (long x : s->seeds) seeds_of += (seeds_of.empty() ? "" : ", ") + (x < 0 ? std::string("preset") : std::to_string(x));
            const std::string n_seeds = fmt::format("{} {}", s->tasks.size(), s->tasks.size() == 1 ? "seed" : "seeds");
            pg.both(fmt::format("<h3>{}</h3>\n<p>{}: {}</p>\n", html_escape(s->label), n_seeds, html_escape(seeds_of)),
                    fmt::format("### {}\n\n{}: {}\n\n", md(s->label), n_seeds, md(seeds_of)));
            if (!s->rows.empty()) {
                pg.both("<table><tr><th>Quantity</th><th>Ours: mean ± std (n)</th><th>Range</th><th>Paper</th></tr>\n",
                        "| Quantity | Ours: mean ± std (n) | Range | Paper |\n|---|---|---|---|\n");
                for (const RowAcc& a : s->rows)
                    pg.both(fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", html_escape(a.quantity),
                                        html_escape(setting_value_cell(a)), html_escape(range_cell(a)), html_escape(a.paper)),
                            fmt::format("| {} | {} | {} | {} |\n", md(a.quantity), md(setting_value_cell(a)),
                                        md(range_cell(a)), md(a.paper)));
                pg.both("</table>\n", "\n");
            }
            if (!s->claims.empty()) {
                pg.both("<ul>\n", "");
                for (const ClaimAcc& c : s->claims) {
                    const char* cls = c.pass == c.n ? "pass" : "fail";
                    pg.both(fmt::format("<li><span class=\"{}\">{}/{} pass</span> {}</li>\n", cls, c.pass, c.n,
                                        html_escape(c.claim)),
                            fmt::format("- **{}/{} pass** {}\n", c.pass, c.n, md(c.claim)));
                }
                pg.both("</ul>\n", "\n");
            }
            // The final values of the plotted series.
            std::string fh, fm;
            for (const Series& g : s->series) {
                const bool plotted = std::any_of(panels.begin(), panels.end(),
                                                 [&](const Panel& p) { return p.metric == g.metric && p.layer == g.layer; });
                if (!plotted) continue;
                const Stats st = stats_of(g.finals);
                const std::string what = (g.run.empty() ? "" : g.run + ": ") + g.metric + (g.layer.empty() ? "" : ", layer " + g.layer);
                const std::string val = fmt::format("{} (n={}{})", pm(st), st.n, st.nonfinite ? fmt::format(", {} not finite", st.nonfinite) : "");
                fh += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", html_escape(what), html_escape(val));
                fm += fmt::format("| {} | {} |\n", md(what), md(val));
            }
            if (!fh.empty())
                pg.both("<table><tr><th>Final value of</th><th>mean ± std (n)</th></tr>\n" + fh + "</table>\n",
                        "| Final value of | mean ± std (n) |\n|---|---|\n" + fm + "\n");
        }
    }

    if (res.merged == 0)
        pg.both("<h2>Merged tasks</h2>\n<p>No task has finished yet.</p>\n", "## Merged tasks\n\nNo task has finished yet.\n\n");
    else
        pg.both("<h2>Merged tasks</h2>\n<table><tr><th>#</th><th>Task</th><th>Setting</th><th>Seed</th><th>Files</th></tr>\n",
                "## Merged tasks\n\n| # | Task | Setting | Seed | Files |\n|---|---|---|---|---|\n");
    for (const Task& t : m.tasks) {
        if (!done[t.index]) continue;
        const std::string folder = task_run_folder(dir, m, t).filename().string();
        const std::string run = href({"tasks", t.name, folder}, true), sum = href({"tasks", t.name, folder, "summary.json"}),
                          log = href({"logs", t.name + ".log"});
        const std::string seed = t.seed < 0 ? "preset" : std::to_string(t.seed);
        pg.both(fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">run folder</a> · "
                            "<a href=\"{}\">summary.json</a> · <a href=\"{}\">log</a></td></tr>\n",
                            t.index, html_escape(t.name), html_escape(settings[task_setting[t.index]].label), seed,
                            html_escape(run), html_escape(sum), html_escape(log)),
                fmt::format("| {} | {} | {} | {} | [run folder]({}) · [summary.json]({}) · [log]({}) |\n", t.index,
                            md(t.name), md(t.setting_label()), seed, run, sum, log));
    }
    if (res.merged > 0) pg.both("</table>\n", "\n");
    if (!res.missing_tasks.empty()) {
        pg.both("<h2>Not merged</h2>\n<table><tr><th>#</th><th>Task</th><th>Setting</th><th>State</th><th>Log</th></tr>\n",
                "## Not merged\n\n| # | Task | Setting | State | Log |\n|---|---|---|---|---|\n");
        for (const MissingTask& mt : res.missing_tasks) {
            const Task& t = m.tasks[mt.index];
            const std::string log = href({"logs", t.name + ".log"});
            pg.both(fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">log</a></td></tr>\n",
                                t.index, html_escape(t.name), html_escape(t.setting_label()), html_escape(mt.state),
                                html_escape(log)),
                    fmt::format("| {} | {} | {} | {} | [log]({}) |\n", t.index, md(t.name), md(t.setting_label()),
                                md(mt.state), log));
        }
        pg.both("</table>\n", "\n");
    }
    pg.h += "</body></html>\n";
    write_text_atomic(res.report_html, pg.h);
    write_text_atomic(res.report_md, pg.m);
    return res;
}

}  // namespace gt::experiments::sweep
