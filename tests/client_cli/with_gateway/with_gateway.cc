// altgw_with_gateway COMMAND [ARGS...]: starts the shared DynamoDB Local and an in-process gateway on a free
// loopback port, runs COMMAND with ALTGW_ADDRESS=<gateway address>, and exits with COMMAND's exit code (1
// when it could not run or was killed by a signal). Lets programs such as the C++ example run as CTest
// tests against a real gateway.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "support/gateway_harness.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: altgw_with_gateway COMMAND [ARGS...]\n";
    return 2;
  }
  altgw::testing::GatewayHarness gateway;
  const std::string address = gateway.address();
  std::cerr << "altgw_with_gateway: gateway on " << address << "\n";
  const pid_t child = fork();
  if (child == 0) {
    setenv("ALTGW_ADDRESS", address.c_str(), 1);
    execv(argv[1], argv + 1);
    std::cerr << "altgw_with_gateway: cannot run " << argv[1] << "\n";
    _exit(127);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) < 0) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::cerr << "altgw_with_gateway: " << argv[1] << " killed by signal " << WTERMSIG(status) << "\n";
  return 1;
}
