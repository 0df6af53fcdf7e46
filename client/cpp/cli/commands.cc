#include "cli/commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "altgw_client/client.h"
#include "cli/typed_json.h"

namespace altgw::cli {
namespace {

using client::Client;
using client::Error;

constexpr char kTypedHelp[] =
    "Values are typed JSON: {\"s\":\"x\"} {\"n\":\"1.5\"} {\"b\":\"<base64>\"} {\"bool\":true} {\"null\":true} "
    "{\"l\":[...]} {\"m\":{...}} {\"ss\":[...]} {\"ns\":[...]} {\"bs\":[...]}; plain JSON strings, booleans, null, "
    "arrays and integers are accepted as shorthand. A JSON argument may also be @FILE or - (stdin).";

struct Global {
  std::string address = "127.0.0.1:50051";
  std::string token;
  std::string tls_ca;
  bool tls = false;
  std::string tls_server_name;
  std::string tls_cert;
  std::string tls_key;
  double timeout_seconds = 0;
};

// What a command needs to run.
struct Context {
  const Client& client;
  std::ostream& out;
  std::ostream& err;
  std::string command;
};

std::string ReadAll(std::istream& in) {
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A JSON argument: literal JSON, @FILE, or - for stdin.
std::string ArgumentText(const std::string& value, const std::string& name) {
  if (value == "-") return ReadAll(std::cin);
  if (!value.empty() && value[0] == '@') {
    std::ifstream in(value.substr(1), std::ios::binary);
    if (!in.is_open()) throw InputError(absl::StrCat(name, ": cannot read the file ", value.substr(1)));
    return ReadAll(in);
  }
  return value;
}

json JsonArgument(const std::string& value, const std::string& name) {
  return ParseJson(ArgumentText(value, name), name);
}

void PrintLine(std::ostream& out, const json& j) { out << j.dump() << "\n"; }

int CallFailed(const Context& ctx, const Error& error) {
  std::ostream& err = ctx.err;
  err << "altgw " << ctx.command << ": " << error.code_name();
  if (!error.reason().empty()) err << " " << error.reason();
  err << ": " << error.message() << "\n";
  for (const auto& v : error.field_violations()) err << "  field " << v.field << ": " << v.description << "\n";
  for (const auto& v : error.precondition_violations()) {
    err << "  precondition " << v.type << " " << v.subject << ": " << v.description << "\n";
  }
  for (const auto& [key, value] : error.metadata()) err << "  " << key << ": " << value << "\n";
  if (error.retry_delay()) err << "  retry after: " << absl::FormatDuration(*error.retry_delay()) << "\n";
  if (error.condition_failure()) {
    const auto& failure = *error.condition_failure();
    err << "  current item: "
        << (failure.item_exists() ? AttributesToJson(failure.item()).dump() : std::string("(none)")) << "\n";
  }
  if (error.transaction_failure()) {
    const auto& operations = error.transaction_failure()->operations();
    for (int i = 0; i < operations.size(); ++i) {
      if (operations[i].reason().empty()) continue;
      err << "  operation " << i << ": " << operations[i].reason() << ": " << operations[i].message() << "\n";
    }
  }
  if (error.attempts() > 1) err << "  attempts: " << error.attempts() << "\n";
  return kExitCallFailed;
}

// Prints a unary call's response, or its error.
template <typename Response>
int Finish(const Context& ctx, const client::Result<Response>& result) {
  if (!result.ok()) return CallFailed(ctx, result.error());
  PrintLine(ctx.out, MessageToJson(*result));
  return kExitOk;
}

v1::ScalarType ParseScalarType(const std::string& text, const std::string& name) {
  const std::string upper = absl::AsciiStrToUpper(text);
  if (upper == "S" || upper == "STRING") return v1::SCALAR_TYPE_STRING;
  if (upper == "N" || upper == "NUMBER") return v1::SCALAR_TYPE_NUMBER;
  if (upper == "B" || upper == "BINARY" || upper == "BYTES") return v1::SCALAR_TYPE_BINARY;
  throw InputError(absl::StrCat(name, ": unknown key type \"", text, "\" (expected S, N or B)"));
}

// "name:TYPE" -> KeyAttribute.
void ParseKeyAttribute(const std::string& text, const std::string& name, v1::KeyAttribute* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw InputError(absl::StrCat(name, ": expected NAME:TYPE with TYPE one of S, N, B (e.g. id:S), got \"",
                                  text, "\""));
  }
  out->set_name(text.substr(0, colon));
  out->set_type(ParseScalarType(text.substr(colon + 1), name));
}

// Writes a scan's progress on stderr when it is a terminal: one line, rewritten in place.
class Progress {
 public:
  Progress(std::ostream& err, absl::Duration interval)
      : err_(err), enabled_(isatty(STDERR_FILENO) == 1), interval_(interval) {}
  void Update(uint64_t items, uint64_t examined) {
    if (!enabled_) return;
    const absl::Time now = absl::Now();
    if (now - last_ < interval_) return;
    last_ = now;
    const double seconds = absl::ToDoubleSeconds(now - start_);
    err_ << "\r\033[Kscan: " << items << " items, " << examined << " examined, "
         << static_cast<uint64_t>(seconds > 0 ? items / seconds : 0) << " items/s" << std::flush;
    shown_ = true;
  }
  void Done(uint64_t items, uint64_t examined) {
    if (!enabled_ || !shown_) return;
    err_ << "\r\033[Kscan: " << items << " items, " << examined << " examined in "
         << absl::FormatDuration(absl::Trunc(absl::Now() - start_, absl::Milliseconds(1))) << "\n"
         << std::flush;
  }

