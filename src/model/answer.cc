#include "model/answer.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace altgw::model {
namespace {

using nlohmann::json;

// Documents whose buffers grew beyond this (for a large answer) are not kept for reuse.
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

}  // namespace

struct Answer::Document {
  simdjson::dom::parser parser;
  std::string buffer;  // the answer's text followed by simdjson's padding
  simdjson::dom::element root;
  std::optional<nlohmann::json> json_value;  // built on first use (Answer::json)
};

namespace {

// Each thread keeps a few documents for reuse: warm, an answer costs no allocation. Documents that grew
// for a large answer (Scan pages) are freed instead, so a thread does not keep megabytes for the rare one.
constexpr size_t kPooledDocuments = 4;

struct DocumentPool {
  ~DocumentPool();
  std::vector<std::unique_ptr<Answer::Document>> free;
};
// Trivially destructible, so still readable while the thread's other thread_locals are destroyed.
thread_local bool pool_destroyed = false;
thread_local DocumentPool pool;

DocumentPool::~DocumentPool() { pool_destroyed = true; }

using PooledDocument = std::unique_ptr<Answer::Document, Answer::Release>;

PooledDocument TakeDocument() {
  if (pool_destroyed || pool.free.empty()) return PooledDocument(new Answer::Document());
  PooledDocument document(pool.free.back().release());
  pool.free.pop_back();
  return document;
}

void ReturnDocument(std::unique_ptr<Answer::Document> document) {
  document->json_value.reset();
  if (pool_destroyed || pool.free.size() >= kPooledDocuments) return;
  if (document->buffer.capacity() > kReusedBufferBytes + simdjson::SIMDJSON_PADDING ||
      document->parser.capacity() > kReusedBufferBytes) {
    return;
  }
  pool.free.push_back(std::move(document));
}

// The text's bytes, with the padding simdjson reads past the end, parsed into `document`.
bool ParseInto(absl::string_view text, Answer::Document& document) {
  document.buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(document.buffer.data(), text.data(), text.size());
  return document.parser.parse(document.buffer.data(), text.size(), /*realloc_if_needed=*/false)
             .get(document.root) == simdjson::SUCCESS;
}

}  // namespace

void Answer::Release::operator()(Document* document) const { ReturnDocument(std::unique_ptr<Document>(document)); }

Answer::Answer(std::unique_ptr<Document, Release> document) : document_(std::move(document)) {}
Answer::Answer(Answer&&) noexcept = default;
Answer& Answer::operator=(Answer&&) noexcept = default;
Answer::~Answer() = default;

std::optional<Answer> Answer::Parse(absl::string_view text) {
  PooledDocument document = TakeDocument();
  if (ParseInto(text, *document)) {
    if (!document->root.is_object()) return std::nullopt;
    return Answer(std::move(document));
  }
  // What simdjson declines, nlohmann decides. The item decoders read the simdjson document, so an object
  // nlohmann takes is parsed again from its own rendering (which simdjson takes: large numbers become
  // doubles), while json() keeps nlohmann's value.
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  if (!ParseInto(parsed.dump(), *document)) return std::nullopt;
  document->json_value = std::move(parsed);
  return Answer(std::move(document));
}

Answer Answer::FromJson(const nlohmann::json& object) {
  PooledDocument document = TakeDocument();
  if (!object.is_object() || !ParseInto(object.dump(), *document)) {
    std::fprintf(stderr, "Answer::FromJson needs a JSON object, got %s\n", object.dump().c_str());
    std::abort();
  }
  document->json_value = object;
  return Answer(std::move(document));
}

const nlohmann::json& Answer::json() const {
  if (!document_->json_value) document_->json_value = Build(document_->root);
  return *document_->json_value;
}

const simdjson::dom::element& Answer::root() const { return document_->root; }

bool ParseAnswerJsonFast(absl::string_view text, json* out) {
  PooledDocument document = TakeDocument();
  if (!ParseInto(text, *document)) return false;
  *out = Build(document->root);
  return true;
}

json ParseAnswerJson(absl::string_view text) {
  json parsed;
  if (ParseAnswerJsonFast(text, &parsed)) return parsed;
  return json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace altgw::model
