// Answer: a database's successful answer, a JSON object parsed once, and read in the form each reader
// needs.
//
// The parsers of item-carrying answers (GetItem, Query, Scan) decode the simdjson document straight into
// the Protobuf response (answer_items.h). Building an nlohmann::json tree first, then decoding that, cost
// more than parsing: with 10-attribute items, 5.0 against 2.1 µs per GetItem answer and 27 against 12 µs
// per 10-item Query page (bench/README.md). The other answers are small and read through json(), the
// same document as an nlohmann::json value, built on first use.
//
// nlohmann::json's own parser reads one character at a time through a generic lexer; on a GetItem answer
// it cost more than the rest of the gateway's own work per call (callgrind: 45k instructions for a
// 314-byte item), so even json() is built from the simdjson document. Whatever simdjson does not take
// (numbers beyond 64 bits, malformed text) goes to nlohmann's parser, so what is accepted and its value is
// exactly what nlohmann::json::parse gives.
#ifndef ALTGW_MODEL_ANSWER_H_
#define ALTGW_MODEL_ANSWER_H_

#include <memory>
#include <optional>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace simdjson::dom {
class element;
}

namespace altgw::model {

class Answer {
 public:
  // The answer in `text`, or nullopt when it is not a JSON object.
  static std::optional<Answer> Parse(absl::string_view text);
  // An answer holding `object` (tests and tools that build answers as values).
  static Answer FromJson(const nlohmann::json& object);

  Answer(Answer&&) noexcept;
  Answer& operator=(Answer&&) noexcept;
  ~Answer();

  // The answer as an nlohmann::json object, built on the first call.
  const nlohmann::json& json() const;
  // The parsed document's root object (for the model's item decoders, answer_items.h).
  const simdjson::dom::element& root() const;

  // The parsing document, with its buffers, reused answer after answer on a thread (answer.cc).
  struct Document;
  // Gives a document back to its thread's pool (or frees it).
  struct Release {
    void operator()(Document* document) const;
  };

 private:
  explicit Answer(std::unique_ptr<Document, Release> document);

  std::unique_ptr<Document, Release> document_;
};

// Any JSON text as an nlohmann::json value, parsed the way Answer::Parse parses (simdjson first); a
// discarded value (is_discarded()) when `text` is not valid JSON.
nlohmann::json ParseAnswerJson(absl::string_view text);

// The fast path alone: false when simdjson does not take `text` (then ParseAnswerJson asks nlohmann).
// Exposed for tests, which check that ordinary answers really take it.
bool ParseAnswerJsonFast(absl::string_view text, nlohmann::json* out);

}  // namespace altgw::model

#endif  // ALTGW_MODEL_ANSWER_H_
