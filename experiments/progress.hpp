// A progress line (epoch, step, loss, rate, ETA): redrawn in place on a terminal, plain periodic lines
// otherwise (logs, CI). Written to stderr so stdout stays for results.
#pragma once

#include <chrono>
#include <string>

namespace gt::experiments {

class Progress {
   public:
    /// total: the number of ticks this run will make; done: how many a resumed run already made.
    Progress(std::string label, long total, long done = 0);
    ~Progress();
    void tick(long epoch, long step, double loss, long n = 1);
    /// Prints the final line (always).
    void finish();
    /// Set to false to silence all output (tests).
    static void set_enabled(bool on);

   private:
    void draw(bool final);
    std::string label_;
    long total_, done_, start_done_;
    long epoch_ = 0, step_ = 0;
    double loss_ = 0.0;
    bool tty_, finished_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace gt::experiments
