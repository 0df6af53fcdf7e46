// DataService: typed item reads and writes (Put, Get, Delete, Update, Query, Scan, batches, transactions).
#ifndef ALTGW_SERVICE_DATA_SERVICE_H_
#define ALTGW_SERVICE_DATA_SERVICE_H_

#include <memory>

#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "service/gateway.h"
#include "service/serving_queues.h"

namespace altgw::service {

namespace v1 = ::alternator::gateway::v1;

class DataServiceImpl final {
 public:
  explicit DataServiceImpl(Gateway& gateway) : gateway_(gateway) {}

  // What to register with the grpc::ServerBuilder.
  grpc::Service* service() { return &service_; }
  // After the server started: serves every method on `queues`.
  void Serve(ServingQueues& queues);

 private:
  void Put(const std::shared_ptr<UnaryCall>& call, const v1::PutRequest* request, v1::PutResponse* response);
  void Get(const std::shared_ptr<UnaryCall>& call, const v1::GetRequest* request, v1::GetResponse* response);
  void Delete(const std::shared_ptr<UnaryCall>& call, const v1::DeleteRequest* request, v1::DeleteResponse* response);
  void Update(const std::shared_ptr<UnaryCall>& call, const v1::UpdateRequest* request, v1::UpdateResponse* response);
  void Query(const std::shared_ptr<UnaryCall>& call, const v1::QueryRequest* request, v1::QueryResponse* response);

  Gateway& gateway_;
  v1::DataService::AsyncService service_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_DATA_SERVICE_H_
