// The altgw command line: parses arguments, calls the gateway through the client library, prints JSON lines.
#ifndef ALTGW_CLI_COMMANDS_H_
#define ALTGW_CLI_COMMANDS_H_

#include <iosfwd>

namespace altgw::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCallFailed = 1;    // the gateway (or the connection) reported an error
inline constexpr int kExitBadInput = 2;      // bad arguments or JSON; nothing was sent
inline constexpr int kExitPartial = 3;       // batch-write: some entries were not applied

// Runs one altgw command; returns the process exit code. Results go to `out` (JSON lines), errors and
// progress to `err`.
int Run(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace altgw::cli

#endif  // ALTGW_CLI_COMMANDS_H_
