#include "alternator/http1_response.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace altgw::alternator {
namespace {

// Bounds on framing a well-behaved server never comes near; past them the peer is broken or hostile.
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxChunkLineBytes = 1024;

bool HasToken(absl::string_view list, absl::string_view token) {
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(item), token)) return true;
  }
  return false;
}

// The last coding of a Transfer-Encoding list (the one that frames the body).
absl::string_view LastToken(absl::string_view list) {
  const size_t comma = list.rfind(',');
  return absl::StripAsciiWhitespace(comma == absl::string_view::npos ? list : list.substr(comma + 1));
}

}  // namespace

void Http1ResponseParser::Reset() {
  state_ = State::kIncomplete;
  phase_ = Phase::kHead;
  pending_.clear();
  remaining_ = 0;
  status_ = 0;
  keep_alive_ = true;
  extra_bytes_ = false;
  started_ = false;
  content_encoding_.clear();
  body_.clear();
  error_.clear();
}

Http1ResponseParser::State Http1ResponseParser::Fail(std::string error) {
  error_ = std::move(error);
  keep_alive_ = false;
  state_ = State::kError;
  return state_;
}

bool Http1ResponseParser::AppendBody(absl::string_view bytes) {
  if (body_.size() + bytes.size() > max_body_bytes_) {
    Fail(absl::StrCat("answer larger than ", max_body_bytes_, " bytes"));
    return false;
  }
  body_.append(bytes.data(), bytes.size());
  return true;
}

Http1ResponseParser::State Http1ResponseParser::Feed(absl::string_view bytes) {
  if (bytes.empty()) return state_;
  if (state_ != State::kIncomplete) {
    // Bytes nobody asked for after a complete answer: the connection's framing cannot be trusted.
    extra_bytes_ = true;
    return state_;
  }
  started_ = true;
  // The common case of a body framed by Content-Length goes straight into body_, without a copy through
  // pending_.
  if (phase_ == Phase::kFixedBody && pending_.empty()) {
    const size_t take = std::min(remaining_, bytes.size());
    if (!AppendBody(bytes.substr(0, take))) return state_;
    remaining_ -= take;
    if (remaining_ > 0) return state_;
    phase_ = Phase::kDone;
    state_ = State::kComplete;
    extra_bytes_ = take < bytes.size();
    return state_;
  }
  pending_.append(bytes.data(), bytes.size());
  return Advance();
}

Http1ResponseParser::State Http1ResponseParser::FeedEnd() {
  if (state_ != State::kIncomplete) return state_;
  if (phase_ == Phase::kUntilEnd) {
    phase_ = Phase::kDone;
    state_ = State::kComplete;
    return state_;
  }
  return Fail(started_ ? "the connection closed in the middle of the answer"
                       : "the connection closed before any answer");
}

Http1ResponseParser::State Http1ResponseParser::Advance() {
  size_t pos = 0;
  const absl::string_view in(pending_);
  while (state_ == State::kIncomplete) {
    const absl::string_view rest = in.substr(pos);
    if (phase_ == Phase::kHead) {
      const size_t end = rest.find("\r\n\r\n");
      if (end == absl::string_view::npos) {
        if (rest.size() > kMaxHeadBytes) return Fail("the answer's head is too long");
        break;
      }
      pos += end + 4;
      OnHead(rest.substr(0, end + 2));
    } else if (phase_ == Phase::kFixedBody || phase_ == Phase::kChunkData) {
      if (rest.empty()) break;
      const size_t take = std::min(remaining_, rest.size());
      if (!AppendBody(rest.substr(0, take))) break;
      pos += take;
      remaining_ -= take;
      if (remaining_ == 0) phase_ = phase_ == Phase::kFixedBody ? Phase::kDone : Phase::kChunkDataEnd;
    } else if (phase_ == Phase::kChunkSize) {
      const size_t eol = rest.find("\r\n");
      if (eol == absl::string_view::npos) {
        if (rest.size() > kMaxChunkLineBytes) return Fail("a chunk-size line is too long");
        break;
      }
      absl::string_view line = rest.substr(0, eol);
      // Chunk extensions are ignored; whitespace may only come before them (RFC 9112 BWS), not first.
      line = absl::StripTrailingAsciiWhitespace(line.substr(0, line.find(';')));
      uint64_t size = 0;
      if (line.empty() || line.size() > 15 || !std::all_of(line.begin(), line.end(), absl::ascii_isxdigit) ||
          !absl::SimpleHexAtoi(line, &size)) {
        return Fail(absl::StrCat("bad chunk size \"", absl::CHexEscape(rest.substr(0, std::min<size_t>(eol, 40))),
                                 "\""));
      }
      pos += eol + 2;
      if (size == 0) {
        phase_ = Phase::kTrailers;
      } else {
        remaining_ = size;
        phase_ = Phase::kChunkData;
      }
    } else if (phase_ == Phase::kChunkDataEnd) {
      if (rest.size() < 2) break;
      if (rest.substr(0, 2) != "\r\n") return Fail("a chunk does not end with CRLF");
      pos += 2;
      phase_ = Phase::kChunkSize;
    } else if (phase_ == Phase::kTrailers) {
      const size_t eol = rest.find("\r\n");
      if (eol == absl::string_view::npos) {
        if (rest.size() > kMaxHeadBytes) return Fail("the answer's trailers are too long");
        break;
      }
      pos += eol + 2;
      if (eol == 0) phase_ = Phase::kDone;  // the blank line after the trailers (usually none)
    } else if (phase_ == Phase::kUntilEnd) {
      if (!AppendBody(rest)) break;
      pos = in.size();
      break;
    }
    if (phase_ == Phase::kDone) {
      state_ = State::kComplete;
      extra_bytes_ = pos < in.size();
      pos = in.size();
    }
  }
  if (state_ == State::kError) return state_;
  pending_.erase(0, pos);
  return state_;
}

