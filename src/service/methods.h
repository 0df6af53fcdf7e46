// The gateway's gRPC methods as metrics and access logs name them ("package.Service/Method", the form of
// gRPC's own metrics), and whether each may write.
#ifndef ALTGW_SERVICE_METHODS_H_
#define ALTGW_SERVICE_METHODS_H_

#include "service/call_tracker.h"

namespace altgw::service::methods {

inline constexpr MethodInfo kPut{"alternator.gateway.v1.DataService/Put", true};
inline constexpr MethodInfo kGet{"alternator.gateway.v1.DataService/Get", false};
inline constexpr MethodInfo kDelete{"alternator.gateway.v1.DataService/Delete", true};
inline constexpr MethodInfo kUpdate{"alternator.gateway.v1.DataService/Update", true};
inline constexpr MethodInfo kQuery{"alternator.gateway.v1.DataService/Query", false};
inline constexpr MethodInfo kScan{"alternator.gateway.v1.DataService/Scan", false};
inline constexpr MethodInfo kBatchGet{"alternator.gateway.v1.DataService/BatchGet", false};
inline constexpr MethodInfo kBatchWrite{"alternator.gateway.v1.DataService/BatchWrite", true};
inline constexpr MethodInfo kTransaction{"alternator.gateway.v1.DataService/Transaction", true};
inline constexpr MethodInfo kTransactGet{"alternator.gateway.v1.DataService/TransactGet", false};
inline constexpr MethodInfo kCreateTable{"alternator.gateway.v1.TableService/CreateTable", true};
inline constexpr MethodInfo kDescribeTable{"alternator.gateway.v1.TableService/DescribeTable", false};
inline constexpr MethodInfo kListTables{"alternator.gateway.v1.TableService/ListTables", false};
inline constexpr MethodInfo kDeleteTable{"alternator.gateway.v1.TableService/DeleteTable", true};
inline constexpr MethodInfo kListNodes{"alternator.gateway.v1.RoutingService/ListNodes", false};
inline constexpr MethodInfo kExplainRoute{"alternator.gateway.v1.RoutingService/ExplainRoute", false};

}  // namespace altgw::service::methods

#endif  // ALTGW_SERVICE_METHODS_H_
