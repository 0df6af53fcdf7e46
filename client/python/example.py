#!/usr/bin/python3
"""Alternator Gateway example in Python: every step a typical application takes, checked as it goes.

    example.py                 run the walkthrough (exit status 0 only if every step had the expected result)
    example.py verify LANG...  read the shared items written by the examples of other languages and compare
                               them with the payload this example writes (the cross-language check)

Environment:
  ALTGW_ADDRESS       host:port of the gateway (default 127.0.0.1:50051)
  ALTGW_CA_FILE       PEM file of the CA that signed the gateway's certificate: use TLS (default: plaintext)
  ALTGW_CLIENT_CERT,  PEM client certificate and key, for gateways that require mutual TLS
  ALTGW_CLIENT_KEY
  ALTGW_TOKEN         bearer token, sent as `authorization: Bearer <token>` on every call
  ALTGW_TABLE         table to use (default altgw_examples; created when missing)
  ALTGW_PYTHON_STUBS  folder of the generated stubs (default build/clients/python, see client/generate-stubs.sh)
"""
import os
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.environ.get("ALTGW_PYTHON_STUBS", os.path.join(ROOT, "build", "clients", "python")))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
from alternator.gateway.v1 import data_service_pb2 as data  # noqa: E402
from alternator.gateway.v1 import data_service_pb2_grpc as data_grpc  # noqa: E402
from alternator.gateway.v1 import expression_pb2 as expr  # noqa: E402
from alternator.gateway.v1 import table_service_pb2 as tables  # noqa: E402
from alternator.gateway.v1 import table_service_pb2_grpc as tables_grpc  # noqa: E402
from alternator.gateway.v1 import value_pb2 as v  # noqa: E402
from status_details import GatewayErrorDetails, UnexpectedError, expect_error  # noqa: E402

LANGUAGE = "python"
TIMEOUT = 10  # seconds: every call carries a deadline


# ---- Values: native Python to the typed Value and back ---------------------------------------------------

def s(text): return v.Value(string_value=text)
def b(data_bytes): return v.Value(bytes_value=data_bytes)
def integer(i): return v.Value(number_value=v.Number(integer=i))
def decimal(text): return v.Value(number_value=v.Number(decimal=text))
def boolean(flag): return v.Value(bool_value=flag)
def null(): return v.Value(null_value=v.NULL_VALUE)
def string_set(*items): return v.Value(string_set=v.StringSet(values=items))
def bytes_set(*items): return v.Value(bytes_set=v.BytesSet(values=items))
def vlist(*items): return v.Value(list_value=v.ValueList(values=items))
def vmap(**fields): return v.Value(map_value=v.ValueMap(fields=fields))


def number_set(*numbers):
    return v.Value(number_set=v.NumberSet(values=[
        v.Number(integer=n) if isinstance(n, int) else v.Number(decimal=n) for n in numbers]))


def number_text(number):
    """A Number as decimal text: the gateway returns `integer` when it fits in int64, else canonical `decimal`."""
    kind = number.WhichOneof("kind")
    return str(number.integer) if kind == "integer" else number.decimal if kind == "decimal" else repr(number.float64)


def canonical(value):
    """A stable text form of a Value for comparisons: sets sorted, map keys sorted, numbers as decimal text."""
    kind = value.WhichOneof("kind")
    if kind == "null_value": return "NULL"
    if kind == "bool_value": return "BOOL:" + str(value.bool_value).lower()
    if kind == "string_value": return "S:" + repr(value.string_value)
    if kind == "bytes_value": return "B:" + value.bytes_value.hex()
    if kind == "number_value": return "N:" + number_text(value.number_value)
    if kind == "list_value": return "L[" + ",".join(canonical(x) for x in value.list_value.values) + "]"
    if kind == "map_value":
        return "M{" + ",".join(f"{k!r}={canonical(value.map_value.fields[k])}"
                               for k in sorted(value.map_value.fields)) + "}"
    if kind == "string_set": return "SS" + repr(sorted(value.string_set.values))
    if kind == "number_set": return "NS" + repr(sorted(number_text(n) for n in value.number_set.values))
    if kind == "bytes_set": return "BS" + repr(sorted(x.hex() for x in value.bytes_set.values))
    raise UnexpectedError(f"a Value with no kind: {value}")


def canonical_item(item):
    return {name: canonical(value) for name, value in item.items()}


# ---- The payload every language writes and reads (keep identical in all examples) -----------------------

def shared_item(language):
    return {
        "pk": s("xlang:" + language), "sk": integer(0),
        "text": s("grüße, 世界 ✓"), "empty_text": s(""),
        "count": integer(42), "max": integer(9223372036854775807),
        "price": decimal("-12345.678901234567890123"), "big": decimal("100000000000000000000000000000"),
        "tiny": decimal("0.000000000000000000000000000001"),
        "flag": boolean(True), "nothing": null(),
        "blob": b(bytes([0x00, 0xFF, 0x10, 0x80, 0x61])),
        "tags": string_set("red", "green", "blue"),
        "scores": number_set(1, "2.5", -3),
        "blobs": bytes_set(bytes([0x01]), bytes([0x02, 0x03])),
        "nested": vmap(level=integer(1), list=vlist(s("a"), integer(2), boolean(False), vmap(deep=b(b"\xca\xfe"))),
                       empty=vmap()),
        "empty_list": vlist(),
    }