 private:
  std::ostream& err_;
  bool enabled_;
  absl::Duration interval_;
  absl::Time start_ = absl::Now();
  absl::Time last_ = absl::Now();
  bool shown_ = false;
};

// A command with a one-line description (in the parent's help) and details shown by its own --help.
CLI::App* Command(CLI::App& parent, const std::string& name, const std::string& description,
                  const std::string& details = "") {
  CLI::App* command = parent.add_subcommand(name, description);
  if (!details.empty()) command->footer(details);
  command->fallthrough();  // global options may come after the command name
  return command;
}

// A repeatable option taking one value per occurrence.
CLI::Option* Repeated(CLI::App* command, const std::string& name, std::vector<std::string>& values,
                      const std::string& description) {
  return command->add_option(name, values, description)->allow_extra_args(false);
}

}  // namespace

int Run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "altgw: call an Alternator Gateway from the command line. Results are JSON lines on stdout; errors "
      "(with the gRPC code, ErrorInfo reason and field violations) on stderr. Exit codes: 0 ok, 1 the call "
      "failed, 2 bad arguments or input (nothing sent), 3 batch-write partly applied.",
      "altgw"};
  app.require_subcommand(1);
  Global global;
  app.add_option("--address", global.address, "Gateway host:port")->envname("ALTGW_ADDRESS")->capture_default_str();
  app.add_option("--token", global.token, "Bearer token (sent as `authorization: Bearer <token>`)")
      ->envname("ALTGW_TOKEN");
  app.add_flag("--tls", global.tls, "Use TLS (with the system's CA roots unless --tls-ca)")->envname("ALTGW_TLS");
  app.add_option("--tls-ca", global.tls_ca, "PEM CA bundle to verify the gateway (implies --tls)")
      ->envname("ALTGW_TLS_CA");
  app.add_option("--tls-server-name", global.tls_server_name, "Name expected in the gateway's certificate");
  app.add_option("--tls-cert", global.tls_cert, "PEM client certificate, for gateways that require mutual TLS "
                 "(implies --tls; needs --tls-key)")->envname("ALTGW_TLS_CERT");
  app.add_option("--tls-key", global.tls_key, "PEM private key of --tls-cert")->envname("ALTGW_TLS_KEY");
  app.add_option("--timeout", global.timeout_seconds, "Deadline of each call in seconds (default: 10, tables 60)");

  // Each command registers what it does when chosen.
  std::map<CLI::App*, std::function<int(Context&)>> actions;
  using Action = std::function<int(Context&)>;
  auto on = [&](CLI::App* command, Action action) { actions[command] = std::move(action); };

  // ---- put ----
  struct {
    std::string table, item, condition;
    bool return_old = false, return_item = false;
    uint64_t expected_version = 0;
  } put;
  CLI::App* put_cmd = Command(app, "put", "Create or replace an item", kTypedHelp);
  put_cmd->add_option("table", put.table, "Table name")->required();
  put_cmd->add_option("--item", put.item, "The whole item: {\"name\": typed value, ...}")->required();
  put_cmd->add_option("--condition", put.condition, "Condition (JSON of the Condition message)");
  put_cmd->add_flag("--return-old", put.return_old, "Print the replaced item");
  put_cmd->add_flag("--return-item-on-condition-failure", put.return_item, "Show the current item on CONDITION_FAILED");
  CLI::Option* put_version = put_cmd->add_option("--expected-version", put.expected_version,
                                                 "Versioned tables: write only at this version (0: must not exist)");
  on(put_cmd, [&](Context& ctx) {
    v1::PutRequest request;
    request.set_table(put.table);
    *request.mutable_item() = AttributesFromJson(JsonArgument(put.item, "--item"), "--item");
    if (!put.condition.empty()) {
      MessageFromJson(JsonArgument(put.condition, "--condition"), request.mutable_condition(), "--condition");
    }
    if (put.return_old) request.set_return_values(v1::RETURN_VALUES_ALL_OLD);
    request.set_return_item_on_condition_failure(put.return_item);
    if (put_version->count() > 0) request.set_expected_version(put.expected_version);
    return Finish(ctx, ctx.client.Put(request));
  });

  // ---- get ----
  struct {
    std::string table, key;
    std::vector<std::string> projection;
    bool consistent = false;
  } get;
  CLI::App* get_cmd = Command(app, "get", "Read one item by key; prints {\"found\":...,\"item\":...}", kTypedHelp);
  get_cmd->add_option("table", get.table, "Table name")->required();
  get_cmd->add_option("--key", get.key, "The key: {\"name\": typed value, ...}")->required();
  Repeated(get_cmd, "--projection", get.projection, "An attribute path to return (repeatable)");
  get_cmd->add_flag("--consistent", get.consistent, "Consistent (quorum) read");
  on(get_cmd, [&](Context& ctx) {
    v1::GetRequest request;
    request.set_table(get.table);
    *request.mutable_key() = AttributesFromJson(JsonArgument(get.key, "--key"), "--key");
    for (const auto& p : get.projection) request.add_projection(p);
    request.set_consistent_read(get.consistent);
    auto result = ctx.client.Get(request);
    if (!result.ok()) return CallFailed(ctx, result.error());
    json line = MessageToJson(*result);
    line["found"] = result->found();
    PrintLine(ctx.out, line);
    return kExitOk;
  });

  // ---- delete ----
  struct {
    std::string table, key, condition;
    bool return_old = false, return_item = false;
    uint64_t expected_version = 0;
  } del;
  CLI::App* delete_cmd = Command(app, "delete", "Delete one item by key", kTypedHelp);
  delete_cmd->add_option("table", del.table, "Table name")->required();
  delete_cmd->add_option("--key", del.key, "The key: {\"name\": typed value, ...}")->required();
  delete_cmd->add_option("--condition", del.condition, "Condition (JSON of the Condition message)");
  delete_cmd->add_flag("--return-old", del.return_old, "Print the deleted item");
  delete_cmd->add_flag("--return-item-on-condition-failure", del.return_item, "Show the current item on CONDITION_FAILED");
  CLI::Option* delete_version = delete_cmd->add_option("--expected-version", del.expected_version,
                                                       "Versioned tables: delete only at this version");
  on(delete_cmd, [&](Context& ctx) {
    v1::DeleteRequest request;
    request.set_table(del.table);
    *request.mutable_key() = AttributesFromJson(JsonArgument(del.key, "--key"), "--key");
    if (!del.condition.empty()) {
      MessageFromJson(JsonArgument(del.condition, "--condition"), request.mutable_condition(), "--condition");
    }
    if (del.return_old) request.set_return_values(v1::RETURN_VALUES_ALL_OLD);
    request.set_return_item_on_condition_failure(del.return_item);
    if (delete_version->count() > 0) request.set_expected_version(del.expected_version);
    return Finish(ctx, ctx.client.Delete(request));
  });

  // ---- update ----
  struct {
    std::string table, key, actions, condition, return_values = "NONE";
    bool return_item = false;
    uint64_t expected_version = 0;
  } update;
  CLI::App* update_cmd = Command(
      app, "update", "Change attributes of one item (creating it when missing)",
      std::string("--actions is a JSON array of "
                  "UpdateAction messages, e.g. [{\"set\":{\"path\":\"a.b\",\"value\":{\"n\":\"5\"}}},"
                  "{\"increment\":{\"path\":\"hits\",\"delta\":1}},{\"remove\":\"old\"}]. ") +
          kTypedHelp);
  update_cmd->add_option("table", update.table, "Table name")->required();
  update_cmd->add_option("--key", update.key, "The key: {\"name\": typed value, ...}")->required();
  update_cmd->add_option("--actions", update.actions, "JSON array of UpdateAction")->required();
  update_cmd->add_option("--condition", update.condition, "Condition (JSON of the Condition message)");
  update_cmd->add_option("--return", update.return_values, "What to print: NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW")
      ->check(CLI::IsMember({"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}))
      ->capture_default_str();
  update_cmd->add_flag("--return-item-on-condition-failure", update.return_item, "Show the current item on CONDITION_FAILED");
  CLI::Option* update_version = update_cmd->add_option("--expected-version", update.expected_version,
                                                       "Versioned tables: update only at this version");
  on(update_cmd, [&](Context& ctx) {
    v1::UpdateRequest request;
    request.set_table(update.table);
    *request.mutable_key() = AttributesFromJson(JsonArgument(update.key, "--key"), "--key");
    const json actions = JsonArgument(update.actions, "--actions");
    if (!actions.is_array()) throw InputError("--actions: expected a JSON array of UpdateAction messages");
    for (size_t i = 0; i < actions.size(); ++i) {
      MessageFromJson(actions[i], request.add_actions(), absl::StrCat("--actions[", i, "]"));
    }
    if (!update.condition.empty()) {
      MessageFromJson(JsonArgument(update.condition, "--condition"), request.mutable_condition(), "--condition");
    }
    v1::ReturnValues return_values = v1::RETURN_VALUES_NONE;
    v1::ReturnValues_Parse("RETURN_VALUES_" + update.return_values, &return_values);
    request.set_return_values(return_values);
    request.set_return_item_on_condition_failure(update.return_item);
    if (update_version->count() > 0) request.set_expected_version(update.expected_version);
    return Finish(ctx, ctx.client.Update(request));
  });

  // ---- query ----
  struct {
    std::string table, index, partition_key, sort_key, filter, page_token;
    std::vector<std::string> projection;
    bool consistent = false, descending = false, page = false;
    uint32_t page_size = 0;
    uint64_t limit = 0;
  } query;
  CLI::App* query_cmd = Command(
      app, "query", "Read the items of one partition in sort-key order, one JSON line per item",
      std::string("Follows page tokens to the end (or --limit); with --page, prints one page as the QueryResponse "
                  "message "
                  "(items, next_page_token). --sort-key is a SortKeyCondition, e.g. "
                  "{\"operator\":\"SORT_KEY_OPERATOR_GREATER\",\"value\":{\"n\":\"3\"}}. ") +
          kTypedHelp);
  query_cmd->add_option("table", query.table, "Table name")->required();
  query_cmd->add_option("--partition-key", query.partition_key, "The partition key value (typed JSON)")->required();
  query_cmd->add_option("--index", query.index, "Query this secondary index");
  query_cmd->add_option("--sort-key", query.sort_key, "Sort key condition (JSON of SortKeyCondition)");
  query_cmd->add_option("--filter", query.filter, "Filter (JSON of the Condition message)");
  Repeated(query_cmd, "--projection", query.projection, "An attribute path to return (repeatable)");
  query_cmd->add_flag("--consistent", query.consistent, "Consistent (quorum) read");
  query_cmd->add_flag("--descending", query.descending, "Descending sort-key order");
  query_cmd->add_option("--page-size", query.page_size, "Items examined per page (default 100, at most 1000)");
  query_cmd->add_option("--limit", query.limit, "Stop after printing this many items");
  query_cmd->add_flag("--page", query.page, "Print one page (the QueryResponse) instead of items");
  query_cmd->add_option("--page-token", query.page_token, "Continue from this next_page_token");
  on(query_cmd, [&](Context& ctx) {
    v1::QueryRequest request;
    request.set_table(query.table);
    request.set_index(query.index);
    *request.mutable_partition_key() = ValueFromJson(JsonArgument(query.partition_key, "--partition-key"),
                                                     "--partition-key");
    if (!query.sort_key.empty()) {
      MessageFromJson(JsonArgument(query.sort_key, "--sort-key"), request.mutable_sort_key(), "--sort-key");
    }
    if (!query.filter.empty()) {
      MessageFromJson(JsonArgument(query.filter, "--filter"), request.mutable_filter(), "--filter");
    }
    for (const auto& p : query.projection) request.add_projection(p);
    request.set_consistent_read(query.consistent);
    request.set_descending(query.descending);
    request.set_page_size(query.page_size);
    request.set_page_token(query.page_token);
    if (query.page) return Finish(ctx, ctx.client.Query(request));
    uint64_t printed = 0;
    for (;;) {
      auto page = ctx.client.Query(request);
      if (!page.ok()) return CallFailed(ctx, page.error());
      for (const v1::Item& item : page->items()) {
        if (query.limit > 0 && printed >= query.limit) return kExitOk;
        PrintLine(ctx.out, AttributesToJson(item.attributes()));
        ++printed;
      }
      if (page->next_page_token().empty()) return kExitOk;
      request.set_page_token(page->next_page_token());
    }
  });

  // ---- scan ----
  struct {
    std::string table, index, filter, resume_token;
    std::vector<std::string> projection;
    bool consistent = false, messages = false;
    uint32_t segment = 0, total_segments = 0, page_size = 0;
    uint64_t limit = 0;
    int progress_ms = 200;
  } scan;
  CLI::App* scan_cmd = Command(
      app, "scan", "Stream every item of a table or index, one JSON line per item",
      std::string("With --messages, one line "
                  "per ScanResponse message, with resume tokens). Shows a progress line on stderr when it is a "
                  "terminal. ") + kTypedHelp);
  scan_cmd->add_option("table", scan.table, "Table name")->required();
  scan_cmd->add_option("--index", scan.index, "Scan this secondary index");
  scan_cmd->add_option("--filter", scan.filter, "Filter (JSON of the Condition message)");
  Repeated(scan_cmd, "--projection", scan.projection, "An attribute path to return (repeatable)");
  scan_cmd->add_flag("--consistent", scan.consistent, "Consistent (quorum) reads");
  scan_cmd->add_option("--segment", scan.segment, "Parallel scan: this segment");
  scan_cmd->add_option("--total-segments", scan.total_segments, "Parallel scan: number of segments");
  scan_cmd->add_option("--limit", scan.limit, "Stop after this many items (prints the resume token on stderr)");
  scan_cmd->add_option("--page-size", scan.page_size, "Items examined per page (default 1000)");
  scan_cmd->add_option("--resume-token", scan.resume_token, "Continue an earlier scan");
  scan_cmd->add_flag("--messages", scan.messages, "Print the stream's messages instead of items");
  scan_cmd->add_option("--progress-interval-ms", scan.progress_ms, "Progress line refresh interval")
      ->capture_default_str();
  on(scan_cmd, [&](Context& ctx) {
    v1::ScanRequest request;
    request.set_table(scan.table);
    request.set_index(scan.index);
    if (!scan.filter.empty()) {
      MessageFromJson(JsonArgument(scan.filter, "--filter"), request.mutable_filter(), "--filter");
    }
    for (const auto& p : scan.projection) request.add_projection(p);
    request.set_consistent_read(scan.consistent);
    request.set_segment(scan.segment);
    request.set_total_segments(scan.total_segments);
    request.set_limit(scan.limit);
    request.set_page_size(scan.page_size);
    request.set_resume_token(scan.resume_token);
    Progress progress(ctx.err, absl::Milliseconds(scan.progress_ms));
    uint64_t items = 0, examined = 0;
    std::string last_token;
    auto end = ctx.client.Scan(request, [&](const v1::ScanResponse& message) {
      items += static_cast<uint64_t>(message.items_size());
      examined += message.scanned_count();
      if (!message.resume_token().empty()) last_token = message.resume_token();
      if (scan.messages) {
        PrintLine(ctx.out, MessageToJson(message));
      } else {
        for (const v1::Item& item : message.items()) PrintLine(ctx.out, AttributesToJson(item.attributes()));
      }
      progress.Update(items, examined);
      return true;
    });
    progress.Done(items, examined);
    if (!end.ok()) {
      if (!last_token.empty()) ctx.err << "altgw scan: resume with --resume-token " << last_token << "\n";
      return CallFailed(ctx, end.error());
    }
    if (!end->complete() && !last_token.empty()) {
      ctx.err << "altgw scan: stopped at --limit; continue with --resume-token " << last_token << "\n";
    }
    return kExitOk;
  });

  // ---- transaction ----
  struct {
    std::string operations, request_id;
  } transaction;
  CLI::App* transaction_cmd = Command(
      app, "transaction", "Apply up to 100 writes and checks atomically",
      std::string("--operations is a JSON array of "
                  "TransactionOperation messages, e.g. [{\"put\":{\"table\":\"t\",\"item\":{\"id\":{\"s\":\"a\"}}}},"
                  "{\"condition_check\":{\"table\":\"t\",\"key\":{\"id\":{\"s\":\"b\"}},"
                  "\"condition\":{\"attribute_exists\":\"id\"}}}]. ") + kTypedHelp);
  transaction_cmd->add_option("--operations", transaction.operations, "JSON array of TransactionOperation")
      ->required();
  transaction_cmd->add_option("--request-id", transaction.request_id, "Idempotency key");
  on(transaction_cmd, [&](Context& ctx) {
    v1::TransactionRequest request;
    const json operations = JsonArgument(transaction.operations, "--operations");
    if (!operations.is_array()) throw InputError("--operations: expected a JSON array of TransactionOperation");
    for (size_t i = 0; i < operations.size(); ++i) {
      MessageFromJson(operations[i], request.add_operations(), absl::StrCat("--operations[", i, "]"));
    }
    request.set_request_id(transaction.request_id);
    return Finish(ctx, ctx.client.Transaction(request));
  });

  // ---- transact-get ----
  struct {
    std::string items;
  } transact_get;
  CLI::App* transact_get_cmd = Command(
      app, "transact-get", "Read up to 100 items as one consistent snapshot (TransactGet)",
      std::string("--items is a JSON array of TransactGetItem messages, e.g. "
                  "[{\"table\":\"t\",\"key\":{\"id\":{\"s\":\"a\"}}},"
                  "{\"table\":\"u\",\"key\":{\"id\":\"b\"},\"projection\":[\"name\"]}]. Prints one line per "
                  "requested item, in request order: {\"found\":...,\"item\":...[,\"version\":...]}. ") +
          kTypedHelp);
  transact_get_cmd->add_option("--items", transact_get.items, "JSON array of TransactGetItem")->required();
  on(transact_get_cmd, [&](Context& ctx) {
    v1::TransactGetRequest request;
    const json items = JsonArgument(transact_get.items, "--items");
    if (!items.is_array() || items.empty()) {
      throw InputError("--items: expected a non-empty JSON array of TransactGetItem");
    }
    for (size_t i = 0; i < items.size(); ++i) {
      MessageFromJson(items[i], request.add_items(), absl::StrCat("--items[", i, "]"));
    }
    auto result = ctx.client.TransactGet(request);
    if (!result.ok()) return CallFailed(ctx, result.error());
    for (const v1::TransactGetResult& item : result->items()) {
      json line = MessageToJson(item);
      line["found"] = item.found();
      PrintLine(ctx.out, line);
    }
    return kExitOk;
  });

  // ---- batch-get ----
  struct {
    std::string table, keys;
    std::vector<std::string> key, projection;
    bool consistent = false;
  } batch_get;
  CLI::App* batch_get_cmd = Command(
      app, "batch-get", "Read many items of a table by key, one JSON line per item found (in no particular order)",
      kTypedHelp);
  batch_get_cmd->add_option("table", batch_get.table, "Table name")->required();
  Repeated(batch_get_cmd, "--key", batch_get.key, "A key (repeatable)");
  batch_get_cmd->add_option("--keys", batch_get.keys, "A JSON array of keys");
  Repeated(batch_get_cmd, "--projection", batch_get.projection, "An attribute path to return (repeatable)");
  batch_get_cmd->add_flag("--consistent", batch_get.consistent, "Consistent (quorum) reads");
  on(batch_get_cmd, [&](Context& ctx) {
    v1::BatchGetRequest request;
    v1::TableKeys* table = request.add_tables();
    table->set_table(batch_get.table);
    for (size_t i = 0; i < batch_get.key.size(); ++i) {
      const std::string where = absl::StrCat("--key #", i + 1);
      *table->add_keys()->mutable_attributes() = AttributesFromJson(JsonArgument(batch_get.key[i], where), where);
    }
    if (!batch_get.keys.empty()) {
      const json keys = JsonArgument(batch_get.keys, "--keys");
      if (!keys.is_array()) throw InputError("--keys: expected a JSON array of keys");
      for (size_t i = 0; i < keys.size(); ++i) {
        *table->add_keys()->mutable_attributes() = AttributesFromJson(keys[i], absl::StrCat("--keys[", i, "]"));
      }
    }
    if (table->keys_size() == 0) throw InputError("batch-get: give at least one --key or --keys");
    for (const auto& p : batch_get.projection) table->add_projection(p);
    table->set_consistent_read(batch_get.consistent);
    auto result = ctx.client.BatchGet(request);
    if (!result.ok()) return CallFailed(ctx, result.error());
    for (const v1::TableItems& items : result->tables()) {
      for (const v1::Item& item : items.items()) PrintLine(ctx.out, AttributesToJson(item.attributes()));
    }
    return kExitOk;
  });

  // ---- batch-write ----
  struct {
    std::string table, file;
    std::vector<std::string> puts, deletes;
  } batch_write;
  CLI::App* batch_write_cmd = Command(
      app, "batch-write", "Put and delete many items of a table (NOT atomic)",
      std::string("Prints one line per entry "
                  "{\"index\",\"code\"[,\"reason\",\"message\"]}; exit code 3 when some were not applied. "
                  "--file holds JSON lines {\"put\": item} or {\"delete\": key}. ") + kTypedHelp);
  batch_write_cmd->add_option("table", batch_write.table, "Table name")->required();
  Repeated(batch_write_cmd, "--put", batch_write.puts, "An item to put (repeatable)");
  Repeated(batch_write_cmd, "--delete", batch_write.deletes, "A key to delete (repeatable)");
  batch_write_cmd->add_option("--file", batch_write.file, "JSON lines of {\"put\": item} / {\"delete\": key} (- for stdin)");
  on(batch_write_cmd, [&](Context& ctx) {
    v1::BatchWriteRequest request;
    for (size_t i = 0; i < batch_write.puts.size(); ++i) {
      const std::string where = absl::StrCat("--put #", i + 1);
      v1::WriteEntry* entry = request.add_entries();
      entry->set_table(batch_write.table);
      *entry->mutable_put()->mutable_attributes() = AttributesFromJson(JsonArgument(batch_write.puts[i], where), where);
    }
    for (size_t i = 0; i < batch_write.deletes.size(); ++i) {
      const std::string where = absl::StrCat("--delete #", i + 1);
      v1::WriteEntry* entry = request.add_entries();
      entry->set_table(batch_write.table);
      *entry->mutable_delete_()->mutable_attributes() =
          AttributesFromJson(JsonArgument(batch_write.deletes[i], where), where);
    }
    if (!batch_write.file.empty()) {
      std::istringstream lines(ArgumentText(batch_write.file == "-" ? "-" : "@" + batch_write.file, "--file"));
      std::string line;
      for (int number = 1; std::getline(lines, line); ++number) {
        if (absl::StripAsciiWhitespace(line).empty()) continue;
        const std::string where = absl::StrCat("--file line ", number);
        const json j = ParseJson(line, where);
        if (!j.is_object() || j.size() != 1 || (!j.contains("put") && !j.contains("delete"))) {
          throw InputError(where + ": expected {\"put\": item} or {\"delete\": key}");
        }
        v1::WriteEntry* entry = request.add_entries();
        entry->set_table(batch_write.table);
        if (j.contains("put")) {
          *entry->mutable_put()->mutable_attributes() = AttributesFromJson(j["put"], where + ".put");
        } else {
          *entry->mutable_delete_()->mutable_attributes() = AttributesFromJson(j["delete"], where + ".delete");
        }
      }
    }
    if (request.entries_size() == 0) throw InputError("batch-write: give at least one --put, --delete or --file");
    auto result = ctx.client.BatchWrite(request);
    if (!result.ok()) return CallFailed(ctx, result.error());
    int failed = 0;
    for (int i = 0; i < result->statuses_size(); ++i) {
      json line = MessageToJson(result->statuses(i));
      line["index"] = i;
      if (result->statuses(i).code() != 0) ++failed;
      PrintLine(ctx.out, line);
    }
    if (failed > 0) {
      ctx.err << "altgw batch-write: " << failed << " of " << result->statuses_size() << " entries not applied\n";
      return kExitPartial;
    }
    return kExitOk;
  });

  // ---- table ----
  CLI::App* table_cmd = Command(app, "table", "Create, describe, list and delete tables");
  table_cmd->require_subcommand(1);
  struct {
    std::string name, partition_key, sort_key;
    std::vector<std::string> gsi, lsi;
    uint32_t page_size = 0;
  } table;
  CLI::App* create_cmd = Command(*table_cmd, "create", "Create a table; prints the CreateTableResponse",
                                 "--gsi / --lsi take JSON of the GlobalSecondaryIndex / LocalSecondaryIndex "
                                 "messages, e.g. {\"name\":\"by_email\",\"partition_key\":{\"name\":\"email\","
                                 "\"type\":\"SCALAR_TYPE_STRING\"}}.");
  create_cmd->add_option("name", table.name, "Table name")->required();
  create_cmd->add_option("--partition-key", table.partition_key, "NAME:TYPE, TYPE one of S, N, B")->required();
  create_cmd->add_option("--sort-key", table.sort_key, "NAME:TYPE");
  Repeated(create_cmd, "--gsi", table.gsi, "A global secondary index (JSON, repeatable)");
  Repeated(create_cmd, "--lsi", table.lsi, "A local secondary index (JSON, repeatable)");
  on(create_cmd, [&](Context& ctx) {
    v1::CreateTableRequest request;
    request.set_table(table.name);
    ParseKeyAttribute(table.partition_key, "--partition-key", request.mutable_partition_key());
    if (!table.sort_key.empty()) ParseKeyAttribute(table.sort_key, "--sort-key", request.mutable_sort_key());
    for (size_t i = 0; i < table.gsi.size(); ++i) {
      const std::string where = absl::StrCat("--gsi #", i + 1);
      MessageFromJson(JsonArgument(table.gsi[i], where), request.add_global_secondary_indexes(), where);
    }
    for (size_t i = 0; i < table.lsi.size(); ++i) {
      const std::string where = absl::StrCat("--lsi #", i + 1);
      MessageFromJson(JsonArgument(table.lsi[i], where), request.add_local_secondary_indexes(), where);
    }
    return Finish(ctx, ctx.client.CreateTable(request));
  });
  CLI::App* describe_cmd = Command(*table_cmd, "describe", "Describe a table; prints the DescribeTableResponse");
  describe_cmd->add_option("name", table.name, "Table name")->required();
  on(describe_cmd, [&](Context& ctx) {
    v1::DescribeTableRequest request;
    request.set_table(table.name);
    return Finish(ctx, ctx.client.DescribeTable(request));
  });
  CLI::App* list_cmd = Command(*table_cmd, "list", "List tables: one line {\"table\": name} per table");
  list_cmd->add_option("--page-size", table.page_size, "Tables per call (default 100)");
  on(list_cmd, [&](Context& ctx) {
    v1::ListTablesRequest request;
    request.set_page_size(table.page_size);
    for (;;) {
      auto page = ctx.client.ListTables(request);
      if (!page.ok()) return CallFailed(ctx, page.error());
      for (const std::string& name : page->tables()) PrintLine(ctx.out, {{"table", name}});
      if (page->next_page_token().empty()) return kExitOk;
      request.set_page_token(page->next_page_token());
    }
  });
  CLI::App* drop_cmd = Command(*table_cmd, "delete", "Delete a table and all its items");
  drop_cmd->add_option("name", table.name, "Table name")->required();
  on(drop_cmd, [&](Context& ctx) {
    v1::DeleteTableRequest request;
    request.set_table(table.name);
    auto result = ctx.client.DeleteTable(request);
    if (!result.ok()) return CallFailed(ctx, result.error());
    PrintLine(ctx.out, {{"table", table.name}, {"deleted", true}});
    return kExitOk;
  });

  // ---- nodes ----
  CLI::App* nodes_cmd = Command(app, "nodes", "The nodes the gateway's router knows (RoutingService.ListNodes)");
  on(nodes_cmd, [&](Context& ctx) { return Finish(ctx, ctx.client.ListNodes(v1::ListNodesRequest())); });

  // ---- explain-route ----
  struct {
    std::string table, key, operation = "get";
    bool conditional = false;
  } explain;
  CLI::App* explain_cmd = Command(app, "explain-route",
                                  "The plan the router would make for a request (RoutingService.ExplainRoute)",
                                  kTypedHelp);
  explain_cmd->add_option("table", explain.table, "Table name")->required();
  explain_cmd->add_option("--key", explain.key, "The item's key (at least the partition key)")->required();
  explain_cmd->add_option("--operation", explain.operation, "get, query, scan, put, delete or update")
      ->check(CLI::IsMember({"get", "query", "scan", "put", "delete", "update"}))
      ->capture_default_str();
  explain_cmd->add_flag("--conditional", explain.conditional, "The write has a condition");
  on(explain_cmd, [&](Context& ctx) {
    v1::ExplainRouteRequest request;
    request.set_table(explain.table);
    *request.mutable_key() = AttributesFromJson(JsonArgument(explain.key, "--key"), "--key");
    v1::OperationKind kind = v1::OPERATION_KIND_UNSPECIFIED;
    v1::OperationKind_Parse("OPERATION_KIND_" + absl::AsciiStrToUpper(explain.operation), &kind);
    request.set_operation(kind);
    request.set_conditional(explain.conditional);
    return Finish(ctx, ctx.client.ExplainRoute(request));
  });

  // ---- health ----
  std::string health_service;
  CLI::App* health_cmd = Command(app, "health", "grpc.health.v1 Check; prints {\"status\": ...}, exit 1 unless SERVING");
  health_cmd->add_option("--service", health_service, "Service name (default: the whole server)");
  on(health_cmd, [&](Context& ctx) {
    auto status = ctx.client.CheckHealth(health_service);
    if (!status.ok()) return CallFailed(ctx, status.error());
    PrintLine(ctx.out, {{"status", client::health::HealthCheckResponse::ServingStatus_Name(*status)}});
    return *status == client::health::HealthCheckResponse::SERVING ? kExitOk : kExitCallFailed;
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitBadInput;
  }

  CLI::App* chosen = app.get_subcommands().front();
  std::string name = chosen->get_name();
  while (!chosen->get_subcommands().empty()) {
    chosen = chosen->get_subcommands().front();
    name += " " + chosen->get_name();
  }
  const auto action = actions.find(chosen);
  if (action == actions.end()) return kExitBadInput;

  client::ClientOptions options;
  options.address = global.address;
  options.bearer_token = global.token;
  options.tls = global.tls || !global.tls_ca.empty() || !global.tls_cert.empty();
  options.tls_ca_file = global.tls_ca;
  options.tls_client_cert_file = global.tls_cert;
  options.tls_client_key_file = global.tls_key;
  options.tls_server_name = global.tls_server_name;
  if (global.timeout_seconds > 0) {
    options.deadlines.data = options.deadlines.admin = absl::Seconds(global.timeout_seconds);
  }
  auto connected = Client::Connect(options);
  if (!connected.ok()) {
    err << "altgw: " << connected.error().message() << "\n";
    return kExitBadInput;
  }
  Context ctx{*connected, out, err, name};
  try {
    return action->second(ctx);
  } catch (const InputError& e) {
    err << "altgw " << name << ": " << e.what() << " (nothing was sent)\n";
    return kExitBadInput;
  }
}

}  // namespace altgw::cli
