#include "model/answer_items.h"

#include "model/item_requests.h"
#include "model/versioning.h"

namespace altgw::model {

std::optional<simdjson::dom::element> LastMember(const simdjson::dom::element& object, std::string_view name) {
  std::optional<simdjson::dom::element> found;
  simdjson::dom::object members;
  if (object.get(members) != simdjson::SUCCESS) return found;
  for (simdjson::dom::key_value_pair member : members) {
    if (member.key == name) found = member.value;
  }
  return found;
}

ErrorOr<ItemsPage> ParseItemsPage(const Answer& answer, const char* operation, const TableSchema& schema,
                                  google::protobuf::RepeatedPtrField<v1::Item>* items) {
  const simdjson::dom::element& root = answer.root();
  ItemsPage page;
  if (std::optional<simdjson::dom::element> found = LastMember(root, "Items")) {
    simdjson::dom::array list;
    if (found->get(list) != simdjson::SUCCESS) {
      return MalformedAnswer(operation, absl::InternalError("Items is not a list"));
    }
    items->Reserve(items->size() + static_cast<int>(list.size()));
    for (simdjson::dom::element item : list) {
      v1::Item* added = items->Add();
      if (absl::Status s = DecodeAttributes(item, added->mutable_attributes()); !s.ok()) {
        return MalformedAnswer(operation, s);
      }
      FillVersion(schema, added->attributes(), added);
    }
  }
  uint64_t scanned = 0;
  if (std::optional<simdjson::dom::element> count = LastMember(root, "ScannedCount");
      count && count->get(scanned) == simdjson::SUCCESS) {
    page.scanned_count = static_cast<uint32_t>(scanned);
  }
  if (std::optional<simdjson::dom::element> last = LastMember(root, "LastEvaluatedKey"); last && last->is_object()) {
    page.last_key = simdjson::minify(*last);
  }
  return page;
}

}  // namespace altgw::model
