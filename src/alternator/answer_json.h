// ParseAnswerJson: the parser for database answers on the hot path.
//
// nlohmann::json's own parser reads one character at a time through a generic lexer; on a GetItem
// answer it cost more than the rest of the gateway's own work per call (callgrind: 45k instructions for
// a 314-byte item). simdjson validates and indexes the text several times faster, and the document is
// then built as the same nlohmann::json value the layers above use. Whatever simdjson does not take
// (numbers beyond 64 bits, lone surrogate escapes, malformed text) goes to nlohmann's parser, so the
// result, and what is rejected, is exactly what nlohmann::json::parse gives.
#ifndef ALTGW_ALTERNATOR_ANSWER_JSON_H_
#define ALTGW_ALTERNATOR_ANSWER_JSON_H_

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace altgw::alternator {

// The parsed document, or a discarded value (is_discarded()) when `text` is not valid JSON.
nlohmann::json ParseAnswerJson(absl::string_view text);

// The fast path alone: false when simdjson does not take `text` (then ParseAnswerJson asks nlohmann).
// Exposed for tests, which check that ordinary answers really take it.
bool ParseAnswerJsonFast(absl::string_view text, nlohmann::json* out);

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_ANSWER_JSON_H_
