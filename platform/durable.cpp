#include "platform/durable.hpp"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

namespace gt {

namespace {
FsyncFn g_fsync = nullptr;

int do_fsync(int fd) { return g_fsync ? g_fsync(fd) : ::fsync(fd); }
}  // namespace

void set_fsync_hook(FsyncFn fn) { g_fsync = fn; }

int sync_file(int fd) {
    if (do_fsync(fd) != 0) return errno ? errno : EIO;
    return 0;
}

int sync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    const int err = sync_file(fd);
    ::close(fd);
    return err;
}

void sync_parent_folder(const std::string& path) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)do_fsync(fd);
    ::close(fd);
}

}  // namespace gt
