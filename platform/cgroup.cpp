#include "platform/cgroup.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace gt {

std::vector<std::string> cgroup_files(const std::string& proc_self_cgroup, const std::string& v2_leaf,
                                      const std::string& v1_controller, const std::string& v1_leaf) {
    std::vector<std::string> files;
    std::istringstream in(proc_self_cgroup);
    for (std::string line; std::getline(in, line);) {
        const auto c1 = line.find(':'), c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string::npos) continue;
        const std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
        std::string root, leaf;
        if (line.compare(0, c1, "0") == 0 && controllers.empty()) {
            root = "/sys/fs/cgroup", leaf = "/" + v2_leaf;
        } else {
            bool named = false;
            std::istringstream list(controllers);
            for (std::string c; std::getline(list, c, ',');) named = named || c == v1_controller;
            if (!named) continue;
            root = "/sys/fs/cgroup/" + v1_controller, leaf = "/" + v1_leaf;
        }
        // The cgroup's path and each ancestor's, up to the root ("/a/b" → "/a/b", "/a", "/").
        for (std::string p = line.substr(c2 + 1); !p.empty(); p = p.size() <= 1 ? "" : p.substr(0, std::max<std::size_t>(1, p.rfind('/'))))
            files.push_back(root + (p == "/" ? "" : p) + leaf);
    }
    return files;
}

std::vector<std::string> cgroup_files(const std::string& v2_leaf, const std::string& v1_controller, const std::string& v1_leaf) {
    std::ifstream in("/proc/self/cgroup");
    std::stringstream text;
    text << in.rdbuf();
    return cgroup_files(text.str(), v2_leaf, v1_controller, v1_leaf);
}

}  // namespace gt
