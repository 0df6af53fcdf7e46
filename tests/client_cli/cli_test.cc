// The altgw CLI as a user runs it: a subprocess pointed at a real gateway (in process) on a real DynamoDB
// Local. Every command, its output (JSON lines), its errors (message, exit code) and, for bad input, proof by
// reading back that nothing was written.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "support/gateway_harness.h"
#include "support/values.h"

namespace altgw::testing {
namespace {

using json = nlohmann::json;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;

  // stdout as JSON lines.
  std::vector<json> Lines() const {
    std::vector<json> lines;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      lines.push_back(json::parse(line));
    }
    return lines;
  }
  std::string Describe() const { return absl::StrCat("exit ", exit_code, "\nstdout: ", out, "\nstderr: ", err); }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string TempFile(const std::string& content) {
  char name[] = "/tmp/altgw_cli_test_XXXXXX";
  const int fd = mkstemp(name);
  if (fd >= 0) {
    (void)!write(fd, content.data(), content.size());
    close(fd);
  }
  return name;
}

// Runs altgw with `args`. `address` goes into ALTGW_ADDRESS; `stdin_text` is its standard input. With
// `terminal`, its stderr is a pseudo-terminal (as when a user runs it interactively).
CliRun RunCli(const std::string& address, const std::vector<std::string>& args, const std::string& stdin_text = "",
              bool terminal = false) {
  const std::string in_path = TempFile(stdin_text);
  const std::string out_path = TempFile("");
  const std::string err_path = TempFile("");
  int master = -1;
  int slave = -1;
  if (terminal && openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    setenv("ALTGW_ADDRESS", address.c_str(), 1);
    const int in = open(in_path.c_str(), O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_TRUNC);
    const int err = terminal ? slave : open(err_path.c_str(), O_WRONLY | O_TRUNC);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    std::string program = ALTGW_CLI_BIN;
    argv.push_back(program.data());
    std::vector<std::string> copies = args;
    for (std::string& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  std::string terminal_text;
  int status = 0;
  if (terminal) {
    close(slave);
    // Read the terminal while the child runs, so that it never blocks on a full pty buffer; read() fails
    // (EIO) once the child has exited and closed its side.
    char buffer[4096];
    for (;;) {
      pollfd fd{master, POLLIN, 0};
      if (poll(&fd, 1, 100) == 0) continue;
      const ssize_t n = read(master, buffer, sizeof buffer);
      if (n <= 0) break;
      terminal_text.append(buffer, static_cast<size_t>(n));
    }
    close(master);
  }
  waitpid(child, &status, 0);
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFile(out_path);
  run.err = terminal ? terminal_text : ReadFile(err_path);
  unlink(in_path.c_str());
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return run;
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gateway_ = std::make_unique<GatewayHarness>(); }
  static void TearDownTestSuite() { gateway_.reset(); }

  static CliRun Cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    return RunCli(gateway_->address(), args, stdin_text);
  }

  // A fresh table keyed by (pk: S) or (pk: S, sk: N).
  static std::string NewTable(bool sort_key = false) {
    const std::string table = UniqueTableName("cli");
    CreateTable(*gateway_, table, "pk", v1::SCALAR_TYPE_STRING, sort_key ? "sk" : "",
                sort_key ? v1::SCALAR_TYPE_NUMBER : v1::SCALAR_TYPE_UNSPECIFIED);
    return table;
  }

  // The item as the gateway holds it, read with the gRPC stub (not through the CLI).
  static std::optional<Attributes> Read(const std::string& table, const Attributes& key) {
    v1::GetRequest request;
    request.set_table(table);
    *request.mutable_key() = key;
    request.set_consistent_read(true);
    v1::GetResponse response;
    const grpc::Status status = gateway_->data().Get(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!response.found()) return std::nullopt;
    return Attributes(response.item());
  }

  static size_t CountItems(const std::string& table) {
    const auto answer = DynamoDbLocal::Shared().Call("Scan", {{"TableName", table}, {"Select", "COUNT"}});
    EXPECT_EQ(answer.status, 200) << answer.body.dump();
    return answer.body.value("Count", 0);
  }

  static GatewayHarness& gateway() { return *gateway_; }

 private:
  inline static std::unique_ptr<GatewayHarness> gateway_;
};

TEST_F(CliTest, HelpForEveryCommand) {
  const CliRun top = Cli({"--help"});
  EXPECT_EQ(top.exit_code, 0) << top.Describe();
  for (const char* command : {"put", "get", "delete", "update", "query", "scan", "transaction", "transact-get",
                              "batch-get", "batch-write", "table", "nodes", "explain-route", "health"}) {
    EXPECT_TRUE(absl::StrContains(top.out, command)) << command;
  }
  const std::vector<std::vector<std::string>> commands = {
      {"put"},   {"get"},         {"delete"},    {"update"},         {"query"},          {"scan"},
      {"transaction"}, {"transact-get"}, {"batch-get"}, {"batch-write"}, {"table"}, {"table", "create"}, {"table", "describe"},
      {"table", "list"}, {"table", "delete"}, {"nodes"}, {"explain-route"}, {"health"}};
  for (std::vector<std::string> command : commands) {
    command.push_back("--help");
    const CliRun run = Cli(command);
    EXPECT_EQ(run.exit_code, 0) << command[0] << run.Describe();
    EXPECT_TRUE(absl::StrContains(run.out, "Usage:")) << command[0] << run.Describe();
  }
  // The typed JSON form is documented in the help of commands that take items.
  EXPECT_TRUE(absl::StrContains(Cli({"put", "--help"}).out, "{\"n\":\"1.5\"}"));
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  const CliRun missing = Cli({"put", "sometable"});
  EXPECT_EQ(missing.exit_code, 2) << missing.Describe();
  EXPECT_TRUE(absl::StrContains(missing.err, "--item is required")) << missing.Describe();
  const CliRun unknown = Cli({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  const CliRun none = Cli({});
  EXPECT_EQ(none.exit_code, 2) << none.Describe();
}

TEST_F(CliTest, TableCreateDescribeListDelete) {
  const std::string table = UniqueTableName("cli_admin");
  const CliRun create = Cli({"table", "create", table, "--partition-key", "pk:S", "--sort-key", "sk:N"});
  ASSERT_EQ(create.exit_code, 0) << create.Describe();
  const json created = create.Lines().at(0);
  EXPECT_EQ(created["table"]["name"], table);
  EXPECT_EQ(created["table"]["sort_key"]["type"], "SCALAR_TYPE_NUMBER");

  const CliRun describe = Cli({"table", "describe", table});
  ASSERT_EQ(describe.exit_code, 0) << describe.Describe();
  EXPECT_EQ(describe.Lines().at(0)["table"]["partition_key"]["name"], "pk");
  EXPECT_EQ(describe.Lines().at(0)["table"]["status"], "TABLE_STATUS_ACTIVE");

  const CliRun list = Cli({"table", "list", "--page-size", "1"});  // follows page tokens
  ASSERT_EQ(list.exit_code, 0) << list.Describe();
  bool listed = false;
  for (const json& line : list.Lines()) listed = listed || line["table"] == table;
  EXPECT_TRUE(listed) << list.out;

  const CliRun again = Cli({"table", "create", table, "--partition-key", "pk:S"});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_TRUE(absl::StrContains(again.err, "ALREADY_EXISTS TABLE_ALREADY_EXISTS")) << again.err;

  const CliRun drop = Cli({"table", "delete", table});
  ASSERT_EQ(drop.exit_code, 0) << drop.Describe();
  EXPECT_EQ(drop.Lines().at(0), json({{"table", table}, {"deleted", true}}));
  const CliRun gone = Cli({"table", "describe", table});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(gone.err, "NOT_FOUND TABLE_NOT_FOUND")) << gone.err;

  const CliRun bad_type = Cli({"table", "create", table, "--partition-key", "pk:X"});
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_type.err, "--partition-key: unknown key type \"X\"")) << bad_type.err;
}

