// E in the overhead benchmark: a trivial gRPC server with the gateway's DataService (Get, Put, Query) that
// answers every call with a fixed response and touches no backend: the cost of the gRPC hop alone. Its
// responses are the gateway's own decoding of the canned answers nginx serves, so both send the same bytes.
//
//   altgw_bench_standin DATA_DIR HOST:PORT
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "bench_data.h"
#include "model/item_requests.h"
#include "model/page_token.h"
#include "model/query_requests.h"

namespace altgw::bench {
namespace {

class StandInDataService final : public v1::DataService::CallbackService {
 public:
  explicit StandInDataService(const std::string& data_dir) {
    const model::TableSchema schema = BenchSchema(data_dir);
    auto get = model::ParseGetResponse(model::Answer::FromJson(CannedAnswer(data_dir, "GetItem")), schema);
    auto put = model::ParsePutResponse(CannedAnswer(data_dir, "PutItem"), model::WriteAnswer());
    auto tokens = model::PageTokenCodec::Create({model::PageTokenCodec::RandomKey()}, absl::Hours(24));
    auto query = model::ParseQueryResponse(model::Answer::FromJson(CannedAnswer(data_dir, "Query")), "binding",
                                           *tokens, absl::Now(), schema);
    if (!get.ok() || !put.ok() || !query.ok()) throw std::runtime_error("canned answers do not decode");
    get_ = *std::move(get);
    put_ = *std::move(put);
    query_ = *std::move(query);
  }

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const v1::GetRequest*,
                                v1::GetResponse* response) override {
    *response = get_;
    return Done(context);
  }
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context, const v1::PutRequest*,
                                v1::PutResponse* response) override {
    *response = put_;
    return Done(context);
  }
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* context, const v1::QueryRequest*,
                                  v1::QueryResponse* response) override {
    *response = query_;
    return Done(context);
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  v1::GetResponse get_;
  v1::PutResponse put_;
  v1::QueryResponse query_;
};

}  // namespace
}  // namespace altgw::bench

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: altgw_bench_standin DATA_DIR HOST:PORT\n";
    return 2;
  }
  altgw::bench::StandInDataService service(argv[1]);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(argv[2], grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "altgw_bench_standin: cannot listen on " << argv[2] << "\n";
    return 2;
  }
  std::cerr << "altgw_bench_standin: serving on port " << port << std::endl;
  server->Wait();  // until killed
  return 0;
}
