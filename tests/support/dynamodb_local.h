// DynamoDbLocal: a real DynamoDB Local process for integration tests, started once per test binary on a
// free loopback port (telemetry off, in memory), and killed when the binary exits.
#ifndef ALTGW_TESTS_SUPPORT_DYNAMODB_LOCAL_H_
#define ALTGW_TESTS_SUPPORT_DYNAMODB_LOCAL_H_

#include <sys/types.h>

#include <string>

#include "nlohmann/json.hpp"

namespace altgw::testing {

class DynamoDbLocal {
 public:
  // The shared instance, started on first use. Aborts the test binary with a clear message when DynamoDB
  // Local is not installed (run scripts/setup.sh) or does not start: tests never silently skip.
  static DynamoDbLocal& Shared();

  // "http://127.0.0.1:<port>"
  const std::string& endpoint() const { return endpoint_; }
  int port() const { return port_; }

  // Calls the DynamoDB API directly (bypassing the gateway), synchronously; returns the HTTP status and
  // the parsed body. For checking what the database really holds.
  struct Answer {
    long status = 0;
    nlohmann::json body;
  };
  Answer Call(const std::string& operation, const nlohmann::json& body) const;

  ~DynamoDbLocal();

 private:
  DynamoDbLocal();
  // Starts Java on a free port and waits until it answers; false when the port was taken meanwhile.
  bool Start(const std::string& dir, const std::string& jar);

  pid_t pid_ = -1;
  int port_ = 0;
  std::string endpoint_;
};

// A free TCP port on 127.0.0.1, bound and released: another process may take it before the caller binds
// it. Prefer port 0 where the program can report what it bound; retry where it cannot.
int FreeLoopbackPort();

// The directory holding DynamoDBLocal.jar: $ALTGW_DYNAMODB_LOCAL_DIR, or <source>/.tools/dynamodb-local.
std::string DynamoDbLocalDir();

}  // namespace altgw::testing

#endif  // ALTGW_TESTS_SUPPORT_DYNAMODB_LOCAL_H_
