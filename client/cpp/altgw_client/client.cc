#include "altgw_client/client.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace altgw::client {
namespace {

bool Retryable(const Error& error, const RetryPolicy& policy) {
  if (error.code() != grpc::StatusCode::UNAVAILABLE) return false;
  if (error.domain() == kGatewayErrorDomain) return true;  // the gateway says nothing was applied
  return error.reason().empty() && policy.retry_transport_failures;
}

double UniformUnit() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

// Runs one unary method through the retry loop.
template <typename Response, typename Invoke>
Result<Response> Unary(const Client& client, absl::Duration default_timeout, const CallOptions& call,
                       Invoke invoke) {
  Response response;
  Result<Done> done = client.Call(
      [&](grpc::ClientContext* context) {
        response.Clear();
        return invoke(context, &response);
      },
      default_timeout, call);
  if (!done.ok()) return std::move(done).error();
  return response;
}

// PEM text given inline or in a file (the file wins when both are set); empty when neither is.
Result<std::string> PemText(const std::string& pem, const std::string& file, const char* what) {
  if (file.empty()) return pem;
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  if (in.is_open()) text << in.rdbuf();
  if (!in.is_open() || text.str().empty()) {
    return Error::Local(grpc::StatusCode::INVALID_ARGUMENT, kReasonBadOptions,
                        absl::StrCat("cannot read the ", what, " file ", file));
  }
  return text.str();
}

}  // namespace

absl::Duration Backoff(const RetryPolicy& policy, int retry, std::optional<absl::Duration> server_delay) {
  const double growth = std::pow(std::max(policy.multiplier, 1.0), std::max(retry - 1, 0));
  absl::Duration base = std::min(policy.max_backoff, policy.initial_backoff * growth);
  // "Equal jitter": never less than half the base, so retries still spread out as they grow, and clients
  // that failed together do not retry together.
  absl::Duration pause = base / 2 + (base / 2) * UniformUnit();
  if (server_delay && *server_delay > pause) pause = *server_delay;
  return pause;
}

Result<std::shared_ptr<grpc::Channel>> MakeChannel(const ClientOptions& options) {
  grpc::ChannelArguments args;
  // Batch reads can return many large items; the default 4 MB receive limit would cut them.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (!options.tls) {
    return grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  Result<std::string> ca = PemText(options.tls_ca_pem, options.tls_ca_file, "TLS CA");
  Result<std::string> cert = PemText(options.tls_client_cert_pem, options.tls_client_cert_file, "TLS client certificate");
  Result<std::string> key = PemText(options.tls_client_key_pem, options.tls_client_key_file, "TLS client key");
  for (const Result<std::string>* pem : {&ca, &cert, &key}) {
    if (!pem->ok()) return pem->error();
  }
  if (cert->empty() != key->empty()) {
    return Error::Local(grpc::StatusCode::INVALID_ARGUMENT, kReasonBadOptions,
                        "a TLS client certificate needs its private key, and a key its certificate");
  }
  ssl.pem_root_certs = *ca;
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(ssl);
  if (!options.bearer_token.empty()) {
    // AccessTokenCredentials sends exactly `authorization: Bearer <token>`, only over secure channels.
    credentials = grpc::CompositeChannelCredentials(credentials,
                                                    grpc::AccessTokenCredentials(options.bearer_token));
  }
  return grpc::CreateCustomChannel(options.address, credentials, args);
}

Result<Client> Client::Connect(ClientOptions options) {
  Result<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options);
  if (!channel.ok()) return std::move(channel).error();
  const bool tls = options.tls;
  Client client(*std::move(channel), std::move(options));
  // Over TLS the channel's call credentials carry the token.
  client.token_in_metadata_ = !tls;
  return client;
}

Client::Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : options_(std::make_shared<const ClientOptions>(std::move(options))),
      channel_(std::move(channel)),
      data_(v1::DataService::NewStub(channel_)),
      tables_(v1::TableService::NewStub(channel_)),
      routing_(v1::RoutingService::NewStub(channel_)),
      health_(health::Health::NewStub(channel_)) {}

void Client::Prepare(grpc::ClientContext& context, absl::Time deadline) const {
  context.set_deadline(absl::ToChronoTime(deadline));
  if (token_in_metadata_ && !options_->bearer_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_->bearer_token);
  }
}