TEST_F(CliTest, PutAndGetEveryValueKind) {
  const std::string table = NewTable();
  const json item = json::parse(R"({"pk": {"s": "all"}, "n": {"n": "12.50"}, "big": {"n": "123456789012345678901234567890.5"},
     "b": {"b": "AAH/"}, "t": {"bool": true}, "z": {"null": true}, "l": {"l": [{"s": "x"}, {"n": "1"}]},
     "m": {"m": {"k": {"s": "v"}}}, "ss": {"ss": ["a"]}, "ns": {"ns": ["2.5"]}, "bs": {"bs": ["AA=="]},
     "short": "plain", "count": 3, "flag": false})");
  const CliRun put = Cli({"put", table, "--item", item.dump()});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  EXPECT_EQ(put.Lines().at(0), json::object());

  const CliRun get = Cli({"get", table, "--key", R"({"pk": "all"})"});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  const json got = get.Lines().at(0);
  EXPECT_EQ(got["found"], true);
  json expected = item;
  expected["n"] = {{"n", "12.5"}};  // canonical decimal
  expected["short"] = {{"s", "plain"}};
  expected["count"] = {{"n", "3"}};
  expected["flag"] = {{"bool", false}};
  EXPECT_EQ(got["item"], expected) << got.dump();

  // Projection, and the same item read back with the stub: the CLI wrote exactly these types.
  const CliRun projected = Cli({"get", table, "--key", R"({"pk": {"s": "all"}})", "--projection", "m.k", "--projection", "n"});
  ASSERT_EQ(projected.exit_code, 0) << projected.Describe();
  EXPECT_EQ(projected.Lines().at(0)["item"], json::parse(R"({"m": {"m": {"k": {"s": "v"}}}, "n": {"n": "12.5"}})"));
  const auto stored = Read(table, Item({{"pk", S("all")}}));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->at("b").bytes_value(), std::string("\x00\x01\xff", 3));
  EXPECT_EQ(stored->at("big").number_value().decimal(), "123456789012345678901234567890.5");
}

