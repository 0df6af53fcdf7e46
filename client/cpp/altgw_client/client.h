// Client: a thin, typed convenience layer over the generated stubs of DataService, TableService,
// RoutingService and grpc.health.v1.Health.
//
//   altgw::client::ClientOptions options;
//   options.address = "127.0.0.1:50051";
//   auto client = altgw::client::Client::Connect(options);            // Result<Client>
//   auto got = client->Get(request);                                   // Result<v1::GetResponse>
//   if (!got.ok() && got.error().reason() == "TABLE_NOT_FOUND") ...
//
// What it adds to the stubs:
//   - a deadline on every call (ClientOptions::deadlines, or CallOptions::timeout per call);
//   - retry of UNAVAILABLE, and of nothing else, with jittered exponential backoff bounded by the call's
//     deadline. The gateway answers UNAVAILABLE only when nothing was applied, so retrying is safe; every
//     other code is returned at once. In particular UNKNOWN (WRITE_OUTCOME_UNKNOWN: a write that may have
//     been applied), ABORTED and DEADLINE_EXCEEDED are never retried here: what to do is the caller's call.
//     (A connection cut by the network after a request was sent also surfaces as UNAVAILABLE from gRPC
//     itself, without the gateway's ErrorInfo; set RetryPolicy::retry_transport_failures = false to retry
//     only UNAVAILABLE answers that came from the gateway.)
//   - errors decoded into Error (see error.h);
//   - plaintext or TLS channels (optionally with a CA bundle), and a bearer token sent on every call as
//     `authorization: Bearer <token>` (as call credentials over TLS; as call metadata over plaintext, for
//     local development and sidecar setups).
// A Client is cheap to copy (it shares the channel) and safe to use from many threads.
#ifndef ALTGW_CLIENT_CLIENT_H_
#define ALTGW_CLIENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "altgw_client/error.h"
#include "altgw_client/result.h"
#include "altgw_client/value.h"
#include "alternator/gateway/v1/data_service.grpc.pb.h"
#include "alternator/gateway/v1/routing_service.grpc.pb.h"
#include "alternator/gateway/v1/table_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace altgw::client {

struct RetryPolicy {
  // Total attempts including the first (1 disables retries).
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  double multiplier = 2.0;
  // Retry UNAVAILABLE raised by gRPC itself (no gateway ErrorInfo: connection refused or cut).
  bool retry_transport_failures = true;
};

struct Deadlines {
  // Item calls (Put, Get, Delete, Update, Query, batches, transactions) and routing calls.
  absl::Duration data = absl::Seconds(10);
  // Table administration (CreateTable waits for the table to become active).
  absl::Duration admin = absl::Seconds(60);
  // A whole Scan stream.
  absl::Duration scan = absl::Minutes(30);
};

struct ClientOptions {
  // host:port of the gateway.
  std::string address = "127.0.0.1:50051";
  // TLS: with an empty CA, the system's roots are used.
  bool tls = false;
  // PEM text of the CA bundle (tls_ca_file is read into it when set).
  std::string tls_ca_pem;
  std::string tls_ca_file;
  // Overrides the name checked against the server certificate (for tests with a certificate for
  // "localhost" on 127.0.0.1).
  std::string tls_server_name;
  // Mutual TLS: the client's certificate chain and private key (PEM text, or files read into them). Both or
  // neither; only with `tls`.
  std::string tls_client_cert_pem;
  std::string tls_client_cert_file;
  std::string tls_client_key_pem;
  std::string tls_client_key_file;
  // Sent as `authorization: Bearer <token>` on every call when not empty.
  std::string bearer_token;
  Deadlines deadlines;
  RetryPolicy retry;
};

struct CallOptions {
  // Overrides the default deadline of this call.
  std::optional<absl::Duration> timeout;
  // Overrides the retry policy of this call (e.g. max_attempts = 1).
  std::optional<RetryPolicy> retry;
};

namespace health = ::grpc::health::v1;