Result<Done> Client::Call(const Attempt& attempt, absl::Duration default_timeout,
                          const CallOptions& call) const {
  const RetryPolicy& policy = call.retry ? *call.retry : options_->retry;
  const absl::Time deadline = absl::Now() + call.timeout.value_or(default_timeout);
  for (int n = 1;; ++n) {
    grpc::ClientContext context;
    Prepare(context, deadline);
    const grpc::Status status = attempt(&context);
    if (status.ok()) return Done{};
    Error error = Error::FromStatus(status);
    error.set_attempts(n);
    if (!Retryable(error, policy) || n >= policy.max_attempts) return error;
    const absl::Duration pause = Backoff(policy, n, error.retry_delay());
    // A retry that could not start before the deadline would only turn UNAVAILABLE into DEADLINE_EXCEEDED.
    if (absl::Now() + pause >= deadline) return error;
    absl::SleepFor(pause);
  }
}

Result<v1::PutResponse> Client::Put(const v1::PutRequest& request, const CallOptions& call) const {
  return Unary<v1::PutResponse>(*this, options_->deadlines.data, call, [&](auto* context, auto* response) {
    return data_->Put(context, request, response);
  });
}
Result<v1::GetResponse> Client::Get(const v1::GetRequest& request, const CallOptions& call) const {
  return Unary<v1::GetResponse>(*this, options_->deadlines.data, call, [&](auto* context, auto* response) {
    return data_->Get(context, request, response);
  });
}
Result<v1::DeleteResponse> Client::Delete(const v1::DeleteRequest& request, const CallOptions& call) const {
  return Unary<v1::DeleteResponse>(*this, options_->deadlines.data, call,
                                   [&](auto* context, auto* response) {
                                     return data_->Delete(context, request, response);
                                   });
}
Result<v1::UpdateResponse> Client::Update(const v1::UpdateRequest& request, const CallOptions& call) const {
  return Unary<v1::UpdateResponse>(*this, options_->deadlines.data, call,
                                   [&](auto* context, auto* response) {
                                     return data_->Update(context, request, response);
                                   });
}
Result<v1::QueryResponse> Client::Query(const v1::QueryRequest& request, const CallOptions& call) const {
  return Unary<v1::QueryResponse>(*this, options_->deadlines.data, call, [&](auto* context, auto* response) {
    return data_->Query(context, request, response);
  });
}
Result<v1::BatchGetResponse> Client::BatchGet(const v1::BatchGetRequest& request,
                                              const CallOptions& call) const {
  return Unary<v1::BatchGetResponse>(*this, options_->deadlines.data, call,
                                     [&](auto* context, auto* response) {
                                       return data_->BatchGet(context, request, response);
                                     });
}
Result<v1::BatchWriteResponse> Client::BatchWrite(const v1::BatchWriteRequest& request,
                                                  const CallOptions& call) const {
  return Unary<v1::BatchWriteResponse>(*this, options_->deadlines.data, call,
                                       [&](auto* context, auto* response) {
                                         return data_->BatchWrite(context, request, response);
                                       });
}
Result<v1::TransactionResponse> Client::Transaction(const v1::TransactionRequest& request,
                                                    const CallOptions& call) const {
  return Unary<v1::TransactionResponse>(*this, options_->deadlines.data, call,
                                        [&](auto* context, auto* response) {
                                          return data_->Transaction(context, request, response);
                                        });
}
Result<v1::TransactGetResponse> Client::TransactGet(const v1::TransactGetRequest& request,
                                                    const CallOptions& call) const {
  return Unary<v1::TransactGetResponse>(*this, options_->deadlines.data, call,
                                        [&](auto* context, auto* response) {
                                          return data_->TransactGet(context, request, response);
                                        });
}
Result<v1::CreateTableResponse> Client::CreateTable(const v1::CreateTableRequest& request,
                                                    const CallOptions& call) const {
  return Unary<v1::CreateTableResponse>(*this, options_->deadlines.admin, call,
                                        [&](auto* context, auto* response) {
                                          return tables_->CreateTable(context, request, response);
                                        });
}
Result<v1::DescribeTableResponse> Client::DescribeTable(const v1::DescribeTableRequest& request,
                                                        const CallOptions& call) const {
  return Unary<v1::DescribeTableResponse>(*this, options_->deadlines.admin, call,
                                          [&](auto* context, auto* response) {
                                            return tables_->DescribeTable(context, request, response);
                                          });
}
Result<v1::ListTablesResponse> Client::ListTables(const v1::ListTablesRequest& request,
                                                  const CallOptions& call) const {
  return Unary<v1::ListTablesResponse>(*this, options_->deadlines.admin, call,
                                       [&](auto* context, auto* response) {
                                         return tables_->ListTables(context, request, response);
                                       });
}
Result<v1::DeleteTableResponse> Client::DeleteTable(const v1::DeleteTableRequest& request,
                                                    const CallOptions& call) const {
  return Unary<v1::DeleteTableResponse>(*this, options_->deadlines.admin, call,
                                        [&](auto* context, auto* response) {
                                          return tables_->DeleteTable(context, request, response);
                                        });
}
Result<v1::ListNodesResponse> Client::ListNodes(const v1::ListNodesRequest& request,
                                                const CallOptions& call) const {
  return Unary<v1::ListNodesResponse>(*this, options_->deadlines.data, call,
                                      [&](auto* context, auto* response) {
                                        return routing_->ListNodes(context, request, response);
                                      });
}
Result<v1::ExplainRouteResponse> Client::ExplainRoute(const v1::ExplainRouteRequest& request,
                                                      const CallOptions& call) const {
  return Unary<v1::ExplainRouteResponse>(*this, options_->deadlines.data, call,
                                         [&](auto* context, auto* response) {
                                           return routing_->ExplainRoute(context, request, response);
                                         });
}

