#include "alternator/http1_response.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace altgw::alternator {
namespace {

using State = Http1ResponseParser::State;
using ::testing::HasSubstr;

// Feeds `wire` one byte at a time: framing must not depend on how the bytes are split.
State FeedBytewise(Http1ResponseParser& parser, const std::string& wire) {
  State state = State::kIncomplete;
  for (char c : wire) state = parser.Feed(std::string(1, c));
  return state;
}

TEST(Http1Response, ContentLengthBodyWholeAndBytewise) {
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 11\r\n\r\n{\"Item\":{}}";
  for (bool bytewise : {false, true}) {
    Http1ResponseParser parser(1000);
    const State state = bytewise ? FeedBytewise(parser, wire) : parser.Feed(wire);
    ASSERT_EQ(state, State::kComplete) << parser.error();
    EXPECT_EQ(parser.status(), 200);
    EXPECT_EQ(parser.body(), "{\"Item\":{}}");
    EXPECT_TRUE(parser.reusable());
    EXPECT_EQ(parser.content_encoding(), "");
  }
}

TEST(Http1Response, IncompleteUntilTheLastByte) {
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd";
  Http1ResponseParser parser(1000);
  EXPECT_EQ(parser.Feed(wire.substr(0, wire.size() - 1)), State::kIncomplete);
  EXPECT_EQ(parser.Feed(wire.substr(wire.size() - 1)), State::kComplete);
  EXPECT_EQ(parser.body(), "abcd");
}

TEST(Http1Response, ChunkedWithExtensionsAndTrailers) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (bool bytewise : {false, true}) {
    Http1ResponseParser parser(1000);
    const State state = bytewise ? FeedBytewise(parser, wire) : parser.Feed(wire);
    ASSERT_EQ(state, State::kComplete) << parser.error();
    EXPECT_EQ(parser.body(), "hello abcdefghijklmnopqrstuvwxy");
    EXPECT_TRUE(parser.reusable());
  }
}

TEST(Http1Response, InterimContinueIsSkipped) {
  Http1ResponseParser parser(1000);
  ASSERT_EQ(parser.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
            State::kComplete);
  EXPECT_EQ(parser.status(), 201);
  EXPECT_EQ(parser.body(), "ok");
}

TEST(Http1Response, NoBodyForNoContent) {
  Http1ResponseParser parser(1000);
  ASSERT_EQ(parser.Feed("HTTP/1.1 204 No Content\r\n\r\n"), State::kComplete);
  EXPECT_EQ(parser.body(), "");
  EXPECT_TRUE(parser.reusable());
}

TEST(Http1Response, BodyUntilTheEndOfTheConnection) {
  Http1ResponseParser parser(1000);
  EXPECT_EQ(parser.Feed("HTTP/1.1 200 OK\r\n\r\npart one, "), State::kIncomplete);
  EXPECT_EQ(parser.Feed("part two"), State::kIncomplete);
  EXPECT_EQ(parser.FeedEnd(), State::kComplete);
  EXPECT_EQ(parser.body(), "part one, part two");
  EXPECT_FALSE(parser.reusable());
}

TEST(Http1Response, ConnectionCloseAndHttp10AreNotReusable) {
  Http1ResponseParser close(1000);
  ASSERT_EQ(close.Feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(close.reusable());
  Http1ResponseParser old(1000);
  ASSERT_EQ(old.Feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(old.reusable());
  Http1ResponseParser old_kept(1000);
  ASSERT_EQ(old_kept.Feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"), State::kComplete);
  EXPECT_TRUE(old_kept.reusable());
}

TEST(Http1Response, BytesAfterTheAnswerMakeTheConnectionUnusable) {
  Http1ResponseParser parser(1000);
  ASSERT_EQ(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), State::kComplete);
  EXPECT_EQ(parser.body(), "ok");
  EXPECT_FALSE(parser.reusable());
}

TEST(Http1Response, ContentEncodingIsReported) {
  Http1ResponseParser parser(1000);
  ASSERT_EQ(parser.Feed("HTTP/1.1 200 OK\r\ncontent-encoding:  gzip \r\nContent-Length: 0\r\n\r\n"), State::kComplete);
  EXPECT_EQ(parser.content_encoding(), "gzip");
}

TEST(Http1Response, LargerThanTheLimitFails) {
  Http1ResponseParser declared(10);
  EXPECT_EQ(declared.Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"), State::kError);
  EXPECT_THAT(declared.error(), HasSubstr("larger than 10 bytes"));
  Http1ResponseParser chunked(10);
  EXPECT_EQ(chunked.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n"), State::kIncomplete);
  EXPECT_EQ(chunked.Feed("6\r\nabcdef\r\n"), State::kError);
  EXPECT_THAT(chunked.error(), HasSubstr("larger than 10 bytes"));
  Http1ResponseParser until_end(10);
  EXPECT_EQ(until_end.Feed("HTTP/1.1 200 OK\r\n\r\n0123456789x"), State::kError);
  Http1ResponseParser exact(10);
  EXPECT_EQ(exact.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"), State::kComplete);
}

TEST(Http1Response, MalformedAnswersAreErrors) {
  const char* const cases[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 abc OK\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  };
  for (const char* wire : cases) {
    Http1ResponseParser parser(1000);
    EXPECT_EQ(parser.Feed(wire), State::kError) << wire;
    EXPECT_FALSE(parser.error().empty()) << wire;
    EXPECT_FALSE(parser.reusable()) << wire;
  }
}

TEST(Http1Response, ChunkSizesAreHexDigitsOnly) {
  for (const char* size : {"+5", "0x5", " 5", "5 5", "-5"}) {
    Http1ResponseParser parser(1000);
    EXPECT_EQ(parser.Feed(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + size +
                          "\r\nhello\r\n0\r\n\r\n"),
              State::kError)
        << size;
  }
}

// Framings a proxy on the way may have read differently: the answer is read, the connection not reused.
TEST(Http1Response, AmbiguousChunkedFramingIsNotReused) {
  Http1ResponseParser both(1000);
  ASSERT_EQ(both.Feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "2\r\nok\r\n0\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(both.body(), "ok");
  EXPECT_FALSE(both.reusable());
  Http1ResponseParser old(1000);
  ASSERT_EQ(old.Feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "2\r\nok\r\n0\r\n\r\n"),
            State::kComplete);
  EXPECT_FALSE(old.reusable());
}

TEST(Http1Response, EndOfConnectionBeforeOrInsideAnAnswerIsAnError) {
  Http1ResponseParser nothing(1000);
  EXPECT_EQ(nothing.FeedEnd(), State::kError);
  EXPECT_FALSE(nothing.started());
  EXPECT_THAT(nothing.error(), HasSubstr("before any answer"));
  Http1ResponseParser partial(1000);
  EXPECT_EQ(partial.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"), State::kIncomplete);
  EXPECT_EQ(partial.FeedEnd(), State::kError);
  EXPECT_TRUE(partial.started());
  EXPECT_THAT(partial.error(), HasSubstr("middle of the answer"));
}

TEST(Http1Response, ResetReadsTheNextAnswer) {
  Http1ResponseParser parser(1000);
  ASSERT_EQ(parser.Feed("HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\nx"), State::kComplete);
  EXPECT_EQ(parser.status(), 500);
  parser.Reset();
  EXPECT_EQ(parser.state(), State::kIncomplete);
  ASSERT_EQ(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny"), State::kComplete);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.body(), "y");
}

TEST(Http1Response, OverlongHeadIsAnError) {
  Http1ResponseParser parser(1000);
  std::string wire = "HTTP/1.1 200 OK\r\nX-Big: ";
  wire += std::string(70 * 1024, 'a');
  EXPECT_EQ(parser.Feed(wire), State::kError);
  EXPECT_THAT(parser.error(), HasSubstr("too long"));
}

}  // namespace
}  // namespace altgw::alternator