Http1ResponseParser::State Http1ResponseParser::OnHead(absl::string_view head) {
  // `head` is the status line and the header lines, each ending with CRLF.
  const size_t first_eol = head.find("\r\n");
  const absl::string_view status_line = head.substr(0, first_eol);
  // "HTTP/1.1 200 OK": the version, one space, three digits, then a space and a reason (or nothing).
  if (status_line.size() < 12 || !absl::StartsWith(status_line, "HTTP/1.") || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return Fail(absl::StrCat("not an HTTP/1.x status line: \"",
                             absl::CHexEscape(status_line.substr(0, 60)), "\""));
  }
  int status = 0;
  if (!absl::SimpleAtoi(status_line.substr(9, 3), &status) || status < 100 || status > 999) {
    return Fail(absl::StrCat("bad status code in \"", absl::CHexEscape(status_line.substr(0, 60)), "\""));
  }
  bool keep_alive = status_line[7] == '1';  // HTTP/1.1 keeps the connection unless told otherwise
  bool chunked = false;
  bool other_transfer_coding = false;
  bool has_length = false;
  uint64_t length = 0;
  std::string encoding;
  absl::string_view lines = head.substr(first_eol + 2);
  while (!lines.empty()) {
    const size_t eol = lines.find("\r\n");
    const absl::string_view line = lines.substr(0, eol);
    lines.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return Fail(absl::StrCat("bad header line \"", absl::CHexEscape(line.substr(0, 60)), "\""));
    }
    const absl::string_view name = line.substr(0, colon);
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      uint64_t parsed = 0;
      if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), absl::ascii_isdigit) ||
          !absl::SimpleAtoi(value, &parsed) || (has_length && parsed != length)) {
        return Fail(absl::StrCat("bad Content-Length \"", absl::CHexEscape(value.substr(0, 40)), "\""));
      }
      has_length = true;
      length = parsed;
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = absl::EqualsIgnoreCase(LastToken(value), "chunked");
      other_transfer_coding = !chunked;
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      if (HasToken(value, "close")) {
        keep_alive = false;
      } else if (HasToken(value, "keep-alive")) {
        keep_alive = true;
      }
    } else if (absl::EqualsIgnoreCase(name, "content-encoding")) {
      encoding = std::string(value);
    }
  }
  if (status < 200) {
    // 101 would switch protocols, which this client never asks for; other 1xx answers are interim and
    // a final answer follows on the same connection.
    if (status == 101) return Fail("the server switched protocols (101), which was not asked for");
    phase_ = Phase::kHead;
    return state_;
  }
  status_ = status;
  keep_alive_ = keep_alive;
  content_encoding_ = std::move(encoding);
  if (status == 204 || status == 304) {
    phase_ = Phase::kDone;
  } else if (chunked) {
    phase_ = Phase::kChunkSize;
    // Chunked with a Content-Length too, or chunked from an HTTP/1.0 peer: a framing a proxy on the way
    // may have read differently (RFC 9112 section 6.3). Read it, but never reuse the connection after it.
    if (has_length || status_line[7] == '0') keep_alive_ = false;
  } else if (other_transfer_coding || !has_length) {
    // Framed by the end of the connection (RFC 9112 section 6.3).
    phase_ = Phase::kUntilEnd;
    keep_alive_ = false;
  } else if (length > max_body_bytes_) {
    return Fail(absl::StrCat("answer larger than ", max_body_bytes_, " bytes"));
  } else {
    remaining_ = length;
    body_.reserve(length);
    phase_ = length == 0 ? Phase::kDone : Phase::kFixedBody;
  }
  return state_;
}

}  // namespace altgw::alternator
