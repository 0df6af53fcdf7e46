// The real alternator-gateway binary: configuration errors stop it at startup with a non-zero exit and a
// message naming the setting; --help documents every setting; --hash-token prints a token's hash.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "service/authorizer.h"

namespace altgw::config {
namespace {

struct GatewayRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

std::string ShellQuote(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
}

// Runs the gateway with `args` (and `env`: "NAME=value" assignments, `input` on stdin), with a clean
// ALTGW_* environment. Every case here must stop by itself (a timeout kills it after 20 s).
GatewayRun RunGateway(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                      const std::string& input = "") {
  std::string command = "env";
  for (const char* name : {"ALTGW_LISTEN", "ALTGW_BACKEND_ENDPOINTS", "ALTGW_CONFIG", "ALTGW_MAX_ATTEMPTS"}) {
    absl::StrAppend(&command, " -u ", name);
  }
  for (const std::string& assignment : env) absl::StrAppend(&command, " ", ShellQuote(assignment));
  absl::StrAppend(&command, " timeout 20 ", ShellQuote(ALTGW_GATEWAY_BINARY));
  for (const std::string& arg : args) absl::StrAppend(&command, " ", ShellQuote(arg));
  absl::StrAppend(&command, " 2>&1 <<'ALTGW_INPUT_END'\n", input, "\nALTGW_INPUT_END\n");
  GatewayRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(::testing::TempDir(), "altgw_", getpid(), "_", name);
  std::ofstream(path) << text;
  return path;
}

TEST(GatewayBinaryTest, OutOfRangeFlagIsRejected) {
  GatewayRun run = RunGateway({"--max-attempts", "0"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(run.output, "--max-attempts: must be between 1 and 20, got '0'")) << run.output;
}

TEST(GatewayBinaryTest, EnvironmentVariableIsValidatedLikeItsFlag) {
  GatewayRun run = RunGateway({}, {"ALTGW_MAX_ATTEMPTS=99"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(run.output, "--max-attempts: must be between 1 and 20, got '99'")) << run.output;
}

TEST(GatewayBinaryTest, BadDurationIsRejected) {
  GatewayRun run = RunGateway({"--default-deadline", "soon"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(
      run.output, "--default-deadline: must be a positive duration such as 500ms, 10s or 24h, got 'soon'"))
      << run.output;
}

TEST(GatewayBinaryTest, ConfigFileErrorNamesFileAndSetting) {
  const std::string path = WriteTempFile("bad_permission.yaml",
                                         "principals:\n"
                                         "  - name: orders\n"
                                         "    token_sha256: [" +
                                             std::string(64, 'a') +
                                             "]\n"
                                             "    tables: {orders: [wrte]}\n");
  GatewayRun run = RunGateway({"--config", path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(
      run.output, "alternator-gateway: " + path +
                      ": principals[0].tables[\"orders\"]: unknown permission \"wrte\" (read, write or admin)"))
      << run.output;
  // The same through the environment variable.
  run = RunGateway({}, {"ALTGW_CONFIG=" + path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(run.output, "unknown permission \"wrte\"")) << run.output;
}

TEST(GatewayBinaryTest, MissingConfigFileIsAnError) {
  GatewayRun run = RunGateway({"--config", "/nonexistent/altgw.yaml"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(run.output, "--config: cannot read '/nonexistent/altgw.yaml'")) << run.output;
}

TEST(GatewayBinaryTest, BadFlagValuesNameTheFlag) {
  GatewayRun run = RunGateway({"--versioned-table", "orders"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(run.output, "--versioned-table: 'orders' is not TABLE=ATTRIBUTE")) << run.output;
  run = RunGateway({"--routing-scope", "galaxy:far"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(run.output, "--routing-scope: 'galaxy:far'")) << run.output;
  run = RunGateway({"--transactions", "sometimes"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(run.output, "--transactions")) << run.output;
}

TEST(GatewayBinaryTest, TlsFilesAreCheckedAtStartup) {
  GatewayRun run = RunGateway({"--tls-client-ca", "/tmp/ca.pem"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(run.output, "--tls-client-ca: needs --tls-cert and --tls-key")) << run.output;
  const std::string not_pem = WriteTempFile("not_a_cert.pem", "hello\n");
  run = RunGateway({"--tls-cert", not_pem, "--tls-key", not_pem});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(run.output, "--tls-cert: '" + not_pem + "' holds no PEM certificate")) << run.output;
}

// Every setting is in --help with its environment variable; the defaults are shown.
TEST(GatewayBinaryTest, HelpDocumentsEverySettingWithItsEnvironmentVariable) {
  GatewayRun run = RunGateway({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  // CLI11 prints one entry per option: "  --name[,!--no-name] TYPE [default] (Env:NAME) description".
  std::regex option_line(R"(^\s+(--[a-z0-9-]+)(.*)$)");
  std::set<std::string> documented;
  std::istringstream lines(run.output);
  std::string line;
  std::string current;
  std::map<std::string, std::string> entries;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (std::regex_match(line, match, option_line)) {
      current = match[1];
      entries[current] = match[2];
    } else if (!current.empty()) {
      entries[current] += line;
    }
  }
  for (const char* flag : {"--listen", "--backend-endpoints", "--config", "--tls-cert", "--tls-key", "--tls-client-ca",
                           "--tls-reload-interval", "--reflection", "--max-attempts", "--versioned-table",
                           "--routing-scope", "--table-key-affinity", "--hash-token"}) {
    EXPECT_TRUE(entries.count(flag)) << flag << " missing from --help:\n" << run.output;
  }
  for (const auto& [flag, text] : entries) {
    if (flag == "--help" || flag == "--hash-token") continue;  // actions, not settings
    const std::string upper = absl::StrReplaceAll(flag.substr(2), {{"-", "_"}});
    std::string env;
    for (char c : upper) env += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // Lists use a plural variable name (ALTGW_PAGE_TOKEN_KEYS for --page-token-key).
    EXPECT_TRUE(absl::StrContains(text, "(Env:ALTGW_" + env)) << flag << " has no ALTGW_" << env << ": " << text;
  }
  // Defaults are documented.
  EXPECT_TRUE(absl::StrContains(entries["--tls-reload-interval"], "DURATION=60s")) << entries["--tls-reload-interval"];
  EXPECT_TRUE(absl::StrContains(entries["--max-attempts"], "INT in [1, 20]=3")) << entries["--max-attempts"];
  EXPECT_TRUE(absl::StrContains(entries["--reflection"], "(default: on)")) << entries["--reflection"];
  // On/off flags say their default in words (CLI11 shows none for them).
  for (const auto& [flag, text] : entries) {
    if (absl::StrContains(text, ",--no-")) {
      EXPECT_TRUE(absl::StrContains(text, "(default: on)") || absl::StrContains(text, "(default: off)")) << flag;
    }
  }
}

TEST(GatewayBinaryTest, HashTokenPrintsTheSha256OfStandardInput) {
  GatewayRun run = RunGateway({"--hash-token"}, {}, "abc");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // SHA-256("abc"), FIPS 180-2's test vector; the trailing newline of the input is not part of the token.
  EXPECT_EQ(run.output, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
  EXPECT_EQ(service::TokenSha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  run = RunGateway({"--hash-token"}, {}, "");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(run.output, "--hash-token: no token on standard input")) << run.output;
}

}  // namespace
}  // namespace altgw::config