TEST_F(CliTest, GetOfAMissingItemSaysNotFound) {
  const std::string table = NewTable();
  const CliRun get = Cli({"get", table, "--key", R"({"pk": "nobody"})"});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_EQ(get.Lines().at(0), json({{"found", false}}));
}

TEST_F(CliTest, BadItemJsonIsRejectedAndNothingIsWritten) {
  const std::string table = NewTable();
  struct Case {
    std::string item;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"pk": {"s": "a"}, "n": )", "--item: not valid JSON: parse error at line 1, column 25: syntax error"},
      {R"({"pk": {"s": "a"}, "price": {"x": "1"}})", "--item.price: unknown type tag \"x\""},
      {R"({"pk": {"s": "a"}, "price": 1.5})", "--item.price: the JSON number 1.5 would be read as a binary double"},
      {R"({"pk": {"s": "a"}, "pic": {"b": "%%%"}})", "--item.pic.b: not valid base64"},
      {R"({"pk": {"s": "a"}, "n": {"n": "1", "s": "x"}})", "--item.n: a typed value is an object with exactly one type tag"},
      {R"(["pk", "a"])", "--item: expected an object of attribute name -> typed value"},
      {R"({"pk": {"s": "a"}, "tags": {"ss": ["x", 2]}})", "--item.tags.ss[1]: expected a string, got an integer"},
  };
  for (const Case& c : cases) {
    const CliRun run = Cli({"put", table, "--item", c.item});
    EXPECT_EQ(run.exit_code, 2) << c.item << "\n" << run.Describe();
    EXPECT_TRUE(absl::StrContains(run.err, c.message)) << c.item << "\n" << run.err;
    EXPECT_TRUE(absl::StrContains(run.err, "nothing was sent")) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
  }
  // A file that does not exist, and stdin.
  const CliRun no_file = Cli({"put", table, "--item", "@/nonexistent/item.json"});
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(no_file.err, "--item: cannot read the file /nonexistent/item.json")) << no_file.err;
  const CliRun from_stdin = Cli({"put", table, "--item", "-"}, R"({"pk": {"q": "a"}})");
  EXPECT_EQ(from_stdin.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(from_stdin.err, "--item.pk: unknown type tag \"q\"")) << from_stdin.err;
  EXPECT_EQ(CountItems(table), 0u);
  EXPECT_FALSE(Read(table, Item({{"pk", S("a")}})).has_value());

  // The same item, well written, from stdin: the table was usable all along.
  const CliRun good = Cli({"put", table, "--item", "-"}, R"({"pk": {"s": "a"}, "price": {"n": "1.5"}})");
  ASSERT_EQ(good.exit_code, 0) << good.Describe();
  EXPECT_EQ(CountItems(table), 1u);
}