# ---- Connection ------------------------------------------------------------------------------------------

class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, details, metadata):
        self.method, self.timeout, self.credentials = details.method, details.timeout, details.credentials
        self.wait_for_ready, self.compression = details.wait_for_ready, details.compression
        self.metadata = metadata


class BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds `authorization: Bearer <token>` to every call (works on plaintext channels too, unlike call
    credentials, which gRPC sends only over TLS)."""

    def __init__(self, token):
        self._header = ("authorization", "Bearer " + token)

    def _with_token(self, details):
        return _CallDetails(details, list(details.metadata or []) + [self._header])

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def connect():
    address = os.environ.get("ALTGW_ADDRESS", "127.0.0.1:50051")
    ca_file = os.environ.get("ALTGW_CA_FILE")
    if ca_file:
        cert, key = os.environ.get("ALTGW_CLIENT_CERT"), os.environ.get("ALTGW_CLIENT_KEY")
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read_file(ca_file),
            private_key=read_file(key) if key else None, certificate_chain=read_file(cert) if cert else None)
        channel = grpc.secure_channel(address, credentials)
    else:
        channel = grpc.insecure_channel(address)
    token = os.environ.get("ALTGW_TOKEN")
    if token:
        channel = grpc.intercept_channel(channel, BearerToken(token))
    print(f"connect: {address} ({'TLS' if ca_file else 'plaintext'}, {'bearer token' if token else 'no token'})")
    return channel


# ---- The walkthrough -------------------------------------------------------------------------------------

def check(condition, what):
    if not condition:
        raise UnexpectedError(what)


def health_step(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "alternator.gateway.v1.DataService"):
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                print(f'health "{service}": note: this gateway does not serve grpc.health.v1 (UNIMPLEMENTED)')
                return
            if error.code() == grpc.StatusCode.NOT_FOUND and service:
                print(f'health "{service}": note: this gateway reports no per-service health (NOT_FOUND)')
                continue
            raise
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        print(f'health "{service}": {status}')
        check(reply.status == health_pb2.HealthCheckResponse.SERVING, f'health "{service}" is {status}')


def create_table_step(table_service, table):
    try:
        table_service.CreateTable(tables.CreateTableRequest(
            table=table,
            partition_key=tables.KeyAttribute(name="pk", type=v.SCALAR_TYPE_STRING),
            sort_key=tables.KeyAttribute(name="sk", type=v.SCALAR_TYPE_NUMBER)), timeout=TIMEOUT)
        print(f"create table: {table} created")
    except grpc.RpcError as error:
        details = GatewayErrorDetails.of(error)
        if details.reason != "TABLE_ALREADY_EXISTS":
            raise
        print(f"create table: {table} exists already (ALREADY_EXISTS / TABLE_ALREADY_EXISTS)")


def order(partition, n):
    return {
        "pk": s(partition), "sk": integer(n),
        "name": s(f"item {n}"), "qty": integer(n), "price": decimal(f"{n}.25"),
        "tags": string_set("odd" if n % 2 else "even", "example"),
        "blob": b(bytes([n, 0xFF])),
        "dims": vmap(w=integer(10 * n), h=decimal("2.5")),
        "history": vlist(s("created"), boolean(True), null()),
    }


def walkthrough(channel):
    table = os.environ.get("ALTGW_TABLE", "altgw_examples")
    data_service = data_grpc.DataServiceStub(channel)
    health_step(channel)
    create_table_step(tables_grpc.TableServiceStub(channel), table)

    partition = f"{LANGUAGE}-{int(time.time())}-{uuid.uuid4().hex[:8]}"
    for n in range(1, 6):
        data_service.Put(data.PutRequest(table=table, item=order(partition, n)), timeout=TIMEOUT)
    print(f"put: 5 items in partition {partition}")

    key3 = {"pk": s(partition), "sk": integer(3)}
    got = data_service.Get(data.GetRequest(table=table, key=key3, consistent_read=True), timeout=TIMEOUT)
    check(got.found, "get: item 3 not found")
    check(canonical_item(got.item) == canonical_item(order(partition, 3)), f"get: item 3 differs: {got.item}")
    print(f"get: sk=3 found, qty={got.item['qty'].number_value.integer}, "
          f"price={got.item['price'].number_value.decimal}, tags={sorted(got.item['tags'].string_set.values)}")

    page_token, pages, keys = "", [], []
    while True:
        reply = data_service.Query(data.QueryRequest(
            table=table, partition_key=s(partition), page_size=2, page_token=page_token, consistent_read=True),
            timeout=TIMEOUT)
        pages.append(len(reply.items))
        keys += [item.attributes["sk"].number_value.integer for item in reply.items]
        page_token = reply.next_page_token
        if not page_token:
            break
    check(keys == [1, 2, 3, 4, 5], f"query: expected sort keys 1..5 in order, got {keys}")
    print(f"query: {len(keys)} items in {len(pages)} pages (page sizes {','.join(map(str, pages))})")

    def key(n): return {"pk": s(partition), "sk": integer(n)}
    exists = expr.Condition(attribute_exists="pk")
    not_exists = expr.Condition(attribute_not_exists="pk")
    data_service.Transaction(data.TransactionRequest(operations=[
        data.TransactionOperation(update=data.TransactUpdate(table=table, key=key(1), condition=exists, actions=[
            expr.UpdateAction(increment=expr.Increment(path="qty", delta=v.Number(integer=1))),
            expr.UpdateAction(set=expr.PathValue(path="status", value=s("shipped")))])),
        data.TransactionOperation(put=data.TransactPut(table=table, condition=not_exists, item={
            **key(100), "kind": s("audit"), "note": s("order 1 shipped")})),
        data.TransactionOperation(condition_check=data.TransactConditionCheck(
            table=table, key=key(2), condition=expr.Condition(comparison=expr.Comparison(
                path="qty", comparator=expr.COMPARATOR_EQUAL, value=integer(2))))),
    ]), timeout=TIMEOUT)
    item1 = data_service.Get(data.GetRequest(table=table, key=key(1), consistent_read=True), timeout=TIMEOUT).item
    check(number_text(item1["qty"].number_value) == "2" and item1["status"].string_value == "shipped",
          f"transaction: item 1 is {item1}")
    audit = data_service.Get(data.GetRequest(table=table, key=key(100), consistent_read=True), timeout=TIMEOUT)
    check(audit.found, "transaction: the audit item was not written")
    print("transaction: committed 3 operations (update sk=1 qty=2 status=shipped, put sk=100, check sk=2)")

    # A write whose condition is false: FAILED_PRECONDITION, ErrorInfo.reason CONDITION_FAILED, and (asked for
    # with return_item_on_condition_failure) the current item in a ConditionFailure detail.
    details = expect_error(lambda: data_service.Put(data.PutRequest(
        table=table, item=order(partition, 1), condition=not_exists, return_item_on_condition_failure=True),
        timeout=TIMEOUT), grpc.StatusCode.FAILED_PRECONDITION, "CONDITION_FAILED")
    failure = details.condition_failure
    check(failure is not None and failure.item_exists, "condition failure: no ConditionFailure with the item")
    check(number_text(failure.item["qty"].number_value) == "2", f"condition failure: current item {failure.item}")
    print(f"condition failure: {details.code.name} reason={details.reason} "
          f"current qty={number_text(failure.item['qty'].number_value)}")

    # The same in a transaction: the TransactionFailure detail says which operation failed.
    details = expect_error(lambda: data_service.Transaction(data.TransactionRequest(operations=[
        data.TransactionOperation(condition_check=data.TransactConditionCheck(
            table=table, key=key(2), condition=exists)),
        data.TransactionOperation(put=data.TransactPut(table=table, condition=not_exists, item={
            **key(100), "kind": s("audit")})),
    ]), timeout=TIMEOUT), grpc.StatusCode.FAILED_PRECONDITION, "CONDITION_FAILED")
    reasons = [op.reason for op in details.transaction_failure.operations] if details.transaction_failure else []
    check(reasons == ["", "CONDITION_FAILED"], f"transaction failure: operation reasons {reasons}")
    print(f"transaction failure: {details.code.name} reason={details.reason} operations[1]={reasons[1]}")

    shared = shared_item(LANGUAGE)
    data_service.Put(data.PutRequest(table=table, item=shared), timeout=TIMEOUT)
    verify_shared(data_service, table, LANGUAGE)


def verify_shared(data_service, table, language):
    key = {"pk": s("xlang:" + language), "sk": integer(0)}
    got = data_service.Get(data.GetRequest(table=table, key=key, consistent_read=True), timeout=TIMEOUT)
    check(got.found, f"shared item of {language}: not found")
    expected, actual = canonical_item(shared_item(language)), canonical_item(got.item)
    differences = sorted(set(expected) | set(actual))
    differences = [name for name in differences if expected.get(name) != actual.get(name)]
    check(not differences, f"shared item of {language} differs in {differences}: "
                           + "; ".join(f"{n}: expected {expected.get(n)} got {actual.get(n)}" for n in differences))
    print(f"shared item xlang:{language}: equal ({len(actual)} attributes)")


def main():
    args = sys.argv[1:]
    try:
        channel = connect()
        if args and args[0] == "verify":
            table = os.environ.get("ALTGW_TABLE", "altgw_examples")
            for language in args[1:]:
                verify_shared(data_grpc.DataServiceStub(channel), table, language)
        else:
            walkthrough(channel)
    except UnexpectedError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    except grpc.RpcError as error:
        print(f"FAILED: unexpected gRPC error {GatewayErrorDetails.of(error)}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
