#include "experiments/progress.hpp"

#include <cstdio>

#include <fmt/format.h>
#include <unistd.h>

namespace gt::experiments {

namespace {
bool g_enabled = true;
std::string hms(double s) {
    if (!(s >= 0) || s > 1e7) return "--:--";
    const long t = static_cast<long>(s + 0.5);
    return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60)
                     : fmt::format("{:02}:{:02}", t / 60, t % 60);
}
}  // namespace

void Progress::set_enabled(bool on) { g_enabled = on; }

Progress::Progress(std::string label, long total, long done)
    : label_(std::move(label)), total_(total), done_(done), start_done_(done), tty_(::isatty(2) != 0) {
    start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
    if (!finished_ && tty_ && g_enabled) std::fputc('\n', stderr);
}

void Progress::tick(long epoch, long step, double loss, long n) {
    done_ += n;
    epoch_ = epoch;
    step_ = step;
    loss_ = loss;
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_draw_).count();
    if (since >= (tty_ ? 0.2 : 15.0)) draw(false);
}

void Progress::finish() {
    if (finished_) return;
    draw(true);
    finished_ = true;
}

void Progress::draw(bool final) {
    last_draw_ = std::chrono::steady_clock::now();
    if (!g_enabled) return;
    const double el = std::chrono::duration<double>(last_draw_ - start_).count();
    const long made = done_ - start_done_;
    const double rate = el > 0 ? made / el : 0.0;
    const double eta = rate > 0 ? (total_ - done_) / rate : -1.0;
    const std::string line =
        fmt::format("{}  epoch {}  step {}  loss {:.4g}  {:.1f} it/s  {}/{}  elapsed {}  ETA {}", label_, epoch_,
                    step_, loss_, rate, done_, total_, hms(el), final ? "00:00" : hms(eta));
    if (tty_)
        std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    else
        std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

}  // namespace gt::experiments