TEST_F(CliTest, GatewayValidationErrorsShowTheReasonAndFieldViolations) {
  const std::string table = NewTable();
  const CliRun run = Cli({"put", table, "--item", R"({"pk": {"n": "5"}})"});  // pk is a string key
  EXPECT_EQ(run.exit_code, 1) << run.Describe();
  EXPECT_TRUE(absl::StrContains(run.err, "altgw put: INVALID_ARGUMENT INVALID_REQUEST:")) << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, "  field item[\"pk\"]")) << run.err;
  EXPECT_EQ(CountItems(table), 0u);
}

TEST_F(CliTest, ConditionalPutFailureShowsReasonAndCurrentItem) {
  const std::string table = NewTable();
  ASSERT_EQ(Cli({"put", table, "--item", R"({"pk": "a", "v": 1})"}).exit_code, 0);
  const CliRun run = Cli({"put", table, "--item", R"({"pk": "a", "v": 2})", "--condition",
                          R"({"attribute_not_exists": "pk"})", "--return-item-on-condition-failure"});
  EXPECT_EQ(run.exit_code, 1) << run.Describe();
  EXPECT_TRUE(absl::StrContains(run.err, "FAILED_PRECONDITION CONDITION_FAILED")) << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, R"(current item: {"pk":{"s":"a"},"v":{"n":"1"}})")) << run.err;
  EXPECT_EQ(Read(table, Item({{"pk", S("a")}}))->at("v").number_value().integer(), 1);

  // A condition with a typed value that holds; --return-old prints the replaced item.
  const CliRun ok = Cli({"put", table, "--item", R"({"pk": "a", "v": 2})", "--return-old", "--condition",
                         R"({"comparison": {"path": "v", "comparator": "COMPARATOR_EQUAL", "value": {"n": "1"}}})"});
  ASSERT_EQ(ok.exit_code, 0) << ok.Describe();
  EXPECT_EQ(ok.Lines().at(0)["attributes"]["v"], json({{"n", "1"}}));
  EXPECT_EQ(Read(table, Item({{"pk", S("a")}}))->at("v").number_value().integer(), 2);

  const CliRun bad = Cli({"put", table, "--item", R"({"pk": "a", "v": 3})", "--condition", R"({"attribute_exist": "pk"})"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  EXPECT_TRUE(absl::StrContains(bad.err, "--condition: not a valid Condition")) << bad.err;
  EXPECT_EQ(Read(table, Item({{"pk", S("a")}}))->at("v").number_value().integer(), 2);
}

TEST_F(CliTest, DeleteWithConditionAndReturnOld) {
  const std::string table = NewTable();
  ASSERT_EQ(Cli({"put", table, "--item", R"({"pk": "a", "v": 1})"}).exit_code, 0);
  const CliRun refused = Cli({"delete", table, "--key", R"({"pk": "a"})", "--condition",
                              R"({"comparison": {"path": "v", "comparator": "COMPARATOR_GREATER", "value": 5}})"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(refused.err, "CONDITION_FAILED")) << refused.err;
  ASSERT_TRUE(Read(table, Item({{"pk", S("a")}})).has_value());
  const CliRun deleted = Cli({"delete", table, "--key", R"({"pk": "a"})", "--return-old"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.Describe();
  EXPECT_EQ(deleted.Lines().at(0)["attributes"]["pk"], json({{"s", "a"}}));
  EXPECT_FALSE(Read(table, Item({{"pk", S("a")}})).has_value());
  const CliRun bad_key = Cli({"delete", table, "--key", R"({"pk": {"s": 1}})"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_key.err, "--key.pk.s: expected a string, got an integer")) << bad_key.err;
}

TEST_F(CliTest, UpdateAppliesActionsAndRejectsBadOnesWithoutWriting) {
  const std::string table = NewTable();
  ASSERT_EQ(Cli({"put", table, "--item", R"({"pk": "a", "hits": 1, "old": "x"})"}).exit_code, 0);
  const CliRun run = Cli({"update", table, "--key", R"({"pk": "a"})", "--return", "ALL_NEW", "--actions",
                          R"([{"increment": {"path": "hits", "delta": "0.5"}}, {"remove": "old"},
                              {"set": {"path": "tags", "value": {"ss": ["t"]}}}])",
                          "--condition", R"({"attribute_exists": "hits"})"});
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.Lines().at(0)["attributes"],
            json::parse(R"({"pk": {"s": "a"}, "hits": {"n": "1.5"}, "tags": {"ss": ["t"]}})"));

  for (const std::string& actions : {std::string(R"([{"increment": {"path": "hits", "delta": 0.5}}])"),
                                     std::string(R"([{"sett": {"path": "x", "value": "y"}}])"),
                                     std::string(R"({"set": {"path": "x", "value": "y"}})")}) {
    const CliRun bad = Cli({"update", table, "--key", R"({"pk": "a"})", "--actions", actions});
    EXPECT_EQ(bad.exit_code, 2) << actions << bad.Describe();
    EXPECT_TRUE(absl::StrContains(bad.err, "--actions")) << bad.err;
  }
  const auto stored = Read(table, Item({{"pk", S("a")}}));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->at("hits").number_value().decimal(), "1.5");
  EXPECT_EQ(stored->count("x"), 0u);
}

