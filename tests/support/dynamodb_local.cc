#include "support/dynamodb_local.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

namespace altgw::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "\nFATAL (test setup): %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(3);
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

DynamoDbLocal* shared_instance = nullptr;

void KillSharedInstance() {
  delete shared_instance;
  shared_instance = nullptr;
}

}  // namespace

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    Die("cannot find a free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::string DynamoDbLocalDir() {
  if (const char* dir = std::getenv("ALTGW_DYNAMODB_LOCAL_DIR"); dir != nullptr && *dir != '\0') return dir;
  return std::string(ALTGW_SOURCE_DIR) + "/.tools/dynamodb-local";
}

DynamoDbLocal& DynamoDbLocal::Shared() {
  if (shared_instance == nullptr) {
    shared_instance = new DynamoDbLocal();
    std::atexit(KillSharedInstance);
  }
  return *shared_instance;
}

DynamoDbLocal::DynamoDbLocal() {
  const std::string dir = DynamoDbLocalDir();
  const std::string jar = dir + "/DynamoDBLocal.jar";
  struct stat info;
  if (stat(jar.c_str(), &info) != 0) {
    Die("DynamoDB Local is not installed at " + dir + " (run scripts/setup.sh, or set ALTGW_DYNAMODB_LOCAL_DIR)");
  }
  // A port found free can be taken by another process before Java binds it: then another one is tried.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (Start(dir, jar)) return;
  }
  Die("DynamoDB Local found its port taken three times");
}

bool DynamoDbLocal::Start(const std::string& dir, const std::string& jar) {
  port_ = FreeLoopbackPort();
  endpoint_ = "http://127.0.0.1:" + std::to_string(port_);
  const std::string library_path = "-Djava.library.path=" + dir + "/DynamoDBLocal_lib";
  const std::string port = std::to_string(port_);
  const std::string log = "/tmp/altgw-dynamodb-local-" + port + ".log";
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) Die("fork failed");
  if (pid_ == 0) {
    // The child dies with the test binary, even if the binary crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    setenv("DDB_LOCAL_TELEMETRY", "0", 1);
    freopen(log.c_str(), "w", stdout);
    freopen(log.c_str(), "a", stderr);
    execlp("java", "java", library_path.c_str(), "-jar", jar.c_str(), "-inMemory", "-sharedDb",
           "-disableTelemetry", "-port", port.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Ready once ListTables answers.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(log);
      const std::string text(std::istreambuf_iterator<char>(in), {});
      if (text.find("BindException") != std::string::npos) return false;
      Die("DynamoDB Local exited at start (is Java 17 installed? see " + log + ")");
    }
    if (Call("ListTables", nlohmann::json::object()).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Die("DynamoDB Local did not become ready within 120 s");
}

DynamoDbLocal::~DynamoDbLocal() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

DynamoDbLocal::Answer DynamoDbLocal::Call(const std::string& operation, const nlohmann::json& body) const {
  Answer answer;
  CURL* curl = curl_easy_init();
  std::string request = body.dump();
  std::string response;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("X-Amz-Target: DynamoDB_20120810." + operation).c_str());
  headers = curl_slist_append(headers, "Content-Type: application/x-amz-json-1.0");
  headers = curl_slist_append(headers,
                              "Authorization: AWS4-HMAC-SHA256 Credential=alternatorgateway/20260101/us-east-1/"
                              "dynamodb/aws4_request, SignedHeaders=host, Signature=0");
  curl_easy_setopt(curl, CURLOPT_URL, (endpoint_ + "/").c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    answer.body = nlohmann::json::parse(response, nullptr, /*allow_exceptions=*/false);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return answer;
}

}  // namespace altgw::testing
