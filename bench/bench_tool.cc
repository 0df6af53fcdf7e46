// Helper commands for bench/run.py:
//
//   altgw_bench_tool frames DATA_DIR OUT_DIR
//       Writes, for Get, Put and Query: <Op>.frame, the gRPC message frame h2load posts (flag byte 0,
//       4-byte big-endian length, serialized request), and <Op>.http, the DynamoDB JSON body the gateway
//       sends for that request (the gateway's own translation), which wrk posts to the backend directly.
//   altgw_bench_tool check HOST:PORT OP CALLS DATA_DIR [EXPECT]
//       Makes CALLS unary calls of OP (Get, Put, Query) with a real gRPC client and checks every
//       grpc-status is OK and the answer has the expected content (EXPECT: "canned" = the canned answers
//       of bench/data, the default; "stored" = the item Put wrote, found). Prints one JSON line with the
//       counts and the size of an OK response frame (h2load only counts HTTP statuses: run.py checks its
//       data bytes against this size). Exit status 1 when any call failed.
//   altgw_bench_tool create-table HOST:PORT
//       Creates table "bench" (pk S, sk S) through the gateway's TableService (ALREADY_EXISTS is fine).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "absl/time/clock.h"
#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "alternator/gateway/v1/table_service.grpc.pb.h"
#include "bench_data.h"
#include "model/item_requests.h"
#include "model/page_token.h"
#include "model/query_requests.h"

namespace altgw::bench {
namespace {

std::string Frame(const google::protobuf::MessageLite& message) {
  const std::string payload = message.SerializeAsString();
  std::string frame(5, '\0');
  const uint32_t size = static_cast<uint32_t>(payload.size());
  frame[1] = static_cast<char>(size >> 24);
  frame[2] = static_cast<char>(size >> 16);
  frame[3] = static_cast<char>(size >> 8);
  frame[4] = static_cast<char>(size);
  return frame + payload;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

int Frames(const std::string& data_dir, const std::string& out_dir) {
  const model::TableSchema schema = BenchSchema(data_dir);
  const v1::GetRequest get = BenchGetRequest();
  const v1::PutRequest put = BenchPutRequest(data_dir);
  const v1::QueryRequest query = BenchQueryRequest();
  auto tokens = model::PageTokenCodec::Create({"bench"}, absl::Hours(1));
  auto get_call = model::TranslateGet(get, schema);
  auto put_call = model::TranslatePut(put, schema);
  auto query_call = model::TranslateQuery(query, schema, *tokens, absl::Now());
  if (!get_call.ok() || !put_call.ok() || !query_call.ok()) {
    std::cerr << "altgw_bench_tool: the benchmark requests do not translate\n";
    return 1;
  }
  WriteFile(out_dir + "/Get.frame", Frame(get));
  WriteFile(out_dir + "/Put.frame", Frame(put));
  WriteFile(out_dir + "/Query.frame", Frame(query));
  WriteFile(out_dir + "/Get.http", get_call->body);
  WriteFile(out_dir + "/Put.http", put_call->body);
  WriteFile(out_dir + "/Query.http", query_call->call.body);
  return 0;
}

// What an OK answer must hold; empty when it does.
template <typename Response>
std::string Problem(const std::string& op, const Response& response, const std::string& expect);

template <>
std::string Problem(const std::string&, const v1::GetResponse& response, const std::string&) {
  if (!response.found()) return "item not found";
  if (response.item().size() != 10) return "item has " + std::to_string(response.item().size()) + " attributes, not 10";
  return "";
}
template <>
std::string Problem(const std::string&, const v1::PutResponse&, const std::string&) {
  return "";
}
template <>
std::string Problem(const std::string&, const v1::QueryResponse& response, const std::string& expect) {
  if (expect == "stored") return response.items_size() >= 1 ? "" : "no item";
  if (response.items_size() != 10) return "page has " + std::to_string(response.items_size()) + " items, not 10";
  if (response.next_page_token().empty()) return "no page token";
  return "";
}

template <typename Request, typename Response, typename Method>
int Check(v1::DataService::Stub& stub, Method method, const Request& request, const std::string& op, int calls,
          const std::string& expect) {
  int ok = 0;
  size_t frame_bytes = 0;
  std::map<std::string, int> problems;
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    Response response;
    const grpc::Status status = (stub.*method)(&context, request, &response);
    std::string problem;
    if (!status.ok()) {
      problem = "grpc-status " + std::to_string(status.error_code()) + ": " + status.error_message();
    } else {
      problem = Problem(op, response, expect);
    }
    if (problem.empty()) {
      ++ok;
      frame_bytes = 5 + response.ByteSizeLong();
    } else {
      ++problems[problem];
    }
  }
  nlohmann::json report = {{"op", op}, {"calls", calls}, {"ok", ok}, {"response_frame_bytes", frame_bytes}};
  report["problems"] = nlohmann::json::object();
  for (const auto& [problem, count] : problems) report["problems"][problem] = count;
  std::cout << report.dump() << std::endl;
  return ok == calls ? 0 : 1;
}

int CheckCommand(const std::string& target, const std::string& op, int calls, const std::string& expect,
                 const std::string& data_dir) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = v1::DataService::NewStub(channel);
  if (op == "Get") {
    return Check<v1::GetRequest, v1::GetResponse>(*stub, &v1::DataService::Stub::Get, BenchGetRequest(), op, calls,
                                                  expect);
  }
  if (op == "Put") {
    return Check<v1::PutRequest, v1::PutResponse>(*stub, &v1::DataService::Stub::Put, BenchPutRequest(data_dir), op,
                                                  calls, expect);
  }
  if (op == "Query") {
    return Check<v1::QueryRequest, v1::QueryResponse>(*stub, &v1::DataService::Stub::Query, BenchQueryRequest(), op,
                                                      calls, expect);
  }
  std::cerr << "altgw_bench_tool: unknown operation " << op << "\n";
  return 2;
}

int CreateTable(const std::string& target) {
  auto stub = v1::TableService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  v1::CreateTableRequest request;
  request.set_table(kTable);
  request.mutable_partition_key()->set_name("pk");
  request.mutable_partition_key()->set_type(v1::SCALAR_TYPE_STRING);
  request.mutable_sort_key()->set_name("sk");
  request.mutable_sort_key()->set_type(v1::SCALAR_TYPE_STRING);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::CreateTableResponse response;
  const grpc::Status status = stub->CreateTable(&context, request, &response);
  if (status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS) return 0;
  std::cerr << "altgw_bench_tool: CreateTable: " << status.error_code() << " " << status.error_message() << "\n";
  return 1;
}

}  // namespace
}  // namespace altgw::bench

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "frames" && argc == 4) return altgw::bench::Frames(argv[2], argv[3]);
    if (command == "check" && (argc == 6 || argc == 7)) {
      return altgw::bench::CheckCommand(argv[2], argv[3], std::stoi(argv[4]), argc == 7 ? argv[6] : "canned",
                                        argv[5]);
    }
    if (command == "create-table" && argc == 3) return altgw::bench::CreateTable(argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "altgw_bench_tool: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: altgw_bench_tool frames DATA_DIR OUT_DIR\n"
               "       altgw_bench_tool check HOST:PORT OP CALLS DATA_DIR [canned|stored]\n"
               "       altgw_bench_tool create-table HOST:PORT\n";
  return 2;
}
