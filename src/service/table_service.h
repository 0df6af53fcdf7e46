// TableService: CreateTable, DescribeTable, ListTables, DeleteTable.
#ifndef ALTGW_SERVICE_TABLE_SERVICE_H_
#define ALTGW_SERVICE_TABLE_SERVICE_H_

#include "alternator/gateway/v1/table_service.grpc.pb.h"
#include "service/gateway.h"

namespace altgw::service {

namespace v1 = ::alternator::gateway::v1;

class TableServiceImpl final : public v1::TableService::CallbackService {
 public:
  explicit TableServiceImpl(Gateway& gateway) : gateway_(gateway) {}

  grpc::ServerUnaryReactor* CreateTable(grpc::CallbackServerContext* context, const v1::CreateTableRequest* request,
                                        v1::CreateTableResponse* response) override;
  grpc::ServerUnaryReactor* DescribeTable(grpc::CallbackServerContext* context,
                                          const v1::DescribeTableRequest* request,
                                          v1::DescribeTableResponse* response) override;
  grpc::ServerUnaryReactor* ListTables(grpc::CallbackServerContext* context, const v1::ListTablesRequest* request,
                                       v1::ListTablesResponse* response) override;
  grpc::ServerUnaryReactor* DeleteTable(grpc::CallbackServerContext* context, const v1::DeleteTableRequest* request,
                                        v1::DeleteTableResponse* response) override;

 private:
  Gateway& gateway_;
};

}  // namespace altgw::service

#endif  // ALTGW_SERVICE_TABLE_SERVICE_H_
