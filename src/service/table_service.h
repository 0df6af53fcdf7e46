// TableService: CreateTable, DescribeTable, ListTables, DeleteTable.
#ifndef ALTGW_SERVICE_TABLE_SERVICE_H_
#define ALTGW_SERVICE_TABLE_SERVICE_H_

#include <memory>

#include "alternator/gateway/v1/table_service.grpc.pb.h"
#include "service/gateway.h"
#include "service/serving_queues.h"

namespace altgw::service {

namespace v1 = ::alternator::gateway::v1;

class TableServiceImpl final {
 public:
  explicit TableServiceImpl(Gateway& gateway) : gateway_(gateway) {}

  // What to register with the grpc::ServerBuilder.
  grpc::Service* service() { return &service_; }
  // After the server started: serves every method on `queues`.
  void Serve(ServingQueues& queues);

 private:
  void CreateTable(const std::shared_ptr<UnaryCall>& call, const v1::CreateTableRequest* request,
                   v1::CreateTableResponse* response);
  void DescribeTable(const std::shared_ptr<UnaryCall>& call, const v1::DescribeTableRequest* request,
                     v1::DescribeTableResponse* response);
  void ListTables(const std::shared_ptr<UnaryCall>& call, const v1::ListTablesRequest* request,
                  v1::ListTablesResponse* response);
  void DeleteTable(const std::shared_ptr<UnaryCall>& call, const v1::DeleteTableRequest* request,
                   v1::DeleteTableResponse* response);

  Gateway& gateway_;
  v1::TableService::AsyncService service_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_TABLE_SERVICE_H_
