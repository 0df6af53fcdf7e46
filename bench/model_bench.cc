// Per-request costs of the pure translation layer (src/model), on the benchmark's own workload
// (bench/data): typed values to DynamoDB JSON and back, condition and update compilation, page-token
// signing and verification, and whole Get/Put/Query translations. Run from the source tree's bench/
// folder or pass ALTGW_BENCH_DATA=<bench/data>.
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "bench_data.h"
#include "benchmark/benchmark.h"
#include "model/answer.h"
#include "model/batch_requests.h"
#include "model/condition_compiler.h"
#include "model/expression_context.h"
#include "model/item_requests.h"
#include "model/page_token.h"
#include "model/query_requests.h"
#include "model/update_compiler.h"

namespace altgw::bench {
namespace {

using nlohmann::json;

std::string DataDir() {
  const char* dir = std::getenv("ALTGW_BENCH_DATA");
  return dir != nullptr ? dir : ALTGW_BENCH_DATA_DIR;
}

v1::Value Number(int64_t n) {
  v1::Value value;
  value.mutable_number_value()->set_integer(n);
  return value;
}

// The 10-attribute item of GetItem.json, typed.
const v1::PutRequest& Item() {
  static const v1::PutRequest* request = new v1::PutRequest(BenchPutRequest(DataDir()));
  return *request;
}

void BM_EncodeItem(benchmark::State& state) {
  const model::AttributeMap& item = Item().item();
  for (auto _ : state) {
    Violations violations;
    model::ValueEncoder encoder(violations);
    size_t size = 0;
    json encoded = encoder.EncodeAttributes(item, FieldRef("item"), &size);
    benchmark::DoNotOptimize(encoded);
  }
}

void BM_EncodeItemAndDump(benchmark::State& state) {
  const model::AttributeMap& item = Item().item();
  for (auto _ : state) {
    Violations violations;
    model::ValueEncoder encoder(violations);
    size_t size = 0;
    std::string text = encoder.EncodeAttributes(item, FieldRef("item"), &size).dump();
    benchmark::DoNotOptimize(text);
  }
}

void BM_DecodeItem(benchmark::State& state) {
  const json item = CannedAnswer(DataDir(), "GetItem")["Item"];
  for (auto _ : state) {
    v1::GetResponse response;
    benchmark::DoNotOptimize(model::DecodeAttributes(item, response.mutable_item()));
  }
}

void BM_ParseAndDecodeGetAnswer(benchmark::State& state) {
  const std::string text = ReadFile(DataDir() + "/GetItem.json");
  const model::TableSchema schema = BenchSchema(DataDir());
  for (auto _ : state) {
    std::optional<model::Answer> answer = model::Answer::Parse(text);
    auto response = model::ParseGetResponse(*answer, schema);
    benchmark::DoNotOptimize(response);
  }
}

// What answers read through Answer::json() pay (writes, tables, batches): the same GetItem answer.
void BM_ParseGetAnswerAsJson(benchmark::State& state) {
  const std::string text = ReadFile(DataDir() + "/GetItem.json");
  for (auto _ : state) {
    std::optional<model::Answer> answer = model::Answer::Parse(text);
    benchmark::DoNotOptimize(answer->json());
  }
}

void BM_ParseAndDecodeQueryAnswer(benchmark::State& state) {
  const std::string text = ReadFile(DataDir() + "/Query.json");
  const model::TableSchema schema = BenchSchema(DataDir());
  auto tokens = model::PageTokenCodec::Create({"bench-key"}, absl::Hours(24));
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    std::optional<model::Answer> answer = model::Answer::Parse(text);
    auto response = model::ParseQueryResponse(*answer, "binding", *tokens, now, schema);
    benchmark::DoNotOptimize(response);
  }
}

// A BatchGetItem answer carrying the 10 items of Query.json for one table.
void BM_ParseAndDecodeBatchGetAnswer(benchmark::State& state) {
  const json page = json::parse(ReadFile(DataDir() + "/Query.json"));
  const std::string text = json{{"Responses", {{"bench", page["Items"]}}}, {"UnprocessedKeys", json::object()}}.dump();
  const model::TableSchema schema = BenchSchema(DataDir());
  const model::SchemaLookup lookup = [&](const std::string&) { return &schema; };
  for (auto _ : state) {
    std::optional<model::Answer> answer = model::Answer::Parse(text);
    auto parsed = model::ParseBatchGetAnswer(*answer, lookup);
    benchmark::DoNotOptimize(parsed);
  }
}

void BM_TranslateGet(benchmark::State& state) {
  const model::TableSchema schema = BenchSchema(DataDir());
  const v1::GetRequest request = BenchGetRequest();
  for (auto _ : state) benchmark::DoNotOptimize(model::TranslateGet(request, schema));
}

void BM_TranslatePut(benchmark::State& state) {
  const model::TableSchema schema = BenchSchema(DataDir());
  const v1::PutRequest& request = Item();
  for (auto _ : state) benchmark::DoNotOptimize(model::TranslatePut(request, schema));
}

void BM_TranslateQuery(benchmark::State& state) {
  const model::TableSchema schema = BenchSchema(DataDir());
  const v1::QueryRequest request = BenchQueryRequest();
  auto tokens = model::PageTokenCodec::Create({"bench-key"}, absl::Hours(24));
  const absl::Time now = absl::Now();
  for (auto _ : state) benchmark::DoNotOptimize(model::TranslateQuery(request, schema, *tokens, now));
}

// status = "active" AND (age >= 18 OR attribute_not_exists(banned)) AND size(tags) > 0
v1::Condition SampleCondition() {
  v1::Condition condition;
  auto* all = condition.mutable_all_of()->mutable_conditions();
  auto* status = all->Add()->mutable_comparison();
  status->set_path("status");
  status->set_comparator(v1::COMPARATOR_EQUAL);
  *status->mutable_value() = StringValue("active");
  auto* any = all->Add()->mutable_any_of()->mutable_conditions();
  auto* age = any->Add()->mutable_comparison();
  age->set_path("profile.age");
  age->set_comparator(v1::COMPARATOR_GREATER_OR_EQUAL);
  *age->mutable_value() = Number(18);
  any->Add()->set_attribute_not_exists("banned");
  auto* size = all->Add()->mutable_size();
  size->set_path("tags");
  size->set_comparator(v1::COMPARATOR_GREATER);
  size->set_size(0);
  return condition;
}

void BM_CompileCondition(benchmark::State& state) {
  const v1::Condition condition = SampleCondition();
  for (auto _ : state) {
    Violations violations;
    model::ValueEncoder encoder(violations);
    model::ExpressionContext context;
    std::string text = model::CompileCondition(condition, FieldRef("condition"), context, encoder);
    json body = json::object();
    std::move(context).WriteTo(body);
    benchmark::DoNotOptimize(text);
    benchmark::DoNotOptimize(body);
  }
}

// SET name = :v, REMOVE nickname, ADD visits 1, SET balance = balance + 5, SET logins = list_append(...)
google::protobuf::RepeatedPtrField<v1::UpdateAction> SampleUpdate() {
  google::protobuf::RepeatedPtrField<v1::UpdateAction> actions;
  auto* set = actions.Add()->mutable_set();
  set->set_path("name");
  *set->mutable_value() = StringValue("Ada King");
  actions.Add()->set_remove("nickname");
  auto* add = actions.Add()->mutable_add();
  add->set_path("visits");
  *add->mutable_value() = Number(1);
  auto* increment = actions.Add()->mutable_increment();
  increment->set_path("balance");
  increment->mutable_delta()->set_integer(5);
  auto* append = actions.Add()->mutable_append_to_list();
  append->set_path("logins");
  *append->add_values() = Number(4);
  return actions;
}

void BM_CompileUpdate(benchmark::State& state) {
  const auto actions = SampleUpdate();
  const model::TableSchema schema = BenchSchema(DataDir());
  for (auto _ : state) {
    Violations violations;
    model::ValueEncoder encoder(violations);
    model::ExpressionContext context;
    model::CompiledUpdate update = model::CompileUpdate(actions, schema, FieldRef("actions"), context, encoder);
    json body = json::object();
    std::move(context).WriteTo(body);
    benchmark::DoNotOptimize(update);
    benchmark::DoNotOptimize(body);
  }
}

// A typical LastEvaluatedKey as the payload.
const char kStartKey[] = R"({"pk":{"S":"user#42"},"sk":{"S":"order#0009"}})";

void BM_PageTokenSign(benchmark::State& state) {
  auto tokens = model::PageTokenCodec::Create({"bench-key"}, absl::Hours(24));
  const absl::Time now = absl::Now();
  for (auto _ : state) benchmark::DoNotOptimize(tokens->Encode("binding of the query", kStartKey, now));
}

void BM_PageTokenVerify(benchmark::State& state) {
  auto tokens = model::PageTokenCodec::Create({"bench-key"}, absl::Hours(24));
  const absl::Time now = absl::Now();
  const std::string token = tokens->Encode("binding of the query", kStartKey, now);
  for (auto _ : state) {
    model::DecodedPageToken decoded = tokens->Decode(token, "binding of the query", now);
    if (!decoded.ok()) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(decoded);
  }
}

BENCHMARK(BM_EncodeItem);
BENCHMARK(BM_EncodeItemAndDump);
BENCHMARK(BM_DecodeItem);
BENCHMARK(BM_ParseAndDecodeGetAnswer);
BENCHMARK(BM_ParseGetAnswerAsJson);
BENCHMARK(BM_ParseAndDecodeQueryAnswer);
BENCHMARK(BM_ParseAndDecodeBatchGetAnswer);
BENCHMARK(BM_TranslateGet);
BENCHMARK(BM_TranslatePut);
BENCHMARK(BM_TranslateQuery);
BENCHMARK(BM_CompileCondition);
BENCHMARK(BM_CompileUpdate);
BENCHMARK(BM_PageTokenSign);
BENCHMARK(BM_PageTokenVerify);

}  // namespace
}  // namespace altgw::bench
