#include "experiments/io.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>

#include "nn/durable.hpp"

namespace gt::experiments {

fs::path temp_path_for(const fs::path& path) {
    static std::atomic<unsigned> counter{0};
    const std::string name = fmt::format(".{}.tmp.{}.{}", path.filename().string(), static_cast<long>(::getpid()),
                                         counter.fetch_add(1));
    return path.parent_path() / name;
}

void commit_temp(const fs::path& tmp, const fs::path& path) {
    std::error_code ec;
    // The temporary's bytes reach the disk before the rename publishes them (power loss).
    if (const int err = nn::sync_path(tmp.string())) {
        fs::remove(tmp, ec);
        throw IoError("cannot write " + path.string() + ": flushing " + tmp.filename().string() +
                      " to disk failed (fsync: " + std::strerror(err) + ")");
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
    }
    nn::sync_parent_folder(path.string());
}

void write_text_atomic(const fs::path& path, const std::string& text) {
    const fs::path tmp = temp_path_for(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw IoError("cannot write " + path.string() + ": folder missing or not writable (" + std::strerror(errno) + ")");
    int err = 0;
    for (std::size_t done = 0; done < text.size() && !err;) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno != EINTR) err = errno;
        } else {
            done += static_cast<std::size_t>(n);
        }
    }
    const bool write_failed = err != 0;
    if (!err) err = nn::sync_file(fd);
    if (::close(fd) != 0 && !err) err = errno;
    if (err) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw IoError("cannot write " + path.string() + ": " + (write_failed ? "write failed (" : "flushing to disk failed (fsync: ") +
                      std::strerror(err) + ")");
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw IoError("cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
    }
    nn::sync_parent_folder(path.string());
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
