package main

// Building typed Values from Go values, and a stable text form of a Value for comparisons.

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	gatewayv1 "alternator-gateway/gen/go/alternator/gateway/v1"
)

type Item = map[string]*gatewayv1.Value

func S(text string) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_StringValue{StringValue: text}}
}

func B(data []byte) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_BytesValue{BytesValue: data}}
}

func IntegerNumber(i int64) *gatewayv1.Number {
	return &gatewayv1.Number{Kind: &gatewayv1.Number_Integer{Integer: i}}
}

func DecimalNumber(text string) *gatewayv1.Number {
	return &gatewayv1.Number{Kind: &gatewayv1.Number_Decimal{Decimal: text}}
}

func Integer(i int64) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_NumberValue{NumberValue: IntegerNumber(i)}}
}

func Decimal(text string) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_NumberValue{NumberValue: DecimalNumber(text)}}
}

func Bool(flag bool) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_BoolValue{BoolValue: flag}}
}

func Null() *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_NullValue{NullValue: gatewayv1.NullValue_NULL_VALUE}}
}

func StringSet(items ...string) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_StringSet{StringSet: &gatewayv1.StringSet{Values: items}}}
}

// NumberSet takes int64 values and decimal strings.
func NumberSet(items ...interface{}) *gatewayv1.Value {
	set := &gatewayv1.NumberSet{}
	for _, item := range items {
		switch n := item.(type) {
		case int:
			set.Values = append(set.Values, IntegerNumber(int64(n)))
		case int64:
			set.Values = append(set.Values, IntegerNumber(n))
		case string:
			set.Values = append(set.Values, DecimalNumber(n))
		default:
			panic(fmt.Sprintf("NumberSet: %T is not a number", item))
		}
	}
	return &gatewayv1.Value{Kind: &gatewayv1.Value_NumberSet{NumberSet: set}}
}

func BytesSet(items ...[]byte) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_BytesSet{BytesSet: &gatewayv1.BytesSet{Values: items}}}
}

func List(items ...*gatewayv1.Value) *gatewayv1.Value {
	if items == nil {
		items = []*gatewayv1.Value{}
	}
	return &gatewayv1.Value{Kind: &gatewayv1.Value_ListValue{ListValue: &gatewayv1.ValueList{Values: items}}}
}

func Map(fields Item) *gatewayv1.Value {
	return &gatewayv1.Value{Kind: &gatewayv1.Value_MapValue{MapValue: &gatewayv1.ValueMap{Fields: fields}}}
}

// NumberText is a Number as decimal text: the gateway returns `integer` when the value fits in int64 and the
// canonical `decimal` otherwise.
func NumberText(n *gatewayv1.Number) string {
	switch k := n.GetKind().(type) {
	case *gatewayv1.Number_Integer:
		return strconv.FormatInt(k.Integer, 10)
	case *gatewayv1.Number_Decimal:
		return k.Decimal
	case *gatewayv1.Number_Float64:
		return strconv.FormatFloat(k.Float64, 'g', -1, 64)
	}
	return "?"
}

// Canonical is a stable text form of a Value: sets sorted, map keys sorted, numbers as decimal text.
func Canonical(v *gatewayv1.Value) string {
	switch k := v.GetKind().(type) {
	case *gatewayv1.Value_NullValue:
		return "NULL"
	case *gatewayv1.Value_BoolValue:
		return "BOOL:" + strconv.FormatBool(k.BoolValue)
	case *gatewayv1.Value_StringValue:
		return "S:" + strconv.Quote(k.StringValue)
	case *gatewayv1.Value_BytesValue:
		return "B:" + hex.EncodeToString(k.BytesValue)
	case *gatewayv1.Value_NumberValue:
		return "N:" + NumberText(k.NumberValue)
	case *gatewayv1.Value_ListValue:
		parts := []string{}
		for _, e := range k.ListValue.GetValues() {
			parts = append(parts, Canonical(e))
		}
		return "L[" + strings.Join(parts, ",") + "]"
	case *gatewayv1.Value_MapValue:
		names := []string{}
		for name := range k.MapValue.GetFields() {
			names = append(names, name)
		}
		sort.Strings(names)
		parts := []string{}
		for _, name := range names {
			parts = append(parts, strconv.Quote(name)+"="+Canonical(k.MapValue.GetFields()[name]))
		}
		return "M{" + strings.Join(parts, ",") + "}"
	case *gatewayv1.Value_StringSet:
		return "SS" + sortedText(k.StringSet.GetValues(), strconv.Quote)
	case *gatewayv1.Value_NumberSet:
		texts := []string{}
		for _, n := range k.NumberSet.GetValues() {
			texts = append(texts, NumberText(n))
		}
		return "NS" + sortedText(texts, func(s string) string { return s })
	case *gatewayv1.Value_BytesSet:
		texts := []string{}
		for _, b := range k.BytesSet.GetValues() {
			texts = append(texts, hex.EncodeToString(b))
		}
		return "BS" + sortedText(texts, func(s string) string { return s })
	}
	return "(no kind)"
}

func sortedText(items []string, format func(string) string) string {
	sorted := append([]string(nil), items...)
	sort.Strings(sorted)
	for i := range sorted {
		sorted[i] = format(sorted[i])
	}
	return "[" + strings.Join(sorted, ",") + "]"
}

// CanonicalItem maps each attribute name to the canonical text of its value.
func CanonicalItem(item Item) map[string]string {
	result := map[string]string{}
	for name, value := range item {
		result[name] = Canonical(value)
	}
	return result
}

// SharedItem is the payload every language's example writes and reads back (identical in all of them).
func SharedItem(language string) Item {
	return Item{
		"pk": S("xlang:" + language), "sk": Integer(0),
		"text": S("grüße, 世界 ✓"), "empty_text": S(""),
		"count": Integer(42), "max": Integer(9223372036854775807),
		"price": Decimal("-12345.678901234567890123"), "big": Decimal("100000000000000000000000000000"),
		"tiny": Decimal("0.000000000000000000000000000001"),
		"flag": Bool(true), "nothing": Null(),
		"blob":   B([]byte{0x00, 0xFF, 0x10, 0x80, 0x61}),
		"tags":   StringSet("red", "green", "blue"),
		"scores": NumberSet(1, "2.5", -3),
		"blobs":  BytesSet([]byte{0x01}, []byte{0x02, 0x03}),
		"nested": Map(Item{
			"level": Integer(1),
			"list":  List(S("a"), Integer(2), Bool(false), Map(Item{"deep": B([]byte{0xCA, 0xFE})})),
			"empty": Map(Item{}),
		}),
		"empty_list": List(),
	}
}
