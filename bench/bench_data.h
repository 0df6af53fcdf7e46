// The benchmark's fixed workload, shared by the tools that must agree on it: the canned DynamoDB answers in
// bench/data (which nginx serves and the stand-in gRPC server decodes), the table schema they imply, and
// the typed requests the load generators send (Get, Put, Query on table "bench").
#ifndef ALTGW_BENCH_BENCH_DATA_H_
#define ALTGW_BENCH_BENCH_DATA_H_

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "alternator/gateway/v1/data_service.pb.h"
#include "model/table_schema.h"
#include "model/value_codec.h"
#include "nlohmann/json.hpp"

namespace altgw::bench {

namespace v1 = ::alternator::gateway::v1;

inline constexpr char kTable[] = "bench";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A canned answer: bench/data/<Operation>.json.
inline nlohmann::json CannedAnswer(const std::string& data_dir, const std::string& operation) {
  return nlohmann::json::parse(ReadFile(data_dir + "/" + operation + ".json"));
}

inline model::TableSchema BenchSchema(const std::string& data_dir) {
  auto schema = model::ParseTableSchema(CannedAnswer(data_dir, "DescribeTable")["Table"]);
  if (!schema.ok()) throw std::runtime_error(std::string(schema.status().message()));
  return *std::move(schema);
}

inline v1::Value StringValue(const std::string& text) {
  v1::Value value;
  value.set_string_value(text);
  return value;
}

// Get reads the item GetItem.json answers with.
inline v1::GetRequest BenchGetRequest() {
  v1::GetRequest request;
  request.set_table(kTable);
  (*request.mutable_key())["pk"] = StringValue("user#42");
  (*request.mutable_key())["sk"] = StringValue("profile");
  return request;
}

// Put writes that same item (so its request is as rich as a Get's answer).
inline v1::PutRequest BenchPutRequest(const std::string& data_dir) {
  v1::PutRequest request;
  request.set_table(kTable);
  absl::Status decoded = model::DecodeAttributes(CannedAnswer(data_dir, "GetItem")["Item"], request.mutable_item());
  if (!decoded.ok()) throw std::runtime_error(std::string(decoded.message()));
  return request;
}

// Query reads one page of 10 items of the partition Query.json answers for.
inline v1::QueryRequest BenchQueryRequest() {
  v1::QueryRequest request;
  request.set_table(kTable);
  *request.mutable_partition_key() = StringValue("user#42");
  request.set_page_size(10);
  return request;
}

}  // namespace altgw::bench

#endif  // ALTGW_BENCH_BENCH_DATA_H_
