// The `gramtape` command line: list, one subcommand per registered figure, reproduce, report, verify.
#pragma once

namespace gt::experiments {

/// Parses argv and runs the command; returns the process exit status (0 ok, 1 run failed, 2 bad usage).
int main_cli(int argc, char** argv);

}  // namespace gt::experiments
