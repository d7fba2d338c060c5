#include "experiments/io.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

namespace gt::experiments {

fs::path temp_path_for(const fs::path& path) {
    static std::atomic<unsigned> counter{0};
    const std::string name = fmt::format(".{}.tmp.{}.{}", path.filename().string(), static_cast<long>(::getpid()),
                                         counter.fetch_add(1));
    return path.parent_path() / name;
}

void commit_temp(const fs::path& tmp, const fs::path& path) {
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
    }
}

void write_text_atomic(const fs::path& path, const std::string& text) {
    const fs::path tmp = temp_path_for(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError("cannot write " + path.string() + ": folder missing or not writable");
        out << text;
        out.flush();
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            throw IoError("cannot write " + path.string() + ": write failed (disk full?)");
        }
    }
    commit_temp(tmp, path);
}

void write_json_atomic(const fs::path& path, const json& j) { write_text_atomic(path, j.dump(2) + "\n"); }

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read " + path.string() + ": no such file or not readable");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

json read_json(const fs::path& path) {
    const std::string text = read_text(path);
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw IoError("cannot parse " + path.string() + " as JSON: " + e.what());
    }
}

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

}  // namespace gt::experiments