class Client {
 public:
  // Builds the channel (connections are made lazily, on the first call). Fails only on bad options (an
  // unreadable CA file).
  static Result<Client> Connect(ClientOptions options);
  // Over an existing channel (the TLS and token settings of `options` are then not used for the channel;
  // the token is still sent as metadata).
  Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options);

  // DataService.
  Result<v1::PutResponse> Put(const v1::PutRequest& request, const CallOptions& call = {}) const;
  Result<v1::GetResponse> Get(const v1::GetRequest& request, const CallOptions& call = {}) const;
  Result<v1::DeleteResponse> Delete(const v1::DeleteRequest& request, const CallOptions& call = {}) const;
  Result<v1::UpdateResponse> Update(const v1::UpdateRequest& request, const CallOptions& call = {}) const;
  Result<v1::QueryResponse> Query(const v1::QueryRequest& request, const CallOptions& call = {}) const;
  Result<v1::BatchGetResponse> BatchGet(const v1::BatchGetRequest& request,
                                        const CallOptions& call = {}) const;
  Result<v1::BatchWriteResponse> BatchWrite(const v1::BatchWriteRequest& request,
                                            const CallOptions& call = {}) const;
  Result<v1::TransactionResponse> Transaction(const v1::TransactionRequest& request,
                                              const CallOptions& call = {}) const;
  Result<v1::TransactGetResponse> TransactGet(const v1::TransactGetRequest& request,
                                              const CallOptions& call = {}) const;
  // Streams a Scan: `on_message` sees every message (return false to stop early, which cancels the stream).
  // When the stream fails with UNAVAILABLE it is resumed from the last resume token received (within the
  // retry policy and the deadline), so no item is delivered twice or skipped. Returns the final message's
  // ScanEnd (complete = false when stopped early or at the request's limit).
  Result<v1::ScanEnd> Scan(const v1::ScanRequest& request,
                           const std::function<bool(const v1::ScanResponse&)>& on_message,
                           const CallOptions& call = {}) const;

  // TableService.
  Result<v1::CreateTableResponse> CreateTable(const v1::CreateTableRequest& request,
                                              const CallOptions& call = {}) const;
  Result<v1::DescribeTableResponse> DescribeTable(const v1::DescribeTableRequest& request,
                                                  const CallOptions& call = {}) const;
  Result<v1::ListTablesResponse> ListTables(const v1::ListTablesRequest& request,
                                            const CallOptions& call = {}) const;
  Result<v1::DeleteTableResponse> DeleteTable(const v1::DeleteTableRequest& request,
                                              const CallOptions& call = {}) const;

  // RoutingService.
  Result<v1::ListNodesResponse> ListNodes(const v1::ListNodesRequest& request,
                                          const CallOptions& call = {}) const;
  Result<v1::ExplainRouteResponse> ExplainRoute(const v1::ExplainRouteRequest& request,
                                                const CallOptions& call = {}) const;

  // grpc.health.v1: the serving status of `service` ("" = the whole server).
  Result<health::HealthCheckResponse::ServingStatus> CheckHealth(const std::string& service = "",
                                                                const CallOptions& call = {}) const;

  // Conveniences.
  Result<Done> PutItem(const std::string& table, const Attributes& item, const CallOptions& call = {}) const;
  // The item, or std::nullopt when there is none.
  Result<std::optional<Attributes>> GetItem(const std::string& table, const Attributes& key,
                                            const CallOptions& call = {}) const;

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return *options_; }

  // The retry loop behind every unary call, public for stubs this class does not wrap: `attempt` makes one
  // call with the context it is given (deadline and token already set).
  using Attempt = std::function<grpc::Status(grpc::ClientContext*)>;
  Result<Done> Call(const Attempt& attempt, absl::Duration default_timeout, const CallOptions& call) const;

 private:
  // Prepares a context for one attempt: deadline, token metadata when the channel has no call credentials.
  void Prepare(grpc::ClientContext& context, absl::Time deadline) const;

  std::shared_ptr<const ClientOptions> options_;
  std::shared_ptr<grpc::Channel> channel_;
  bool token_in_metadata_ = true;
  std::shared_ptr<v1::DataService::Stub> data_;
  std::shared_ptr<v1::TableService::Stub> tables_;
  std::shared_ptr<v1::RoutingService::Stub> routing_;
  std::shared_ptr<health::Health::Stub> health_;
};

// The channel Connect() builds (exposed for callers that make their own stubs).
Result<std::shared_ptr<grpc::Channel>> MakeChannel(const ClientOptions& options);

// The pause before retry number `retry` (1 = first retry): uniformly random in [base/2, base] where
// base = min(max_backoff, initial_backoff * multiplier^(retry-1)), and at least `server_delay` (RetryInfo).
absl::Duration Backoff(const RetryPolicy& policy, int retry, std::optional<absl::Duration> server_delay);

}  // namespace altgw::client

#endif  // ALTGW_CLIENT_CLIENT_H_
