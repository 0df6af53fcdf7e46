"""The gateway and boto3 agree on every type.

Items written through the gateway read back identically with boto3 (straight from DynamoDB Local), and
items written with boto3 read back identically through the gateway, for every DynamoDB type, as item
attributes and as keys. Numbers are canonical both ways: the gateway writes "1e3" as "1000", and returns
what boto3 wrote as "1E+3" as the integer 1000.
"""
import itertools

import grpc
import pytest
from alternator.gateway.v1 import data_service_pb2 as data_pb
from alternator.gateway.v1 import table_service_pb2 as tables_pb
from alternator.gateway.v1 import value_pb2 as v

_counter = itertools.count()


def S(text):
    return v.Value(string_value=text)


def B(raw):
    return v.Value(bytes_value=raw)


def N(decimal):
    return v.Value(number_value=v.Number(decimal=decimal))


def I(integer):  # noqa: E743 - short name for an integer value
    return v.Value(number_value=v.Number(integer=integer))


def F(number):
    return v.Value(number_value=v.Number(float64=number))


def L(*values):
    return v.Value(list_value=v.ValueList(values=list(values)))


def M(**fields):
    return v.Value(map_value=v.ValueMap(fields=fields))


NULL = v.Value(null_value=v.NULL_VALUE)
ALL_BYTES = bytes(range(256))

# (attribute, value written through the gateway, what boto3 must read from the database)
GATEWAY_TO_BOTO = [
    ("null", NULL, {"NULL": True}),
    ("true", v.Value(bool_value=True), {"BOOL": True}),
    ("false", v.Value(bool_value=False), {"BOOL": False}),
    ("empty_string", S(""), {"S": ""}),
    ("ascii", S("hello"), {"S": "hello"}),
    ("unicode", S("żółć こんにちは 🎉 e\u0301"), {"S": "żółć こんにちは 🎉 e\u0301"}),
    ("empty_bytes", B(b""), {"B": b""}),
    ("all_bytes", B(ALL_BYTES), {"B": ALL_BYTES}),
    ("int", I(42), {"N": "42"}),
    ("int_min", I(-2**63), {"N": str(-2**63)}),
    ("int_max", I(2**63 - 1), {"N": str(2**63 - 1)}),
    ("exp", N("1e3"), {"N": "1000"}),
    ("trailing_zeros", N("1000.000"), {"N": "1000"}),
    ("fraction", N("-0.50"), {"N": "-0.5"}),
    ("digits38", N("1234567890123456789012345678901234567.8"),
     {"N": "1234567890123456789012345678901234567.8"}),
    ("tiny", N("1e-130"), {"N": "0." + "0" * 129 + "1"}),
    ("huge", N("9.9999999999999999999999999999999999999e125"),
     {"N": "99999999999999999999999999999999999999" + "0" * 88}),
    ("double", F(0.1), {"N": "0.1"}),
    ("empty_list", L(), {"L": []}),
    ("list", L(I(1), S("two"), NULL, L(B(b"\x00"))), {"L": [{"N": "1"}, {"S": "two"}, {"NULL": True},
                                                          {"L": [{"B": b"\x00"}]}]}),
    ("empty_map", M(), {"M": {}}),
    ("map", M(a=I(1), b=M(c=S("deep"))), {"M": {"a": {"N": "1"}, "b": {"M": {"c": {"S": "deep"}}}}}),
    ("string_set", v.Value(string_set=v.StringSet(values=["a", "b", "ü"])), {"SS": ["a", "b", "ü"]}),
    ("number_set", v.Value(number_set=v.NumberSet(values=[v.Number(decimal="1e2"), v.Number(integer=7),
                                                          v.Number(decimal="0.25")])),
     {"NS": ["100", "7", "0.25"]}),
    ("bytes_set", v.Value(bytes_set=v.BytesSet(values=[b"\x00", b"\xff\xfe"])), {"BS": [b"\x00", b"\xff\xfe"]}),
]

# (attribute, what boto3 writes, what the gateway must return)
BOTO_TO_GATEWAY = [
    ("null", {"NULL": True}, NULL),
    ("bool", {"BOOL": True}, v.Value(bool_value=True)),
    ("empty_string", {"S": ""}, S("")),
    ("unicode", {"S": "naïve 漢字 🚀"}, S("naïve 漢字 🚀")),
    ("all_bytes", {"B": ALL_BYTES}, B(ALL_BYTES)),
    ("empty_bytes", {"B": b""}, B(b"")),
    ("int", {"N": "42"}, I(42)),
    ("exp", {"N": "1E+3"}, I(1000)),
    ("padded", {"N": "007.500"}, N("7.5")),
    ("beyond_int64", {"N": "9223372036854775808"}, N("9223372036854775808")),
    ("negative_fraction", {"N": "-0.001"}, N("-0.001")),
    ("list", {"L": [{"N": "1"}, {"S": "x"}, {"M": {"k": {"BOOL": False}}}]},
     L(I(1), S("x"), M(k=v.Value(bool_value=False)))),
    ("map", {"M": {"inner": {"L": []}, "n": {"NULL": True}}}, M(inner=L(), n=NULL)),
    ("string_set", {"SS": ["x", "y"]}, v.Value(string_set=v.StringSet(values=["x", "y"]))),
    ("number_set", {"NS": ["1.50", "2E+1"]},
     v.Value(number_set=v.NumberSet(values=[v.Number(decimal="1.5"), v.Number(integer=20)]))),
    ("bytes_set", {"BS": [b"a", b"\x01\x02"]}, v.Value(bytes_set=v.BytesSet(values=[b"a", b"\x01\x02"]))),
]


