package io.alternator.gateway.example;

import com.google.protobuf.ByteString;
import io.alternator.gateway.v1.BytesSet;
import io.alternator.gateway.v1.NullValue;
import io.alternator.gateway.v1.Number;
import io.alternator.gateway.v1.NumberSet;
import io.alternator.gateway.v1.StringSet;
import io.alternator.gateway.v1.Value;
import io.alternator.gateway.v1.ValueList;
import io.alternator.gateway.v1.ValueMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Building typed Values from Java values, and a stable text form of a Value for comparisons. */
public final class Values {
  private Values() {}

  public static Value s(String text) {
    return Value.newBuilder().setStringValue(text).build();
  }

  public static Value b(int... bytes) {
    return Value.newBuilder().setBytesValue(bytesOf(bytes)).build();
  }

  public static Number integerNumber(long i) {
    return Number.newBuilder().setInteger(i).build();
  }

  public static Value integer(long i) {
    return Value.newBuilder().setNumberValue(integerNumber(i)).build();
  }

  public static Value decimal(String text) {
    return Value.newBuilder().setNumberValue(Number.newBuilder().setDecimal(text)).build();
  }

  public static Value bool(boolean flag) {
    return Value.newBuilder().setBoolValue(flag).build();
  }

  public static Value nullValue() {
    return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
  }

  public static Value stringSet(String... items) {
    return Value.newBuilder().setStringSet(StringSet.newBuilder().addAllValues(Arrays.asList(items))).build();
  }

  /** Long values become integers, Strings decimals. */
  public static Value numberSet(Object... items) {
    NumberSet.Builder set = NumberSet.newBuilder();
    for (Object item : items) {
      set.addValues(item instanceof String text ? Number.newBuilder().setDecimal(text).build()
                                                : integerNumber(((java.lang.Number) item).longValue()));
    }
    return Value.newBuilder().setNumberSet(set).build();
  }

  public static Value bytesSet(ByteString... items) {
    return Value.newBuilder().setBytesSet(BytesSet.newBuilder().addAllValues(Arrays.asList(items))).build();
  }

  public static Value list(Value... items) {
    return Value.newBuilder().setListValue(ValueList.newBuilder().addAllValues(Arrays.asList(items))).build();
  }

  public static Value map(Map<String, Value> fields) {
    return Value.newBuilder().setMapValue(ValueMap.newBuilder().putAllFields(fields)).build();
  }

  public static ByteString bytesOf(int... bytes) {
    byte[] raw = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) raw[i] = (byte) bytes[i];
    return ByteString.copyFrom(raw);
  }

  /** A Number as decimal text: `integer` when it fits in int64, else the canonical `decimal`. */
  public static String numberText(Number n) {
    return switch (n.getKindCase()) {
      case INTEGER -> Long.toString(n.getInteger());
      case DECIMAL -> n.getDecimal();
      case FLOAT64 -> Double.toString(n.getFloat64());
      default -> "?";
    };
  }

  /** A stable text form of a Value: sets sorted, map keys sorted, numbers as decimal text. */
  public static String canonical(Value v) {
    HexFormat hex = HexFormat.of();
    return switch (v.getKindCase()) {
      case NULL_VALUE -> "NULL";
      case BOOL_VALUE -> "BOOL:" + v.getBoolValue();
      case STRING_VALUE -> "S:" + quote(v.getStringValue());
      case BYTES_VALUE -> "B:" + hex.formatHex(v.getBytesValue().toByteArray());
      case NUMBER_VALUE -> "N:" + numberText(v.getNumberValue());
      case LIST_VALUE -> v.getListValue().getValuesList().stream().map(Values::canonical)
                             .collect(Collectors.joining(",", "L[", "]"));
      case MAP_VALUE -> new TreeMap<>(v.getMapValue().getFieldsMap()).entrySet().stream()
                            .map(e -> quote(e.getKey()) + "=" + canonical(e.getValue()))
                            .collect(Collectors.joining(",", "M{", "}"));
      case STRING_SET -> "SS" + sorted(v.getStringSet().getValuesList().stream().map(Values::quote).toList());
      case NUMBER_SET -> "NS" + sorted(v.getNumberSet().getValuesList().stream().map(Values::numberText).toList());
      case BYTES_SET -> "BS" + sorted(v.getBytesSet().getValuesList().stream()
                                          .map(x -> hex.formatHex(x.toByteArray())).toList());
      default -> "(no kind)";
    };
  }

  public static Map<String, String> canonicalItem(Map<String, Value> item) {
    Map<String, String> result = new TreeMap<>();
    item.forEach((name, value) -> result.put(name, canonical(value)));
    return result;
  }

  private static String sorted(List<String> items) {
    List<String> copy = new ArrayList<>(items);
    copy.sort(null);
    return "[" + String.join(",", copy) + "]";
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** The payload every language's example writes and reads back (identical in all of them). */
  public static Map<String, Value> sharedItem(String language) {
    Map<String, Value> item = new HashMap<>();
    item.put("pk", s("xlang:" + language));
    item.put("sk", integer(0));
    item.put("text", s("grüße, 世界 ✓"));
    item.put("empty_text", s(""));
    item.put("count", integer(42));
    item.put("max", integer(9223372036854775807L));
    item.put("price", decimal("-12345.678901234567890123"));
    item.put("big", decimal("100000000000000000000000000000"));
    item.put("tiny", decimal("0.000000000000000000000000000001"));
    item.put("flag", bool(true));
    item.put("nothing", nullValue());
    item.put("blob", b(0x00, 0xFF, 0x10, 0x80, 0x61));
    item.put("tags", stringSet("red", "green", "blue"));
    item.put("scores", numberSet(1L, "2.5", -3L));
    item.put("blobs", bytesSet(bytesOf(0x01), bytesOf(0x02, 0x03)));
    item.put("nested", map(Map.of(
        "level", integer(1),
        "list", list(s("a"), integer(2), bool(false), map(Map.of("deep", b(0xCA, 0xFE)))),
        "empty", map(Map.of()))));
    item.put("empty_list", list());
    return item;
  }
}