TEST_F(CliTest, QueryFollowsPagesAndHonoursLimitAndPageMode) {
  const std::string table = NewTable(/*sort_key=*/true);
  for (int i = 1; i <= 7; ++i) {
    ASSERT_EQ(Cli({"put", table, "--item", absl::StrCat(R"({"pk": "p", "sk": )", i, "}")}).exit_code, 0);
  }
  const CliRun all = Cli({"query", table, "--partition-key", R"({"s": "p"})", "--page-size", "2"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  const auto lines = all.Lines();
  ASSERT_EQ(lines.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(lines[i]["sk"], json({{"n", std::to_string(i + 1)}}));

  const CliRun filtered = Cli({"query", table, "--partition-key", "\"p\"", "--descending", "--limit", "2",
                               "--sort-key", R"({"operator": "SORT_KEY_OPERATOR_LESS", "value": {"n": "6"}})"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.Describe();
  ASSERT_EQ(filtered.Lines().size(), 2u);
  EXPECT_EQ(filtered.Lines()[0]["sk"], json({{"n", "5"}}));
  EXPECT_EQ(filtered.Lines()[1]["sk"], json({{"n", "4"}}));

  const CliRun page = Cli({"query", table, "--partition-key", "\"p\"", "--page", "--page-size", "3"});
  ASSERT_EQ(page.exit_code, 0) << page.Describe();
  const json first = page.Lines().at(0);
  ASSERT_EQ(first["items"].size(), 3u);
  ASSERT_TRUE(first.contains("next_page_token"));
  const CliRun next = Cli({"query", table, "--partition-key", "\"p\"", "--page", "--page-size", "3", "--page-token",
                           first["next_page_token"].get<std::string>()});
  ASSERT_EQ(next.exit_code, 0) << next.Describe();
  EXPECT_EQ(next.Lines().at(0)["items"][0]["attributes"]["sk"], json({{"n", "4"}}));

  const CliRun bad_token = Cli({"query", table, "--partition-key", "\"p\"", "--page-token", "garbage"});
  EXPECT_EQ(bad_token.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(bad_token.err, "INVALID_ARGUMENT INVALID_PAGE_TOKEN")) << bad_token.err;
}

TEST_F(CliTest, ScanPrintsItemsMessagesAndResumeTokens) {
  const std::string table = NewTable();
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(Cli({"put", table, "--item", absl::StrCat(R"({"pk": "k)", i, R"(", "even": )", i % 2 == 0 ? "true" : "false", "}")}).exit_code, 0);
  }
  const CliRun all = Cli({"scan", table, "--page-size", "5"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  EXPECT_EQ(all.Lines().size(), 12u);
  EXPECT_TRUE(all.err.empty()) << "no progress line when stderr is not a terminal: " << all.err;

  const CliRun filtered = Cli({"scan", table, "--filter", R"({"comparison": {"path": "even", "comparator": "COMPARATOR_EQUAL", "value": {"bool": true}}})"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.Describe();
  EXPECT_EQ(filtered.Lines().size(), 6u);

  const CliRun messages = Cli({"scan", table, "--messages", "--page-size", "5"});
  ASSERT_EQ(messages.exit_code, 0) << messages.Describe();
  const auto lines = messages.Lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["end"]["complete"], true) << messages.out;

  const CliRun limited = Cli({"scan", table, "--limit", "5", "--page-size", "5"});
  ASSERT_EQ(limited.exit_code, 0) << limited.Describe();
  EXPECT_EQ(limited.Lines().size(), 5u);
  const std::string marker = "continue with --resume-token ";
  const size_t at = limited.err.find(marker);
  ASSERT_NE(at, std::string::npos) << limited.err;
  std::string token = limited.err.substr(at + marker.size());
  token = token.substr(0, token.find('\n'));
  const CliRun rest = Cli({"scan", table, "--resume-token", token});
  ASSERT_EQ(rest.exit_code, 0) << rest.Describe();
  EXPECT_EQ(rest.Lines().size(), 7u);

  const CliRun missing = Cli({"scan", "no_such_table_cli"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(missing.err, "NOT_FOUND TABLE_NOT_FOUND")) << missing.err;
}

TEST_F(CliTest, ScanShowsAProgressLineOnATerminal) {
  const std::string table = NewTable();
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(Cli({"put", table, "--item", absl::StrCat(R"({"pk": "k)", i, R"("})")}).exit_code, 0);
  }
  const CliRun run = RunCli(gateway().address(), {"scan", table, "--page-size", "2", "--progress-interval-ms", "0"},
                            "", /*terminal=*/true);
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.Lines().size(), 6u);  // stdout is untouched by the progress line
  EXPECT_TRUE(absl::StrContains(run.err, "\rscan: ") || absl::StrContains(run.err, "scan: ")) << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, "scan: 6 items, 6 examined in")) << run.err;
}

TEST_F(CliTest, TransactionIsAllOrNothing) {
  const std::string table = NewTable();
  ASSERT_EQ(Cli({"put", table, "--item", R"({"pk": "acct1", "balance": {"n": "10"}})"}).exit_code, 0);
  const std::string ops = absl::StrCat(
      R"([{"update": {"table": ")", table, R"(", "key": {"pk": "acct1"},
            "actions": [{"increment": {"path": "balance", "delta": "-2.5"}}],
            "condition": {"comparison": {"path": "balance", "comparator": "COMPARATOR_GREATER_OR_EQUAL", "value": {"n": "2.5"}}}}},
          {"put": {"table": ")", table, R"(", "item": {"pk": "acct2", "balance": {"n": "2.5"}}}}])");
  const CliRun run = Cli({"transaction", "--operations", ops});
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(Read(table, Item({{"pk", S("acct1")}}))->at("balance").number_value().decimal(), "7.5");
  ASSERT_TRUE(Read(table, Item({{"pk", S("acct2")}})).has_value());

  // A failing check cancels every operation.
  const std::string failing = absl::StrCat(
      R"([{"put": {"table": ")", table, R"(", "item": {"pk": "acct3"}}},
          {"condition_check": {"table": ")", table, R"(", "key": {"pk": "acct1"},
            "condition": {"comparison": {"path": "balance", "comparator": "COMPARATOR_GREATER", "value": 100}}}}])");
  const CliRun refused = Cli({"transaction", "--operations", failing});
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(absl::StrContains(refused.err, "CONDITION_FAILED")) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "operation 1: CONDITION_FAILED")) << refused.err;
  EXPECT_FALSE(Read(table, Item({{"pk", S("acct3")}})).has_value());

  // Bad JSON in the second operation: nothing at all is sent.
  const std::string bad = absl::StrCat(R"([{"put": {"table": ")", table, R"(", "item": {"pk": "acct4"}}},
                                           {"put": {"table": ")", table, R"(", "item": {"pk": {"s": "acct5"}, "x": 0.1}}}])");
  const CliRun rejected = Cli({"transaction", "--operations", bad});
  EXPECT_EQ(rejected.exit_code, 2) << rejected.Describe();
  EXPECT_TRUE(absl::StrContains(rejected.err, "--operations[1].put.item.x: the JSON number 0.1")) << rejected.err;
  EXPECT_FALSE(Read(table, Item({{"pk", S("acct4")}})).has_value());
  EXPECT_EQ(CountItems(table), 2u);
}

