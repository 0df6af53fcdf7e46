// The typed JSON form of values used by the altgw CLI, and JSON for whole request/response messages.
//
// A value is written as a one-key object whose key names its DynamoDB type:
//   {"s": "text"}               string            {"ss": ["a", "b"]}        string set
//   {"n": "12.50"} / {"n": 7}   exact decimal     {"ns": ["1.5", 2]}         number set (decimal strings or integers)
//   {"b": "AAEC"}               bytes (base64)    {"bs": ["AAEC"]}          bytes set (base64)
//   {"bool": true}              boolean           {"l": [v, ...]}           list of values
//   {"null": true}              null              {"m": {"name": v, ...}}   map of values
// Shorthand, accepted on input wherever a value is expected: a JSON string is a string, a JSON boolean a
// boolean, JSON null the null value, a JSON array a list, and a JSON integer (that fits in int64) a number.
// A JSON number with a fraction or exponent is REJECTED: JSON parsers read it as a binary double, which
// would silently change decimals such as 0.1 or 12345678901234567890.5; write {"n": "0.1"} instead. A JSON
// object is never a map shorthand (it is always a typed value), so {"m": {...}} is how maps are written.
// Output always uses the typed form, with numbers as decimal strings (exact).
//
// Whole messages (conditions, update actions, transactions, index definitions) are protobuf's JSON mapping
// of the .proto messages (field names as in the .proto or lowerCamelCase, enums by name), parsed with
// protobuf's JsonStringToMessage, except that every field of type Value may use the typed form above and
// every Number field may be a decimal string or an integer.
#ifndef ALTGW_CLI_TYPED_JSON_H_
#define ALTGW_CLI_TYPED_JSON_H_

#include <google/protobuf/message.h>

#include <stdexcept>
#include <string>

#include "altgw_client/value.h"
#include "nlohmann/json.hpp"

namespace altgw::cli {

using json = nlohmann::json;
namespace v1 = ::alternator::gateway::v1;

// Bad input: the message names the argument and the place in it ("--item: at .price: ...").
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses JSON text (`what` names the argument in errors).
json ParseJson(const std::string& text, const std::string& what);

// Typed JSON -> Value / attribute map. `where` is the path used in error messages.
v1::Value ValueFromJson(const json& j, const std::string& where);
client::Attributes AttributesFromJson(const json& j, const std::string& where);
v1::Number NumberFromJson(const json& j, const std::string& where);

// Value / attribute map -> typed JSON.
json ValueToJson(const v1::Value& value);
json AttributesToJson(const client::Attributes& attributes);

// Protobuf JSON (with typed values) -> message. Throws InputError naming `where`.
void MessageFromJson(json j, google::protobuf::Message* message, const std::string& where);
// Message -> JSON: .proto field names, enums by name, bytes in base64, 64-bit integers as JSON numbers, values
// in the typed form, google.rpc.Status as {"code", "message", "reason"}. Fields at their default are left out.
json MessageToJson(const google::protobuf::Message& message);

}  // namespace altgw::cli

#endif  // ALTGW_CLI_TYPED_JSON_H_
