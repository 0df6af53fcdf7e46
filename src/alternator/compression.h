// Content-Encoding for the HTTP transport to Alternator: gzip for request bodies, decoding of
// compressed responses. Alternator accepts gzip request bodies only from ScyllaDB 2026.1 (older servers
// answer 500), so request compression is opt-in and decided by the caller; these functions only do the
// byte work.
#ifndef ALTGW_ALTERNATOR_COMPRESSION_H_
#define ALTGW_ALTERNATOR_COMPRESSION_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace altgw::alternator {

// Smallest request body worth compressing: below it, gzip's 18-byte framing and the CPU cost outweigh
// what a short JSON document gains.
inline constexpr size_t kDefaultGzipThreshold = 1024;

// The Accept-Encoding value to send when response compression is enabled: exactly what DecodeContent
// understands.
inline constexpr absl::string_view kAcceptEncoding = "gzip, deflate";

// zlib level for request bodies. Level 1 keeps most of the gain on repetitive DynamoDB JSON at a
// fraction of the CPU of the default level 6, and this runs on the gateway's request path.
inline constexpr int kGzipLevel = 1;

// Returns `body` gzip-compressed (send it with `Content-Encoding: gzip`) when body.size() >= threshold
// and the compressed form is strictly smaller than the body; otherwise std::nullopt, and the caller
// sends `body` as it is. Also std::nullopt if zlib fails (compression is only an optimisation).
// Never uses more output memory than body.size(): it gives up as soon as the result cannot be smaller.
std::optional<std::string> GzipIfSmaller(absl::string_view body, size_t threshold);

// Decodes a response body according to its Content-Encoding header value:
//   "gzip" / "x-gzip"     gzip (RFC 1952), including several concatenated members;
//   "deflate"             zlib-wrapped deflate (RFC 1950) as the standard says, or raw deflate
//                         (RFC 1951), which some servers send instead;
//   "identity" / ""       no coding;
//   "a, b"                codings applied in order a then b, undone in reverse.
// Names are case-insensitive. An empty body decodes to an empty body whatever the coding (bodiless
// responses may still name one). Errors:
//   UNIMPLEMENTED       an encoding this function does not know (e.g. "br");
//   DATA_LOSS           corrupt or truncated compressed data, or bytes after the end of the stream;
//   RESOURCE_EXHAUSTED  the decoded body would exceed max_decoded_size bytes (checked while
//                       inflating, so a decompression bomb costs at most max_decoded_size + 1 bytes;
//                       an identity body larger than the limit is refused too).
absl::StatusOr<std::string> DecodeContent(absl::string_view encoding, absl::string_view body,
                                          size_t max_decoded_size);

}  // namespace altgw::alternator

#endif  // ALTGW_ALTERNATOR_COMPRESSION_H_