TEST_F(CliTest, TransactGetPrintsOneLinePerItemInRequestOrder) {
  const std::string first = NewTable();
  const std::string second = NewTable(/*sort_key=*/true);
  ASSERT_EQ(Cli({"put", first, "--item", R"({"pk": "a", "price": {"n": "1.10"}, "tags": {"ss": ["x", "y"]}})"}).exit_code, 0);
  ASSERT_EQ(Cli({"put", second, "--item", R"({"pk": "b", "sk": 7, "name": "bee", "secret": "s"})"}).exit_code, 0);

  const std::string items = absl::StrCat(
      R"([{"table": ")", second, R"(", "key": {"pk": "b", "sk": 7}, "projection": ["name"]},
          {"table": ")", first, R"(", "key": {"pk": "missing"}},
          {"table": ")", first, R"(", "key": {"pk": {"s": "a"}}}])");
  const CliRun run = Cli({"transact-get", "--items", items});
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  const auto lines = run.Lines();
  ASSERT_EQ(lines.size(), 3u) << run.out;
  EXPECT_EQ(lines[0], json({{"found", true}, {"item", {{"name", {{"s", "bee"}}}}}})) << lines[0].dump();
  EXPECT_EQ(lines[1], json({{"found", false}})) << lines[1].dump();
  EXPECT_EQ(lines[2]["found"], true);
  EXPECT_EQ(lines[2]["item"]["price"], json({{"n", "1.1"}}));
  EXPECT_EQ(lines[2]["item"]["tags"]["ss"].size(), 2u);

  // The same items from a file.
  const std::string path = TempFile(items);
  const CliRun from_file = Cli({"transact-get", "--items", "@" + path});
  unlink(path.c_str());
  EXPECT_EQ(from_file.exit_code, 0) << from_file.Describe();
  EXPECT_EQ(from_file.Lines(), lines);

  // Bad input is refused before anything is sent, naming the place.
  const CliRun bad_value = Cli({"transact-get", "--items",
                                absl::StrCat(R"([{"table": ")", first, R"(", "key": {"pk": 1.5}}])")});
  EXPECT_EQ(bad_value.exit_code, 2) << bad_value.Describe();
  EXPECT_TRUE(absl::StrContains(bad_value.err, "--items[0].key.pk: the JSON number 1.5")) << bad_value.err;
  const CliRun not_array = Cli({"transact-get", "--items", R"({"table": "t"})"});
  EXPECT_EQ(not_array.exit_code, 2) << not_array.Describe();
  EXPECT_TRUE(absl::StrContains(not_array.err, "--items: expected a non-empty JSON array")) << not_array.err;
  const CliRun unknown_field = Cli({"transact-get", "--items", R"([{"table": "t", "keys": {}}])"});
  EXPECT_EQ(unknown_field.exit_code, 2) << unknown_field.Describe();
  EXPECT_TRUE(absl::StrContains(unknown_field.err, "--items[0]")) << unknown_field.err;
  const CliRun missing = Cli({"transact-get"});
  EXPECT_EQ(missing.exit_code, 2) << missing.Describe();
  EXPECT_TRUE(absl::StrContains(missing.err, "--items is required")) << missing.Describe();

  // The gateway's own validation: the same item twice is INVALID_ARGUMENT with the field named.
  const std::string twice = absl::StrCat(R"([{"table": ")", first, R"(", "key": {"pk": "a"}},
                                             {"table": ")", first, R"(", "key": {"pk": "a"}}])");
  const CliRun duplicate = Cli({"transact-get", "--items", twice});
  EXPECT_EQ(duplicate.exit_code, 1) << duplicate.Describe();
  EXPECT_TRUE(absl::StrContains(duplicate.err, "altgw transact-get: INVALID_ARGUMENT")) << duplicate.err;
  EXPECT_TRUE(absl::StrContains(duplicate.err, "field items[1]: another entry reads the same item")) << duplicate.err;
  EXPECT_EQ(duplicate.out, "");
}

