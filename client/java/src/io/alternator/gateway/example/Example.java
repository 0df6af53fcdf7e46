package io.alternator.gateway.example;

import static io.alternator.gateway.example.Values.canonicalItem;
import static io.alternator.gateway.example.Values.decimal;
import static io.alternator.gateway.example.Values.integer;
import static io.alternator.gateway.example.Values.integerNumber;
import static io.alternator.gateway.example.Values.numberText;
import static io.alternator.gateway.example.Values.s;

import io.alternator.gateway.v1.Comparator;
import io.alternator.gateway.v1.Comparison;
import io.alternator.gateway.v1.Condition;
import io.alternator.gateway.v1.ConditionFailure;
import io.alternator.gateway.v1.CreateTableRequest;
import io.alternator.gateway.v1.DataServiceGrpc;
import io.alternator.gateway.v1.GetRequest;
import io.alternator.gateway.v1.GetResponse;
import io.alternator.gateway.v1.Increment;
import io.alternator.gateway.v1.Item;
import io.alternator.gateway.v1.KeyAttribute;
import io.alternator.gateway.v1.OperationFailure;
import io.alternator.gateway.v1.PathValue;
import io.alternator.gateway.v1.PutRequest;
import io.alternator.gateway.v1.QueryRequest;
import io.alternator.gateway.v1.QueryResponse;
import io.alternator.gateway.v1.ScalarType;
import io.alternator.gateway.v1.TableServiceGrpc;
import io.alternator.gateway.v1.TransactConditionCheck;
import io.alternator.gateway.v1.TransactPut;
import io.alternator.gateway.v1.TransactUpdate;
import io.alternator.gateway.v1.TransactionOperation;
import io.alternator.gateway.v1.TransactionRequest;
import io.alternator.gateway.v1.UpdateAction;
import io.alternator.gateway.v1.Value;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Alternator Gateway example in Java: every step a typical application takes, checked as it goes.
 *
 * <pre>
 * java -cp ... io.alternator.gateway.example.Example                 the walkthrough
 * java -cp ... io.alternator.gateway.example.Example verify LANG...  compare the shared items of other languages
 * </pre>
 *
 * Environment: ALTGW_ADDRESS (default 127.0.0.1:50051), ALTGW_CA_FILE (TLS with this CA), ALTGW_CLIENT_CERT /
 * ALTGW_CLIENT_KEY (mutual TLS; PKCS#8 key), ALTGW_TOKEN (bearer token), ALTGW_TABLE (default altgw_examples).
 * Exits with status 0 only if every step had the expected result.
 */
public final class Example {
  static final String LANGUAGE = "java";
  /** The deadline of every call. */
  static final long TIMEOUT_SECONDS = 10;

  /** An outcome the example did not expect. */
  static final class UnexpectedResult extends RuntimeException {
    UnexpectedResult(String message) {
      super(message);
    }
  }

  /** Adds {@code authorization: Bearer <token>} to every call. */
  static final class BearerToken implements ClientInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final String token;

    BearerToken(String token) {
      this.token = token;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          headers.put(AUTHORIZATION, "Bearer " + token);
          super.start(listener, headers);
        }
      };
    }
  }

  private final DataServiceGrpc.DataServiceBlockingStub data;
  private final TableServiceGrpc.TableServiceBlockingStub tables;
  private final HealthGrpc.HealthBlockingStub health;
  private final String table;

  Example(Channel channel, String table) {
    this.data = DataServiceGrpc.newBlockingStub(channel);
    this.tables = TableServiceGrpc.newBlockingStub(channel);
    this.health = HealthGrpc.newBlockingStub(channel);
    this.table = table;
  }

  static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  static ManagedChannel connect() throws Exception {
    String address = env("ALTGW_ADDRESS", "127.0.0.1:50051");
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(address);
    String caFile = env("ALTGW_CA_FILE", null);
    if (caFile != null) {
      SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(new File(caFile));
      String cert = env("ALTGW_CLIENT_CERT", null);
      if (cert != null) {
        ssl.keyManager(new File(cert), new File(env("ALTGW_CLIENT_KEY", "")));
      }
      builder.sslContext(ssl.build());
    } else {
      builder.usePlaintext();
    }
    String token = env("ALTGW_TOKEN", null);
    if (token != null) {
      builder.intercept(new BearerToken(token));
    }
    System.out.printf("connect: %s (%s, %s)%n", address, caFile != null ? "TLS" : "plaintext",
                      token != null ? "bearer token" : "no token");
    return builder.build();
  }

  // Every call gets its own deadline.
  DataServiceGrpc.DataServiceBlockingStub data() {
    return data.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  static void check(boolean condition, String what) {
    if (!condition) throw new UnexpectedResult(what);
  }

  /** Runs the call, which must fail with this code and ErrorInfo reason; returns the decoded error. */
  static GatewayException expectError(Runnable call, Status.Code code, String reason) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      GatewayException error = GatewayException.from(e);
      check(error.code() == code && error.reason().equals(reason),
            "expected " + code + " " + reason + ", got " + error.getMessage());
      String domain = error.errorInfo().map(info -> info.getDomain()).orElse("");
      check(domain.equals(GatewayException.DOMAIN), "ErrorInfo.domain is '" + domain + "'");
      return error;
    }
    throw new UnexpectedResult("expected " + code + " " + reason + ", but the call succeeded");
  }

  void healthStep() {
    for (String service : List.of("", "alternator.gateway.v1.DataService")) {
      HealthCheckResponse reply;
      try {
        reply = health.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(service).build());
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.UNIMPLEMENTED) {
          System.out.printf("health \"%s\": note: this gateway does not serve grpc.health.v1 (UNIMPLEMENTED)%n",
                            service);
          return;
        }
        if (code == Status.Code.NOT_FOUND && !service.isEmpty()) {
          System.out.printf("health \"%s\": note: this gateway reports no per-service health (NOT_FOUND)%n",
                            service);
          continue;
        }
        throw e;
      }
      System.out.printf("health \"%s\": %s%n", service, reply.getStatus());
      check(reply.getStatus() == HealthCheckResponse.ServingStatus.SERVING,
            "health \"" + service + "\" is " + reply.getStatus());
    }
  }

  void createTableStep() {
    try {
      tables.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).createTable(
          CreateTableRequest.newBuilder()
              .setTable(table)
              .setPartitionKey(KeyAttribute.newBuilder().setName("pk").setType(ScalarType.SCALAR_TYPE_STRING))
              .setSortKey(KeyAttribute.newBuilder().setName("sk").setType(ScalarType.SCALAR_TYPE_NUMBER))
              .build());
      System.out.printf("create table: %s created%n", table);
    } catch (StatusRuntimeException e) {
      if (!GatewayException.from(e).reason().equals("TABLE_ALREADY_EXISTS")) throw e;
      System.out.printf("create table: %s exists already (ALREADY_EXISTS / TABLE_ALREADY_EXISTS)%n", table);
    }
  }

  static Map<String, Value> key(String partition, long n) {
    return Map.of("pk", s(partition), "sk", integer(n));
  }

  static Map<String, Value> order(String partition, long n) {
    Map<String, Value> item = new HashMap<>(key(partition, n));
    item.put("name", s("item " + n));
    item.put("qty", integer(n));
    item.put("price", decimal(n + ".25"));
    item.put("tags", Values.stringSet(n % 2 == 1 ? "odd" : "even", "example"));
    item.put("blob", Values.b((int) n, 0xFF));
    item.put("dims", Values.map(Map.of("w", integer(10 * n), "h", decimal("2.5"))));
    item.put("history", Values.list(s("created"), Values.bool(true), Values.nullValue()));
    return item;
  }

  static List<String> differences(Map<String, Value> expected, Map<String, Value> actual) {
    Map<String, String> want = canonicalItem(expected);
    Map<String, String> got = canonicalItem(actual);
    TreeSet<String> names = new TreeSet<>(want.keySet());
    names.addAll(got.keySet());
    List<String> result = new ArrayList<>();
    for (String name : names) {
      if (!String.valueOf(want.get(name)).equals(String.valueOf(got.get(name)))) {
        result.add(name + ": expected " + want.get(name) + " got " + got.get(name));
      }
    }
    return result;
  }

  GetResponse get(Map<String, Value> key) {
    return data().get(GetRequest.newBuilder().setTable(table).putAllKey(key).setConsistentRead(true).build());
  }

  void walkthrough() {
    healthStep();
    createTableStep();

    String partition = String.format("%s-%d-%08x", LANGUAGE, System.currentTimeMillis() / 1000,
                                     new SecureRandom().nextInt());
    for (long n = 1; n <= 5; n++) {
      data().put(PutRequest.newBuilder().setTable(table).putAllItem(order(partition, n)).build());
    }
    System.out.printf("put: 5 items in partition %s%n", partition);

    GetResponse got = get(key(partition, 3));
    check(got.getFound(), "get: item 3 not found");
    List<String> diff = differences(order(partition, 3), got.getItemMap());
    check(diff.isEmpty(), "get: item 3 differs: " + diff);
    System.out.printf("get: sk=3 found, qty=%s, price=%s, tags=%s%n",
                      numberText(got.getItemMap().get("qty").getNumberValue()),
                      numberText(got.getItemMap().get("price").getNumberValue()),
                      new TreeSet<>(got.getItemMap().get("tags").getStringSet().getValuesList()));

    List<Integer> pages = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    String pageToken = "";
    do {
      QueryResponse reply = data().query(QueryRequest.newBuilder()
                                             .setTable(table)
                                             .setPartitionKey(s(partition))
                                             .setPageSize(2)
                                             .setPageToken(pageToken)
                                             .setConsistentRead(true)
                                             .build());
      pages.add(reply.getItemsCount());
      for (Item item : reply.getItemsList()) {
        keys.add(numberText(item.getAttributesMap().get("sk").getNumberValue()));
      }
      pageToken = reply.getNextPageToken();
    } while (!pageToken.isEmpty());
    check(keys.equals(List.of("1", "2", "3", "4", "5")), "query: expected sort keys 1..5 in order, got " + keys);
    System.out.printf("query: %d items in %d pages (page sizes %s)%n", keys.size(), pages.size(),
                      pages.stream().map(String::valueOf).collect(Collectors.joining(",")));

    Condition exists = Condition.newBuilder().setAttributeExists("pk").build();
    Condition notExists = Condition.newBuilder().setAttributeNotExists("pk").build();
    Map<String, Value> audit = new HashMap<>(key(partition, 100));
    audit.put("kind", s("audit"));
    audit.put("note", s("order 1 shipped"));
    data().transaction(TransactionRequest.newBuilder()
        .addOperations(TransactionOperation.newBuilder().setUpdate(TransactUpdate.newBuilder()
            .setTable(table).putAllKey(key(partition, 1)).setCondition(exists)
            .addActions(UpdateAction.newBuilder().setIncrement(
                Increment.newBuilder().setPath("qty").setDelta(integerNumber(1))))
            .addActions(UpdateAction.newBuilder().setSet(
                PathValue.newBuilder().setPath("status").setValue(s("shipped"))))))
        .addOperations(TransactionOperation.newBuilder().setPut(TransactPut.newBuilder()
            .setTable(table).putAllItem(audit).setCondition(notExists)))
        .addOperations(TransactionOperation.newBuilder().setConditionCheck(TransactConditionCheck.newBuilder()
            .setTable(table).putAllKey(key(partition, 2))
            .setCondition(Condition.newBuilder().setComparison(Comparison.newBuilder()
                .setPath("qty").setComparator(Comparator.COMPARATOR_EQUAL).setValue(integer(2))))))
        .build());
    Map<String, Value> item1 = get(key(partition, 1)).getItemMap();
    check(numberText(item1.get("qty").getNumberValue()).equals("2")
              && item1.get("status").getStringValue().equals("shipped"),
          "transaction: item 1 is " + item1);
    check(get(key(partition, 100)).getFound(), "transaction: the audit item was not written");
    System.out.println(
        "transaction: committed 3 operations (update sk=1 qty=2 status=shipped, put sk=100, check sk=2)");

    // A write whose condition is false: FAILED_PRECONDITION, ErrorInfo.reason CONDITION_FAILED, and (asked
    // for with return_item_on_condition_failure) the current item in a ConditionFailure detail.
    GatewayException error = expectError(
        () -> data().put(PutRequest.newBuilder().setTable(table).putAllItem(order(partition, 1))
                             .setCondition(notExists).setReturnItemOnConditionFailure(true).build()),
        Status.Code.FAILED_PRECONDITION, "CONDITION_FAILED");
    ConditionFailure failure = error.conditionFailure()
        .orElseThrow(() -> new UnexpectedResult("condition failure: no ConditionFailure detail"));
    check(failure.getItemExists() && numberText(failure.getItemMap().get("qty").getNumberValue()).equals("2"),
          "condition failure: current item " + failure);
    System.out.printf("condition failure: %s reason=%s current qty=%s%n", error.code(), error.reason(),
                      numberText(failure.getItemMap().get("qty").getNumberValue()));

    // The same in a transaction: the TransactionFailure detail says which operation failed.
    Map<String, Value> again = new HashMap<>(key(partition, 100));
    again.put("kind", s("audit"));
    error = expectError(
        () -> data().transaction(TransactionRequest.newBuilder()
            .addOperations(TransactionOperation.newBuilder().setConditionCheck(TransactConditionCheck.newBuilder()
                .setTable(table).putAllKey(key(partition, 2)).setCondition(exists)))
            .addOperations(TransactionOperation.newBuilder().setPut(TransactPut.newBuilder()
                .setTable(table).putAllItem(again).setCondition(notExists)))
            .build()),
        Status.Code.FAILED_PRECONDITION, "CONDITION_FAILED");
    List<String> reasons = error.transactionFailure()
        .map(f -> f.getOperationsList().stream().map(OperationFailure::getReason).toList())
        .orElse(List.of());
    check(reasons.equals(List.of("", "CONDITION_FAILED")), "transaction failure: operation reasons " + reasons);
    System.out.printf("transaction failure: %s reason=%s operations[1]=%s%n", error.code(), error.reason(),
                      reasons.get(1));

    data().put(PutRequest.newBuilder().setTable(table).putAllItem(Values.sharedItem(LANGUAGE)).build());
    verifyShared(LANGUAGE);
  }

  void verifyShared(String owner) {
    GetResponse got = get(Map.of("pk", s("xlang:" + owner), "sk", integer(0)));
    check(got.getFound(), "shared item of " + owner + ": not found");
    List<String> diff = differences(Values.sharedItem(owner), got.getItemMap());
    check(diff.isEmpty(), "shared item of " + owner + " differs: " + String.join("; ", diff));
    System.out.printf("shared item xlang:%s: equal (%d attributes)%n", owner, got.getItemCount());
  }

  public static void main(String[] args) throws Exception {
    int exitCode = 0;
    ManagedChannel channel = connect();
    try {
      Example example = new Example(channel, env("ALTGW_TABLE", "altgw_examples"));
      if (args.length > 0 && args[0].equals("verify")) {
        for (int i = 1; i < args.length; i++) example.verifyShared(args[i]);
      } else {
        example.walkthrough();
      }
      System.out.println("OK");
    } catch (UnexpectedResult e) {
      System.err.println("FAILED: " + e.getMessage());
      exitCode = 1;
    } catch (StatusRuntimeException e) {
      System.err.println("FAILED: unexpected gRPC error " + GatewayException.from(e).getMessage());
      exitCode = 1;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.exit(exitCode);
  }
}
