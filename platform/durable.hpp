// Durable file replacement: the bytes of a temporary file reach the disk (fsync) before it is renamed
// over the final name, and the folder entry of the rename is synced afterwards (best effort), so a
// power loss leaves either the old file or the complete new one, never a renamed-but-empty file.
// Used by every atomic write of platform/files.cpp.
#pragma once

#include <string>

namespace gt {

/// fsync(fd). Returns 0, or the errno of the failure.
int sync_file(int fd);
/// Opens `path` read-only and fsyncs it. Returns 0, or the errno of the failure.
int sync_path(const std::string& path);
/// fsync of the folder that holds `path`, so a rename into it is durable. Best effort: a file system
/// that cannot sync folders is not an error.
void sync_parent_folder(const std::string& path);

/// Test hook: when set, called instead of ::fsync for every sync above (it may fail with errno set
/// and -1 returned, like fsync). nullptr restores ::fsync.
using FsyncFn = int (*)(int fd);
void set_fsync_hook(FsyncFn fn);

}  // namespace gt