TEST_F(CliTest, BatchWriteAndBatchGet) {
  const std::string table = NewTable();
  ASSERT_EQ(Cli({"put", table, "--item", R"({"pk": "gone"})"}).exit_code, 0);
  const CliRun write = Cli({"batch-write", table, "--put", R"({"pk": "a", "v": 1})", "--delete", R"({"pk": "gone"})",
                            "--file", "-"},
                           "{\"put\": {\"pk\": \"b\", \"v\": 2}}\n\n{\"put\": {\"pk\": {\"s\": \"c\"}}}\n");
  ASSERT_EQ(write.exit_code, 0) << write.Describe();
  const auto statuses = write.Lines();
  ASSERT_EQ(statuses.size(), 4u);
  for (size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_EQ(statuses[i], json({{"code", "OK"}, {"index", i}}));
  }
  EXPECT_EQ(CountItems(table), 3u);

  const CliRun get = Cli({"batch-get", table, "--key", R"({"pk": "a"})", "--keys", R"([{"pk": "b"}, {"pk": "zz"}])"});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  std::set<std::string> found;
  for (const json& line : get.Lines()) found.insert(line["pk"]["s"].get<std::string>());
  EXPECT_EQ(found, (std::set<std::string>{"a", "b"}));

  // A bad line in the file: nothing of the batch is written.
  const CliRun bad = Cli({"batch-write", table, "--put", R"({"pk": "d"})", "--file", "-"},
                         "{\"put\": {\"pk\": \"e\"}}\n{\"upsert\": {\"pk\": \"f\"}}\n");
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  EXPECT_TRUE(absl::StrContains(bad.err, "--file line 2: expected {\"put\": item} or {\"delete\": key}")) << bad.err;
  const CliRun bad_json = Cli({"batch-write", table, "--file", "-"}, "{\"put\": {\"pk\": \"g\"}\n");
  EXPECT_EQ(bad_json.exit_code, 2) << bad_json.Describe();
  EXPECT_TRUE(absl::StrContains(bad_json.err, "--file line 1: not valid JSON")) << bad_json.err;
  EXPECT_EQ(CountItems(table), 3u);

  const CliRun empty = Cli({"batch-get", table});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(empty.err, "give at least one --key or --keys")) << empty.err;
}

