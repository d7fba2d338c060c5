#include "experiments/cli.hpp"

int main(int argc, char** argv) { return gt::experiments::main_cli(argc, argv); }