def normalise_attribute_value(value):
    """boto3's AttributeValue with sets sorted (DynamoDB does not keep set order)."""
    (tag, body), = value.items()
    if tag in ("SS", "NS", "BS"):
        return {tag: sorted(body)}
    if tag == "L":
        return {"L": [normalise_attribute_value(e) for e in body]}
    if tag == "M":
        return {"M": {k: normalise_attribute_value(e) for k, e in body.items()}}
    return {tag: body}


def normalise_value(value):
    """A typed Value as a comparable Python structure, with sets sorted."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return ("number", normalise_number(value.number_value))
    if kind == "list_value":
        return ("list", [normalise_value(e) for e in value.list_value.values])
    if kind == "map_value":
        return ("map", {k: normalise_value(e) for k, e in value.map_value.fields.items()})
    if kind == "string_set":
        return ("ss", sorted(value.string_set.values))
    if kind == "bytes_set":
        return ("bs", sorted(value.bytes_set.values))
    if kind == "number_set":
        return ("ns", sorted(normalise_number(n) for n in value.number_set.values))
    return (kind, getattr(value, kind))


def normalise_number(number):
    """(kind, value): the gateway must return integers as `integer` and everything else as `decimal`."""
    kind = number.WhichOneof("kind")
    return (kind, str(getattr(number, kind)))


def create_table(tables, key_type):
    name = f"parity_{key_type}_{next(_counter)}"
    tables.CreateTable(tables_pb.CreateTableRequest(
        table=name, partition_key=tables_pb.KeyAttribute(name="pk", type=key_type)), timeout=10)
    return name


@pytest.mark.parametrize("attribute, value, expected", GATEWAY_TO_BOTO, ids=[c[0] for c in GATEWAY_TO_BOTO])
def test_written_by_gateway_read_by_boto3(data, tables, boto, attribute, value, expected):
    table = create_table(tables, v.SCALAR_TYPE_STRING)
    data.Put(data_pb_put(table, {"pk": S("item"), attribute: value}), timeout=10)
    item = boto.get_item(TableName=table, Key={"pk": {"S": "item"}}, ConsistentRead=True)["Item"]
    assert normalise_attribute_value(item[attribute]) == normalise_attribute_value(expected)
    assert set(item) == {"pk", attribute}


@pytest.mark.parametrize("attribute, written, expected", BOTO_TO_GATEWAY, ids=[c[0] for c in BOTO_TO_GATEWAY])
def test_written_by_boto3_read_by_gateway(data, tables, boto, attribute, written, expected):
    table = create_table(tables, v.SCALAR_TYPE_STRING)
    boto.put_item(TableName=table, Item={"pk": {"S": "item"}, attribute: written})
    reply = data_get(data, table, {"pk": S("item")})
    assert reply.found
    assert normalise_value(reply.item[attribute]) == normalise_value(expected)


KEYS = [
    (v.SCALAR_TYPE_STRING, S("key ✓"), {"S": "key ✓"}),
    (v.SCALAR_TYPE_NUMBER, N("1e3"), {"N": "1000"}),
    (v.SCALAR_TYPE_NUMBER, N("-12.50"), {"N": "-12.5"}),
    (v.SCALAR_TYPE_BINARY, B(b"\x00\x01\xff"), {"B": b"\x00\x01\xff"}),
]


@pytest.mark.parametrize("key_type, key, stored", KEYS, ids=["string", "number", "fraction", "binary"])
def test_keys_agree_both_ways(data, tables, boto, key_type, key, stored):
    table = create_table(tables, key_type)
    # Through the gateway, found by boto3 under the canonical key.
    data.Put(data_pb_put(table, {"pk": key, "from": S("gateway")}), timeout=10)
    item = boto.get_item(TableName=table, Key={"pk": stored}, ConsistentRead=True).get("Item")
    assert item is not None and item["from"] == {"S": "gateway"}
    # Through boto3, found by the gateway under the typed key.
    boto.put_item(TableName=table, Item={"pk": stored, "from": {"S": "boto3"}})
    reply = data_get(data, table, {"pk": key})
    assert reply.found and reply.item["from"].string_value == "boto3"


def test_query_pages_match_boto3_items(data, tables, boto):
    name = f"parity_query_{next(_counter)}"
    tables.CreateTable(tables_pb.CreateTableRequest(
        table=name, partition_key=tables_pb.KeyAttribute(name="pk", type=v.SCALAR_TYPE_STRING),
        sort_key=tables_pb.KeyAttribute(name="sk", type=v.SCALAR_TYPE_NUMBER)), timeout=10)
    for i in range(120):
        boto.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "half": {"N": f"{i}.5"}})
    seen, token = [], ""
    while True:
        page = data.Query(data_pb.QueryRequest(table=name, partition_key=S("p"), page_size=17, page_token=token),
                          timeout=10)
        seen.extend((item.attributes["sk"].number_value.integer, item.attributes["half"].number_value.decimal)
                    for item in page.items)
        token = page.next_page_token
        if not token:
            break
    assert seen == [(i, f"{i}.5") for i in range(120)]


def test_gateway_rejection_leaves_database_untouched(data, tables, boto):
    table = create_table(tables, v.SCALAR_TYPE_STRING)
    with pytest.raises(grpc.RpcError) as error:
        data.Put(data_pb_put(table, {"pk": S("bad"), "set": v.Value(string_set=v.StringSet(values=[]))}),
                 timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Item" not in boto.get_item(TableName=table, Key={"pk": {"S": "bad"}}, ConsistentRead=True)


def data_pb_put(table, item):
    return data_pb.PutRequest(table=table, item=item)


def data_get(stub, table, key):
    return stub.Get(data_pb.GetRequest(table=table, key=key, consistent_read=True), timeout=10)