TEST_F(CliTest, NodesAndExplainRoute) {
  const CliRun nodes = Cli({"nodes"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.Describe();
  const json listed = nodes.Lines().at(0);
  ASSERT_TRUE(listed.contains("nodes")) << nodes.out;
  EXPECT_EQ(listed["nodes"][0]["endpoint"], DynamoDbLocal::Shared().endpoint()) << nodes.out;

  const std::string table = NewTable();
  const CliRun route = Cli({"explain-route", table, "--key", R"({"pk": "a"})", "--operation", "put", "--conditional"});
  ASSERT_EQ(route.exit_code, 0) << route.Describe();
  const json plan = route.Lines().at(0);
  ASSERT_TRUE(plan.contains("endpoints")) << route.out;
  EXPECT_EQ(plan["endpoints"][0], DynamoDbLocal::Shared().endpoint());
  EXPECT_TRUE(plan.contains("reason")) << route.out;

  const CliRun bad = Cli({"explain-route", table, "--key", R"({"pk": "a"})", "--operation", "upsert"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(CliTest, HealthReportsServing) {
  const CliRun run = Cli({"health"});
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(run.Lines().at(0), json({{"status", "SERVING"}}));
  const CliRun unknown = Cli({"health", "--service", "no.such.Service"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.Describe();
  EXPECT_TRUE(absl::StrContains(unknown.err, "altgw health: NOT_FOUND")) << unknown.err;
}

TEST_F(CliTest, UnreachableGatewayFailsWithUnavailableAfterRetries) {
  const int port = FreeLoopbackPort();
  const CliRun run = RunCli(absl::StrCat("127.0.0.1:", port), {"get", "t", "--key", R"({"pk": "a"})", "--timeout", "3"});
  EXPECT_EQ(run.exit_code, 1) << run.Describe();
  EXPECT_TRUE(absl::StrContains(run.err, "altgw get: UNAVAILABLE")) << run.err;
  EXPECT_TRUE(absl::StrContains(run.err, "attempts: 5")) << run.err;
  // --address beats the environment.
  const CliRun flag = RunCli("127.0.0.1:1", {"--address", gateway().address(), "health"});
  EXPECT_EQ(flag.exit_code, 0) << flag.Describe();
}

}  // namespace
}  // namespace altgw::testing
