// Decoding DynamoDB items straight from an answer's simdjson document into Protobuf attribute maps, for
// the model's parsers of item-carrying answers (see answer.h). Internal to the model layer: simdjson is a
// private dependency of altgw_model, so only the model's own sources include this header.
#ifndef ALTGW_MODEL_ANSWER_ITEMS_H_
#define ALTGW_MODEL_ANSWER_ITEMS_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "alternator/gateway/v1/data_service.pb.h"
#include "common/error_or.h"
#include "model/answer.h"
#include "model/table_schema.h"
#include "model/value_codec.h"

namespace altgw::model {

// As DecodeAttributes(const nlohmann::json&, ...) (value_codec.h): same rules, same errors.
absl::Status DecodeAttributes(simdjson::dom::element item, AttributeMap* out);

// The value of the last member named `name` of `object` (as nlohmann, which keeps the last of repeated
// names), or nullopt.
std::optional<simdjson::dom::element> LastMember(const simdjson::dom::element& object, std::string_view name);

// A Query or Scan answer's page.
struct ItemsPage {
  uint32_t scanned_count = 0;
  // LastEvaluatedKey as JSON text: where the next page starts; nullopt after the last page.
  std::optional<std::string> last_key;
};

// Appends the answer's Items to `items` (versions filled for versioned tables) and returns the rest of
// the page. `operation` names the answer in errors.
ErrorOr<ItemsPage> ParseItemsPage(const Answer& answer, const char* operation, const TableSchema& schema,
                                  google::protobuf::RepeatedPtrField<v1::Item>* items);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_ANSWER_ITEMS_H_
