#include "experiments/run_lock.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "platform/files.hpp"

namespace gt::experiments {

namespace {
/// The lock file's text: "pid <n>\nsince <utc>\n" while held, empty after a clean release.
std::string read_all(int fd) {
    std::string s;
    char buf[256];
    if (::lseek(fd, 0, SEEK_SET) < 0) return s;
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0 && s.size() < 4096;) s.append(buf, static_cast<std::size_t>(n));
    return s;
}
long pid_in(const std::string& text) {
    long pid = 0;
    return std::sscanf(text.c_str(), "pid %ld", &pid) == 1 ? pid : 0;
}
}  // namespace

std::shared_ptr<RunLock> RunLock::acquire(const fs::path& folder, const std::string& kind) {
    const fs::path path = folder / ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        throw UsageError(fmt::format("{} '{}': cannot open its lock file .lock ({})", kind, folder.string(),
                                     std::strerror(errno)));
    int rc;
    do rc = ::flock(fd, LOCK_EX | LOCK_NB);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int err = errno;
        const std::string text = read_all(fd);
        ::close(fd);
        if (err == EWOULDBLOCK) {
            const long pid = pid_in(text);
            throw UsageError(fmt::format(
                "{} '{}' is being written by another gramtape process ({}); two writers would corrupt it: "
                "wait for that process to end, or stop it, then run this command again",
                kind, folder.string(), pid ? fmt::format("pid {}", pid) : std::string("pid unknown")));
        }
        throw UsageError(fmt::format("{} '{}': cannot lock .lock ({})", kind, folder.string(), std::strerror(err)));
    }
    std::shared_ptr<RunLock> lock(new RunLock(fd));
    lock->stale_pid_ = pid_in(read_all(fd));
    const std::string text = fmt::format("pid {}\nsince {}\n", static_cast<long>(::getpid()), utc_now());
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
        throw UsageError(fmt::format("{} '{}': cannot write its lock file .lock ({})", kind, folder.string(),
                                     std::strerror(errno)));
    return lock;
}

RunLock::~RunLock() {
    if (fd_ < 0) return;
    (void)!::ftruncate(fd_, 0);
    ::close(fd_);
}

}  // namespace gt::experiments
