// A complete C++ client of the Alternator Gateway, to copy from: connect, check health, create a table, put
// typed items, read one back, query a page at a time following the page token, run a transaction, and
// handle a condition failure by its ErrorInfo reason. Exits non-zero on any unexpected result (it runs as a
// test against a real gateway).
//
//   altgw_cpp_example [ADDRESS]         the walkthrough (its own table, deleted at the end)
//   altgw_cpp_example share             write the shared item xlang:cpp into $ALTGW_TABLE and read it back
//   altgw_cpp_example verify LANG...    read the shared items the examples of LANG... wrote into $ALTGW_TABLE and
//                                       compare them with the payload (the cross-language check; the payload
//                                       is the same in client/<language>/example.*)
//
//   ALTGW_ADDRESS=<host:port>           the gateway (default 127.0.0.1:50051)
//   ALTGW_TOKEN=<token>                 bearer token, when the gateway requires one
//   ALTGW_CA_FILE=<ca.pem>              connect with TLS, verifying the gateway with this CA (ALTGW_TLS_CA too)
//   ALTGW_CLIENT_CERT, ALTGW_CLIENT_KEY PEM client certificate and key, for gateways that require mutual TLS
//   ALTGW_TABLE=<table>                 the table of `share` and `verify` (default altgw_examples)
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "altgw_client/client.h"

