// DataService: typed item reads and writes (Put, Get, Delete, Update, Query).
#ifndef ALTGW_SERVICE_DATA_SERVICE_H_
#define ALTGW_SERVICE_DATA_SERVICE_H_

#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "service/gateway.h"

namespace altgw::service {

namespace v1 = ::alternator::gateway::v1;

class DataServiceImpl final : public v1::DataService::CallbackService {
 public:
  explicit DataServiceImpl(Gateway& gateway) : gateway_(gateway) {}

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context, const v1::PutRequest* request,
                                v1::PutResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const v1::GetRequest* request,
                                v1::GetResponse* response) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context, const v1::DeleteRequest* request,
                                   v1::DeleteResponse* response) override;
  grpc::ServerUnaryReactor* Update(grpc::CallbackServerContext* context, const v1::UpdateRequest* request,
                                   v1::UpdateResponse* response) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* context, const v1::QueryRequest* request,
                                  v1::QueryResponse* response) override;
  grpc::ServerWriteReactor<v1::ScanResponse>* Scan(grpc::CallbackServerContext* context,
                                                   const v1::ScanRequest* request) override;
  grpc::ServerUnaryReactor* BatchGet(grpc::CallbackServerContext* context, const v1::BatchGetRequest* request,
                                     v1::BatchGetResponse* response) override;
  grpc::ServerUnaryReactor* BatchWrite(grpc::CallbackServerContext* context, const v1::BatchWriteRequest* request,
                                       v1::BatchWriteResponse* response) override;
  grpc::ServerUnaryReactor* Transaction(grpc::CallbackServerContext* context, const v1::TransactionRequest* request,
                                        v1::TransactionResponse* response) override;
  grpc::ServerUnaryReactor* TransactGet(grpc::CallbackServerContext* context, const v1::TransactGetRequest* request,
                                        v1::TransactGetResponse* response) override;

 private:
  Gateway& gateway_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_DATA_SERVICE_H_
