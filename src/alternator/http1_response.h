// Http1ResponseParser: reads one HTTP/1.1 response from the bytes of a connection, as they arrive.
//
// Pure (no I/O), so the socket transport's framing can be tested byte by byte. It understands what an
// Alternator node or a proxy in front of it may send: a status line, headers, and a body framed by
// Content-Length, by chunked transfer coding, or by the end of the connection; interim 1xx answers are
// skipped. It reports whether the connection may carry another request (keep-alive).
#ifndef ALTGW_ALTERNATOR_HTTP1_RESPONSE_H_
#define ALTGW_ALTERNATOR_HTTP1_RESPONSE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace altgw::alternator {

class Http1ResponseParser {
 public:
  enum class State {
    kIncomplete,  // more bytes needed
    kComplete,    // a whole final response was read
    kError,       // malformed, or the body exceeds the limit: see error(); the connection is unusable
  };

  // Bodies longer than `max_body_bytes` (as received, before any content decoding) are an error.
  explicit Http1ResponseParser(size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  // Consumes the next bytes of the connection.
  State Feed(absl::string_view bytes);
  // The peer closed the connection: completes a body that runs to the end of the connection, and is an
  // error anywhere else.
  State FeedEnd();

  State state() const { return state_; }
  int status() const { return status_; }
  // The body as received (still content-coded; see content_encoding()).
  std::string& body() { return body_; }
  const std::string& content_encoding() const { return content_encoding_; }
  // Whether the connection may be used for another request after this response.
  bool reusable() const { return keep_alive_ && !extra_bytes_; }
  const std::string& error() const { return error_; }
  // Whether any byte of a response arrived (an interim 1xx counts).
  bool started() const { return started_; }

  // Ready for the next response on the same connection.
  void Reset();

 private:
  enum class Phase { kHead, kFixedBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kUntilEnd, kDone };

  State Fail(std::string error);
  // Parses the head in head_ (ending with the blank line); sets up the body phase.
  State OnHead(absl::string_view head);
  bool AppendBody(absl::string_view bytes);
  // Runs the phases over pending_ (bytes not consumed yet).
  State Advance();

  const size_t max_body_bytes_;
  State state_ = State::kIncomplete;
  Phase phase_ = Phase::kHead;
  std::string pending_;  // received, not yet consumed (head, chunk framing)
  size_t remaining_ = 0;  // of the fixed body or of the current chunk
  int status_ = 0;
  bool keep_alive_ = true;
  bool extra_bytes_ = false;
  bool started_ = false;
  std::string content_encoding_;
  std::string body_;
  std::string error_;
};

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_HTTP1_RESPONSE_H_
