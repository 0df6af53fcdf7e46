#include "alternator/answer_json.h"

#include <simdjson.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace altgw::alternator {
namespace {

using nlohmann::json;

// Answers up to this size are parsed with a per-thread parser and buffer, reused call after call (no
// allocation once warm); larger ones (Scan pages) with buffers freed afterwards, so a thread does not
// keep megabytes for the rare large answer.
constexpr size_t kReusedBufferBytes = 64 * 1024;

json Build(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      json out = json::object();
      json::object_t& members = out.get_ref<json::object_t&>();
      for (simdjson::dom::key_value_pair member : simdjson::dom::object(element)) {
        // Last duplicate wins, as in nlohmann's parser.
        members.insert_or_assign(std::string(member.key), Build(member.value));
      }
      return out;
    }
    case simdjson::dom::element_type::ARRAY: {
      json out = json::array();
      json::array_t& values = out.get_ref<json::array_t&>();
      const simdjson::dom::array array(element);
      values.reserve(array.size());
      for (simdjson::dom::element value : array) values.push_back(Build(value));
      return out;
    }
    case simdjson::dom::element_type::STRING:
      return json(std::string(std::string_view(element)));
    case simdjson::dom::element_type::INT64: {
      // nlohmann stores non-negative integers as unsigned.
      const int64_t value = int64_t(element);
      return value >= 0 ? json(static_cast<uint64_t>(value)) : json(value);
    }
    case simdjson::dom::element_type::UINT64:
      return json(uint64_t(element));
    case simdjson::dom::element_type::DOUBLE:
      return json(double(element));
    case simdjson::dom::element_type::BOOL:
      return json(bool(element));
    case simdjson::dom::element_type::NULL_VALUE:
      return json(nullptr);
  }
  return json(nullptr);
}

bool ParseFast(absl::string_view text, simdjson::dom::parser& parser, std::string& buffer, json* out) {
  // simdjson reads past the end of its input: copy into a buffer with the padding it needs.
  buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buffer.data(), text.data(), text.size());
  simdjson::dom::element root;
  if (parser.parse(buffer.data(), text.size(), /*realloc_if_needed=*/false).get(root) != simdjson::SUCCESS) {
    return false;
  }
  *out = Build(root);
  return true;
}

}  // namespace

bool ParseAnswerJsonFast(absl::string_view text, json* out) {
  if (text.size() <= kReusedBufferBytes) {
    thread_local simdjson::dom::parser parser;
    thread_local std::string buffer;
    return ParseFast(text, parser, buffer, out);
  }
  simdjson::dom::parser parser;
  std::string buffer;
  return ParseFast(text, parser, buffer, out);
}

json ParseAnswerJson(absl::string_view text) {
  json parsed;
  if (ParseAnswerJsonFast(text, &parsed)) return parsed;
  return json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace altgw::alternator
