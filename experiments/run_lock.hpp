// The writer's lock of a run folder: an exclusive flock(2) on <folder>/.lock, held while a process
// writes the folder. A second writer is refused with the holder's pid; the kernel drops the lock when
// its holder dies, however it dies, so a killed run's lock is taken over by the next writer (and the
// pid it left in the file is reported as stale).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace gt::experiments {

class RunLock {
   public:
    /// Locks `folder` or throws UsageError naming the folder (as `kind`: "run folder", "sweep folder")
    /// and the pid of the process that holds it.
    static std::shared_ptr<RunLock> acquire(const std::filesystem::path& folder, const std::string& kind = "run folder");
    /// Empties the lock file (a clean release) and closes it, which drops the lock.
    ~RunLock();
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;

    /// The pid a previous holder left in the file when it died without releasing (0 when none).
    long stale_pid() const { return stale_pid_; }

   private:
    explicit RunLock(int fd) : fd_(fd) {}
    int fd_ = -1;
    long stale_pid_ = 0;
};

}  // namespace gt::experiments