namespace {

namespace v1 = ::alternator::gateway::v1;
using namespace altgw::client;  // NOLINT: an example reads better with the library's short names

int failures = 0;

// Reports an unexpected result and remembers it (the example goes on, so one run shows every problem).
void Expect(bool ok, const std::string& what) {
  std::cout << (ok ? "ok    " : "FAIL  ") << what << "\n";
  if (!ok) ++failures;
}

std::string EnvOr(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// ---- The payload every language writes and reads (keep identical in all examples) ----------------------

Attributes SharedItem(const std::string& language) {
  return MakeItem({
      {"pk", Str("xlang:" + language)},
      {"sk", Int(0)},
      {"text", Str("grüße, 世界 ✓")},
      {"empty_text", Str("")},
      {"count", Int(42)},
      {"max", Int(std::numeric_limits<int64_t>::max())},
      {"price", Decimal("-12345.678901234567890123")},
      {"big", Decimal("100000000000000000000000000000")},
      {"tiny", Decimal("0.000000000000000000000000000001")},
      {"flag", Bool(true)},
      {"nothing", Null()},
      {"blob", Bytes(std::string("\x00\xff\x10\x80\x61", 5))},
      {"tags", StringSet({"red", "green", "blue"})},
      {"scores", NumberSet({"1", "2.5", "-3"})},
      {"blobs", BytesSet({std::string("\x01"), std::string("\x02\x03")})},
      {"nested", Map({{"level", Int(1)},
                      {"list", List({Str("a"), Int(2), Bool(false), Map({{"deep", Bytes("\xca\xfe")}})})},
                      {"empty", Map({})}})},
      {"empty_list", List({})},
  });
}

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// A stable text form of a value for comparisons: sets sorted, map keys sorted, numbers as decimal text (the
// gateway may answer 42 as `integer` where it was sent as `decimal`, and the reverse).
std::string Canonical(const Value& value) {
  auto sorted = [](std::vector<std::string> items) {
    std::set<std::string> unique(items.begin(), items.end());
    std::string out;
    for (const std::string& item : unique) out += (out.empty() ? "" : ",") + item;
    return "[" + out + "]";
  };
  switch (value.kind_case()) {
    case Value::kNullValue: return "NULL";
    case Value::kBoolValue: return value.bool_value() ? "BOOL:true" : "BOOL:false";
    case Value::kStringValue: return "S:\"" + value.string_value() + "\"";
    case Value::kBytesValue: return "B:" + Hex(value.bytes_value());
    case Value::kNumberValue: return "N:" + NumberText(value.number_value());
    case Value::kListValue: {
      std::string out;
      for (const Value& v : value.list_value().values()) out += (out.empty() ? "" : ",") + Canonical(v);
      return "L[" + out + "]";
    }
    case Value::kMapValue: {
      std::map<std::string, std::string> fields;  // sorted by name
      for (const auto& [name, v] : value.map_value().fields()) fields[name] = Canonical(v);
      std::string out;
      for (const auto& [name, text] : fields) out += (out.empty() ? "" : ",") + name + "=" + text;
      return "M{" + out + "}";
    }
    case Value::kStringSet:
      return "SS" + sorted(std::vector<std::string>(value.string_set().values().begin(), value.string_set().values().end()));
    case Value::kNumberSet: {
      std::vector<std::string> texts;
      for (const v1::Number& n : value.number_set().values()) texts.push_back(NumberText(n));
      return "NS" + sorted(texts);
    }
    case Value::kBytesSet: {
      std::vector<std::string> hex;
      for (const std::string& b : value.bytes_set().values()) hex.push_back(Hex(b));
      return "BS" + sorted(hex);
    }
    case Value::KIND_NOT_SET: break;
  }
  return "?";
}

// Reads the shared item `language` wrote and compares it attribute by attribute with the payload. Returns an
// empty string when equal, else what differs.
std::string VerifyShared(const Client& client, const std::string& table, const std::string& language) {
  v1::GetRequest get;
  get.set_table(table);
  *get.mutable_key() = MakeItem({{"pk", Str("xlang:" + language)}, {"sk", Int(0)}});
  get.set_consistent_read(true);
  const v1::GetResponse got = client.Get(get).value();
  if (!got.found()) return "shared item of " + language + ": not found";
  std::map<std::string, std::string> expected, actual;
  for (const auto& [name, value] : SharedItem(language)) expected[name] = Canonical(value);
  for (const auto& [name, value] : got.item()) actual[name] = Canonical(value);
  std::string names, details;
  std::set<std::string> all;
  for (const auto& entry : expected) all.insert(entry.first);
  for (const auto& entry : actual) all.insert(entry.first);
  for (const std::string& name : all) {
    const std::string want = expected.count(name) ? expected[name] : "(absent)";
    const std::string have = actual.count(name) ? actual[name] : "(absent)";
    if (want == have) continue;
    names += (names.empty() ? "" : ", ") + name;
    details += "; " + name + ": expected " + want + " got " + have;
  }
  if (!names.empty()) return "shared item of " + language + " differs in [" + names + "]" + details;
  std::cout << "shared item xlang:" << language << ": equal (" << actual.size() << " attributes)\n";
  return "";
}

// `share` and `verify`: the C++ side of the cross-language check. Output as in the other languages' examples.
int SharedItemCheck(const Client& client, const std::vector<std::string>& args) {
  const std::string table = EnvOr("ALTGW_TABLE", "altgw_examples");
  std::vector<std::string> languages(args.begin() + 1, args.end());
  if (args[0] == "share") {
    v1::PutRequest put;
    put.set_table(table);
    *put.mutable_item() = SharedItem("cpp");
    client.Put(put).value();
    languages = {"cpp"};
  }
  for (const std::string& language : languages) {
    const std::string difference = VerifyShared(client, table, language);
    if (!difference.empty()) {
      std::cerr << "FAILED: " << difference << "\n";
      return 1;
    }
  }
  std::cout << "OK\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const bool shared_mode = !args.empty() && (args[0] == "share" || args[0] == "verify");
  ClientOptions options;
  options.address = !args.empty() && !shared_mode ? args[0] : EnvOr("ALTGW_ADDRESS", "127.0.0.1:50051");
  options.bearer_token = EnvOr("ALTGW_TOKEN", "");
  options.tls_ca_file = EnvOr("ALTGW_CA_FILE", EnvOr("ALTGW_TLS_CA", ""));
  options.tls_client_cert_file = EnvOr("ALTGW_CLIENT_CERT", "");
  options.tls_client_key_file = EnvOr("ALTGW_CLIENT_KEY", "");
  options.tls = !options.tls_ca_file.empty();
  Result<Client> connected = Client::Connect(options);
  if (!connected.ok()) {
    std::cerr << "FAILED: cannot connect: " << connected.error().ToString() << "\n";
    return 2;
  }
  const Client& client = *connected;
  std::cout << "connect: " << options.address << " (" << (options.tls ? "TLS" : "plaintext") << ", "
            << (options.bearer_token.empty() ? "no token" : "bearer token") << ")\n";

  try {
    if (shared_mode) return SharedItemCheck(client, args);
    // 1. Health (grpc.health.v1): the gateway and its data service are serving.
    Expect(client.CheckHealth().value() == health::HealthCheckResponse::SERVING, "health: server SERVING");
    // Per-service health: gateways that do not register service names answer NOT_FOUND for them.
    Result<health::HealthCheckResponse::ServingStatus> data_health =
        client.CheckHealth("alternator.gateway.v1.DataService");
    if (!data_health.ok() && data_health.error().code() == grpc::StatusCode::NOT_FOUND) {
      std::cout << "note  this gateway reports only the server's overall health\n";
    } else {
      Expect(data_health.value() == health::HealthCheckResponse::SERVING, "health: DataService SERVING");
    }

    // 2. A table keyed by (user: string, seq: number).
    const std::string table = "cpp_example_" + std::to_string(getpid());
    v1::CreateTableRequest create;
    create.set_table(table);
    create.mutable_partition_key()->set_name("user");
    create.mutable_partition_key()->set_type(v1::SCALAR_TYPE_STRING);
    create.mutable_sort_key()->set_name("seq");
    create.mutable_sort_key()->set_type(v1::SCALAR_TYPE_NUMBER);
    Expect(client.CreateTable(create).value().table().name() == table, "create table " + table);

    // 3. Typed items: exact decimals, sets, bytes, nested maps and lists.
    for (int seq = 1; seq <= 5; ++seq) {
      Attributes item = MakeItem({
          {"user", Str("ann")},
          {"seq", Int(seq)},
          {"balance", Decimal("10.10")},
          {"tags", StringSet({"new", "seq" + std::to_string(seq)})},
          {"avatar", Bytes(std::string("\x00\x01\xff", 3))},
          {"address", ToValue(std::map<std::string, std::string>{{"city", "Oslo"}})},
          {"scores", ToValue(std::vector<int64_t>{seq, seq * 10})},
          {"vip", Bool(seq == 1)},
      });
      client.PutItem(table, item).value();
    }
    Expect(true, "put 5 items");

    // 4. Read one back and decode it into native types.
    std::optional<Attributes> got = client.GetItem(table, MakeItem({{"user", Str("ann")}, {"seq", Int(3)}})).value();
    Expect(got.has_value(), "get (ann, 3) found");
    if (got) {
      Expect(AsDecimal(Attribute(*got, "balance").value()).value() == "10.1", "balance is exactly 10.1");
      Expect(AsInt64(Attribute(*got, "seq").value()).value() == 3, "seq is 3");
      Expect(AsBytes(Attribute(*got, "avatar").value()).value() == std::string("\x00\x01\xff", 3), "avatar bytes");
      Expect(AsString(AsMap(Attribute(*got, "address").value()).value().at("city")).value() == "Oslo",
             "address.city is Oslo");
      Expect(AsList(Attribute(*got, "scores").value()).value().size() == 2, "scores has 2 elements");
      Expect(!AsString(Attribute(*got, "seq").value()).ok(), "reading a number as a string is an error");
    }

    // 5. Query two items per page, following next_page_token until it is empty (a page may be short or
    //    even empty and still carry a token).
    v1::QueryRequest query;
    query.set_table(table);
    *query.mutable_partition_key() = Str("ann");
    query.set_page_size(2);
    int pages = 0;
    std::vector<int64_t> seqs;
    for (;;) {
      v1::QueryResponse page = client.Query(query).value();
      ++pages;
      for (const v1::Item& item : page.items()) seqs.push_back(AsInt64(item.attributes().at("seq")).value());
      if (page.next_page_token().empty()) break;
      query.set_page_token(page.next_page_token());
    }
    Expect(seqs == std::vector<int64_t>({1, 2, 3, 4, 5}), "query returned seq 1..5 in order");
    Expect(pages >= 3, "query took " + std::to_string(pages) + " pages of 2");

    // 6. A transaction: move 2.5 from (ann, 1) to (ann, 2), only if (ann, 1) has enough.
    v1::TransactionRequest transaction;
    {
      v1::TransactUpdate* debit = transaction.add_operations()->mutable_update();
      debit->set_table(table);
      *debit->mutable_key() = MakeItem({{"user", Str("ann")}, {"seq", Int(1)}});
      v1::Increment* by = debit->add_actions()->mutable_increment();
      by->set_path("balance");
      by->mutable_delta()->set_decimal("-2.5");
      v1::Comparison* enough = debit->mutable_condition()->mutable_comparison();
      enough->set_path("balance");
      enough->set_comparator(v1::COMPARATOR_GREATER_OR_EQUAL);
      *enough->mutable_value() = Decimal("2.5");
      v1::TransactUpdate* credit = transaction.add_operations()->mutable_update();
      credit->set_table(table);
      *credit->mutable_key() = MakeItem({{"user", Str("ann")}, {"seq", Int(2)}});
      credit->add_actions()->mutable_increment()->set_path("balance");
      credit->mutable_actions(0)->mutable_increment()->mutable_delta()->set_decimal("2.5");
    }
    client.Transaction(transaction).value();
    auto balance = [&](int seq) {
      return AsDecimal(Attribute(*client.GetItem(table, MakeItem({{"user", Str("ann")}, {"seq", Int(seq)}})).value(),
                                 "balance")
                           .value())
          .value();
    };
    Expect(balance(1) == "7.6" && balance(2) == "12.6", "transaction moved 2.5 exactly (7.6 / 12.6)");

    // 7. A condition failure, handled by its reason: create (ann, 1) only if it does not exist.
    v1::PutRequest put;
    put.set_table(table);
    *put.mutable_item() = MakeItem({{"user", Str("ann")}, {"seq", Int(1)}});
    put.mutable_condition()->set_attribute_not_exists("user");
    put.set_return_item_on_condition_failure(true);
    Result<v1::PutResponse> refused = client.Put(put);
    if (refused.ok()) {
      Expect(false, "conditional put of an existing item was refused");
    } else if (refused.error().reason() == "CONDITION_FAILED") {
      // The expected outcome: nothing was written; the error carries the item as it is now.
      const Error& error = refused.error();
      Expect(error.code() == grpc::StatusCode::FAILED_PRECONDITION, "condition failure is FAILED_PRECONDITION");
      Expect(error.condition_failure() && error.condition_failure()->item_exists() &&
                 error.condition_failure()->item().at("balance").number_value().decimal() == "7.6",
             "the error carries the current item");
    } else {
      Expect(false, "unexpected error: " + refused.error().ToString());
    }

    // 8. Clean up.
    v1::DeleteTableRequest drop;
    drop.set_table(table);
    client.DeleteTable(drop).value();
    Expect(true, "delete table");
  } catch (const ErrorException& e) {
    // Result::value() throws on an unexpected failed call: report it with its reason and field violations.
    std::cerr << "FAILED: unexpected error " << e.error().ToString() << "\n";
    return 1;
  }
  std::cout << (failures == 0 ? "example passed\n" : "example FAILED\n");
  return failures == 0 ? 0 : 1;
}