Result<health::HealthCheckResponse::ServingStatus> Client::CheckHealth(const std::string& service,
                                                                       const CallOptions& call) const {
  health::HealthCheckRequest request;
  request.set_service(service);
  Result<health::HealthCheckResponse> response = Unary<health::HealthCheckResponse>(
      *this, options_->deadlines.data, call,
      [&](auto* context, auto* out) { return health_->Check(context, request, out); });
  if (!response.ok()) return std::move(response).error();
  return response->status();
}

Result<v1::ScanEnd> Client::Scan(const v1::ScanRequest& request,
                                 const std::function<bool(const v1::ScanResponse&)>& on_message,
                                 const CallOptions& call) const {
  const RetryPolicy& policy = call.retry ? *call.retry : options_->retry;
  const absl::Time deadline = absl::Now() + call.timeout.value_or(options_->deadlines.scan);
  v1::ScanRequest current = request;
  uint64_t delivered = 0;
  int failures = 0;  // consecutive failed streams with no progress
  int attempts = 0;
  for (;;) {
    ++attempts;
    grpc::ClientContext context;
    Prepare(context, deadline);
    std::unique_ptr<grpc::ClientReader<v1::ScanResponse>> reader = data_->Scan(&context, current);
    v1::ScanResponse message;
    std::optional<v1::ScanEnd> end;
    while (reader->Read(&message)) {
      failures = 0;
      delivered += static_cast<uint64_t>(message.items_size());
      if (!message.resume_token().empty()) current.set_resume_token(message.resume_token());
      if (message.has_end()) end = message.end();
      if (!on_message(message)) {
        context.TryCancel();
        (void)reader->Finish();
        v1::ScanEnd stopped;
        stopped.set_complete(false);
        return stopped;
      }
    }
    const grpc::Status status = reader->Finish();
    if (status.ok()) {
      if (end) return *end;
      return Error::Local(grpc::StatusCode::INTERNAL, "SCAN_STREAM_INCOMPLETE",
                          "the Scan stream ended without its final message");
    }
    Error error = Error::FromStatus(status);
    error.set_attempts(attempts);
    ++failures;
    if (!Retryable(error, policy) || failures >= policy.max_attempts) return error;
    if (request.limit() > 0) {
      if (delivered >= request.limit()) return error;
      current.set_limit(request.limit() - delivered);
    }
    const absl::Duration pause = Backoff(policy, failures, error.retry_delay());
    if (absl::Now() + pause >= deadline) return error;
    absl::SleepFor(pause);
  }
}

Result<Done> Client::PutItem(const std::string& table, const Attributes& item, const CallOptions& call) const {
  v1::PutRequest request;
  request.set_table(table);
  *request.mutable_item() = item;
  Result<v1::PutResponse> response = Put(request, call);
  if (!response.ok()) return std::move(response).error();
  return Done{};
}

Result<std::optional<Attributes>> Client::GetItem(const std::string& table, const Attributes& key,
                                                  const CallOptions& call) const {
  v1::GetRequest request;
  request.set_table(table);
  *request.mutable_key() = key;
  Result<v1::GetResponse> response = Get(request, call);
  if (!response.ok()) return std::move(response).error();
  if (!response->found()) return std::optional<Attributes>();
  return std::optional<Attributes>(response->item());
}

}  // namespace altgw::client
