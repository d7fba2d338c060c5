// A scratch folder for tests: fresh under the system temp dir, removed with its contents at scope exit.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace gt::testing {

class ScratchDir {
   public:
    std::filesystem::path path;
    explicit ScratchDir(const std::string& prefix) {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() /
               (prefix + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::string str() const { return path.string(); }
};

}  // namespace gt::testing
