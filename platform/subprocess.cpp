#include "platform/subprocess.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace gt {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// Closes the file descriptors and destroys the spawn objects on every path out.
struct Resources {
    std::vector<int> fds;
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    Resources() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~Resources() {
        for (int fd : fds)
            if (fd >= 0) ::close(fd);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    int keep(int fd) {
        fds.push_back(fd);
        return fd;
    }
    void close_now(int& fd) {
        for (int& f : fds)
            if (f == fd) f = -1;
        ::close(fd);
        fd = -1;
    }
};

/// Our environment with `extra` ("NAME=value") added or replacing entries of the same name.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& x : extra) replaced |= x.substr(0, x.find('=')) == name;
        if (!replaced) env.push_back(entry);
    }
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& v) {
    std::vector<char*> p;
    for (auto& s : v) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
}

}  // namespace

RunResult run_program(const std::vector<std::string>& argv_in, const SpawnOptions& o) {
    if (argv_in.empty() || argv_in[0].empty()) throw SpawnError("run_program: no program given");
    const std::string& prog = argv_in[0];
    auto fail = [&](const std::string& why) { throw SpawnError("cannot run " + prog + ": " + why); };
    struct stat st{};
    if (!o.cwd.empty() && (::stat(o.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
        fail("working directory '" + o.cwd + "' is not a folder");

    Resources r;
    const int devnull = r.keep(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (devnull < 0) fail("cannot open /dev/null (" + errno_text(errno) + ")");
    posix_spawn_file_actions_adddup2(&r.actions, devnull, 0);
    int pipe_read = -1, pipe_write = -1;
    if (!o.output_file.empty()) {
        // Opened here, not in the child, so a bad path is named as such (not "program not found").
        const int out = r.keep(::open(o.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (out < 0) fail("cannot write its output to '" + o.output_file + "' (" + errno_text(errno) + ")");
        posix_spawn_file_actions_adddup2(&r.actions, out, 1);
        posix_spawn_file_actions_adddup2(&r.actions, out, 2);
    } else if (o.capture) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) fail("pipe failed (" + errno_text(errno) + ")");
        pipe_read = r.keep(p[0]);
        pipe_write = r.keep(p[1]);
        posix_spawn_file_actions_adddup2(&r.actions, pipe_write, 1);
        posix_spawn_file_actions_adddup2(&r.actions, pipe_write, 2);
    }
    if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&r.actions, o.cwd.c_str());
    // The child starts with no blocked signals and the default SIGPIPE, SIGTERM, SIGINT and SIGHUP,
    // whatever ours are (a sweep's task runner ignores the last three so as to record the child's end).
    sigset_t none, pipe_sig;
    sigemptyset(&none);
    sigemptyset(&pipe_sig);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) sigaddset(&pipe_sig, sig);
    posix_spawnattr_setsigmask(&r.attr, &none);
    posix_spawnattr_setsigdefault(&r.attr, &pipe_sig);
    posix_spawnattr_setflags(&r.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args = argv_in, env = child_environment(o.env);
    std::vector<char*> argp = pointers(args), envp = pointers(env);
    pid_t pid = -1;
    const int err = ::posix_spawnp(&pid, prog.c_str(), &r.actions, &r.attr, argp.data(), envp.data());
    if (err == ENOENT) {
        const std::string where = prog.find('/') == std::string::npos ? " on PATH" : "";
        throw SpawnError(prog + " not found" + where + (o.hint.empty() ? "" : " (" + o.hint + ")"));
    }
    if (err != 0) fail(errno_text(err));

    RunResult res;
    if (pipe_read >= 0) {
        r.close_now(pipe_write);  // our copy: EOF comes when the child's ends close
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(pipe_read, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            res.output.append(buf, std::size_t(n));
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail("waitpid failed (" + errno_text(errno) + ")");
    res.status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    return res;
}

}  // namespace gt
