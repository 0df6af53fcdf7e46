// altgw: the Alternator Gateway command line (see client/cpp/README.md or `altgw --help`).
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) { return altgw::cli::Run(argc, argv, std::cout, std::cerr); }
