// Chapter 9's HTTP rules, against clients and servers that break them: message framing
// (RFC 9112), response splitting, timeouts, fairness, and fetch's limits. Instantiated by
// every chapter from 7 on, on every backend:
//   HTTPServer   the server, serving one end of a socketpair (handle_stream); the test is
//                the client at the other end, reading and writing it directly;
//   Fetch        read_response on a socketpair, and fetch against a raw server.
// The environment names Env::HTTPServer, HTTPRequest, HTTPResponse, HTTPInputError,
// FetchError, FetchOptions, TCPServer, Env::fetch(url, options) and Env::read_response.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// ================================================================= the server

template <class Env>
class HTTPServer : public LoopTest<Env> {
 protected:
  using Server = typename Env::HTTPServer;
  using Options = typename Server::Options;
  using Request = typename Env::HTTPRequest;
  using Response = typename Env::HTTPResponse;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;

  /// What the client end has received, and whether the server has closed its end.
  struct Received {
    std::string bytes;
    bool closed = false;
  };

  /// Generous timeouts, so that only the specs about timeouts meet one.
  static Options patient() {
    Options options;
    options.idle_timeout = 10s;
    options.header_timeout = 10s;
    options.body_timeout = 10s;
    options.send_timeout = 10s;
    return options;
  }

  std::unique_ptr<Server> server;
  std::vector<std::string> happened;  // what the handlers saw, in order

  /// A server with `options` and the routes the specs use.
  void start(Options options = patient()) {
    server = std::make_unique<Server>(this->loop, options);
    server->route("/hello", [this](Request) -> Coroutine<Response> {
      happened.push_back("hello");
      Response response;
      response.body = "Hello, world\n";
      co_return response;
    });
    server->route("/echo", [](Request request) -> Coroutine<Response> {
      Response response;
      response.body = request.method + " " + request.body;
      co_return response;
    });
    server->route("/big", [](Request) -> Coroutine<Response> {
      Response response;
      response.body = std::string(8 * 1024 * 1024, 'b');
      co_return response;
    });
    // The classic mistake: a query argument reflected into a header.
    server->route("/redirect", [](Request request) -> Coroutine<Response> {
      Response response;
      response.code = 302;
      response.headers.add("Location", request.argument("to").value_or("/"));
      co_return response;
    });
    server->route("/bad-name", [](Request) -> Coroutine<Response> {
      Response response;
      response.headers.add("X-Bad Name", "value");
      co_return response;
    });
  }

  /// A new connection to the server (started with patient() if not yet): the server serves
  /// one end of a socketpair; the other, returned, is the client.
  common::Fd connect() {
    if (!server) start();
    common::SocketPair pair = common::make_socketpair();
    auto stream = std::make_shared<typename Env::IOStream>(this->loop, std::move(pair.first));
    server_end = stream;
    server->handle_stream(std::move(stream), "peer");
    return std::move(pair.second);
  }
  std::weak_ptr<typename Env::IOStream> server_end;  // the latest connection's, on the server's side

  /// Sends what fits now (the requests are small; a full socket buffer fails the spec).
  static void send(const common::Fd& client, std::string_view data) {
    const ssize_t n = ::send(client.get(), data.data(), data.size(), MSG_NOSIGNAL);
    ASSERT_EQ(n, static_cast<ssize_t>(data.size())) << "send: " << std::strerror(errno);
  }

  /// Runs the loop until `enough` says so, the server closes the connection, or `limit`.
  Received receive_until(const common::Fd& client, std::function<bool(const Received&)> enough,
                         std::chrono::milliseconds limit = 5s) {
    Received received;
    const int fd = client.get();
    bool finished = false;
    auto finish = [this, fd, &finished] {
      if (std::exchange(finished, true)) return;
      this->loop.remove_handler(fd);
      // A few more turns, so the server's coroutine finishes with the connection too.
      this->loop.call_later(10ms, [this] { this->loop.stop(); });
    };
    this->loop.add_handler(fd, [&](int, unsigned) {
      char buffer[65536];
      while (true) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
          received.bytes.append(buffer, static_cast<std::size_t>(n));
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        received.closed = true;
        break;
      }
      if (received.closed || enough(received)) finish();
    }, Env::Loop::READ);
    const auto give_up = this->loop.call_later(limit, finish);
    run_with_watchdog(this->loop, limit + 10s);
    this->loop.remove_timeout(give_up);
    return received;
  }
  Received receive_until_closed(const common::Fd& client, std::chrono::milliseconds limit = 5s) {
    return receive_until(client, [](const Received&) { return false; }, limit);
  }
  /// One request on a new connection; everything received until the server closes it.
  Received exchange(std::string_view request) {
    common::Fd client = connect();
    send(client, request);
    return receive_until_closed(client);
  }

  /// Sends `piece` every `period` until the server closes the connection.
  void keep_sending(const common::Fd& client, std::string piece, std::chrono::milliseconds period) {
    const int fd = client.get();
    auto again = std::make_shared<std::function<void()>>();
    *again = [this, fd, piece, period, weak = std::weak_ptr(again)] {
      if (::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) < 0 && errno != EAGAIN) return;
      if (auto self = weak.lock()) this->loop.call_later(period, *self);
    };
    senders.push_back(again);
    (*again)();
  }
  std::vector<std::shared_ptr<std::function<void()>>> senders;

  /// Runs the loop until the server has closed its end of the latest connection (or 5 s).
  bool run_until_the_server_closes() {
    auto check = std::make_shared<std::function<void()>>();
    const auto give_up = this->loop.time() + 5s;
    *check = [this, give_up, weak = std::weak_ptr(check)] {
      const auto end = server_end.lock();
      if (!end || end->closed() || this->loop.time() > give_up) {
        this->loop.stop();
      } else if (auto self = weak.lock()) {
        this->loop.call_later(1ms, *self);
      }
    };
    this->loop.add_callback(*check);
    run_with_watchdog(this->loop, 15s);
    const auto end = server_end.lock();
    return !end || end->closed();
  }
};
TYPED_TEST_SUITE_P(HTTPServer);

// ----------------------------------------------------------------- framing: RFC 9112 §6.3

TYPED_TEST_P(HTTPServer, ConflictingContentLengthsAreA400AndAClose) {
  // Read as 0, the 42 bytes after the head would be a second request: a smuggled one.
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Pad: 0\r\n\r\n";
  ASSERT_EQ(smuggled.size(), 42u);
  const auto received = this->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 42\r\n\r\n" + smuggled);

  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("conflicting Content-Length values: 0 and 42"));
  EXPECT_TRUE(received.closed);
  EXPECT_THAT(this->happened, IsEmpty());  // the smuggled request was never served
}

TYPED_TEST_P(HTTPServer, AContentLengthListWithDifferentValuesIsA400) {
  const auto received =
      this->exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 42\r\n\r\nhello");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("conflicting Content-Length values: 5 and 42"));
  EXPECT_TRUE(received.closed);
}

TYPED_TEST_P(HTTPServer, RepeatedEqualContentLengthsAreOneLength) {
  const auto received = this->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\nhello");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received.bytes, EndsWith("\r\n\r\nPOST hello"));
}

TYPED_TEST_P(HTTPServer, TransferEncodingWithContentLengthIsA400) {
  const auto received = this->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("both Transfer-Encoding and Content-Length"));
  EXPECT_TRUE(received.closed);
}

TYPED_TEST_P(HTTPServer, AChunkedRequestBodyIsDecodedExtensionsAndTrailersIgnored) {
  const auto received = this->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "7\r\n, world\r\n"
      "0\r\nX-Trailer: dropped\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received.bytes, EndsWith("\r\n\r\nPOST hello, world"));
}

TYPED_TEST_P(HTTPServer, AChunkedBodyOverMaxBodySizeIsA413) {
  auto options = TestFixture::patient();
  options.max_body_size = 10;
  this->start(options);
  const auto received = this->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 413 Content Too Large\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("max_body_size (10 bytes)"));
  EXPECT_TRUE(received.closed);
}

TYPED_TEST_P(HTTPServer, ChunkSizesThatDoNotFitAreRefusedNotWrapped) {
  // Near 2^64: adding the CRLF after the data would wrap around to a tiny number.
  for (const std::string size : {"fffffffffffffffe", "10000000000000000"}) {
    const auto received = this->exchange(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + size +
        "\r\nabc\r\n0\r\n\r\n");
    EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 413 Content Too Large\r\n")) << size;
    EXPECT_TRUE(received.closed);
  }
}

TYPED_TEST_P(HTTPServer, AChunkLineEndedByABareLFIsA400) {
  const auto received = this->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("not ended by CRLF"));
}

TYPED_TEST_P(HTTPServer, ATransferCodingOtherThanChunkedIsA501) {
  const auto received = this->exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 501 Not Implemented\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("gzip"));
  EXPECT_TRUE(received.closed);
}

TYPED_TEST_P(HTTPServer, TransferEncodingNotEndingInChunkedIsA400) {
  const auto received =
      this->exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_TRUE(received.closed);
}

// ----------------------------------------------------------------- the head: RFC 9112 §2-§5

TYPED_TEST_P(HTTPServer, AnHTTP11RequestWithoutHostOrWithTwoIsA400) {
  const auto without = this->exchange("GET /hello HTTP/1.1\r\n\r\n");
  const auto twice = this->exchange("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  const auto old = this->exchange("GET /hello HTTP/1.0\r\n\r\n");  // 1.0 needs none

  EXPECT_THAT(without.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(without.bytes, HasSubstr("needs a Host header"));
  EXPECT_THAT(twice.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(twice.bytes, HasSubstr("more than one Host header"));
  EXPECT_THAT(old.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
}

TYPED_TEST_P(HTTPServer, ABareLFRequestIsAnswered) {
  const auto received = this->exchange("GET /hello HTTP/1.1\nHost: x\nConnection: close\n\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received.bytes, EndsWith("Hello, world\n"));
}

TYPED_TEST_P(HTTPServer, EmptyLinesBeforeTheRequestLineAreIgnored) {
  const auto received =
      this->exchange("\r\n\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
}

TYPED_TEST_P(HTTPServer, AnAbsoluteFormTargetIsRoutedByItsPath) {
  const auto received = this->exchange("GET http://example.com/hello?x=1 HTTP/1.1\r\nHost: example.com\r\n"
                                       "Connection: close\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received.bytes, EndsWith("Hello, world\n"));
}

TYPED_TEST_P(HTTPServer, OptionsAsteriskIsAnsweredWithTheAllowedMethods) {
  const auto received = this->exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("\r\nAllow: GET, HEAD, POST, OPTIONS\r\n"));
}

TYPED_TEST_P(HTTPServer, AnUnsupportedMajorVersionIsA505AndAMalformedOneA400) {
  for (const std::string version : {"HTTP/2.0", "HTTP/3.0"}) {
    const auto received = this->exchange("GET /hello " + version + "\r\nHost: x\r\n\r\n");
    EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n")) << version;
    EXPECT_TRUE(received.closed);
  }
  for (const std::string version : {"HTTP/1.10", "http/1.1", "HTTP/1", "HTTP/x.y"}) {
    const auto received = this->exchange("GET /hello " + version + "\r\nHost: x\r\n\r\n");
    EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n")) << version;
    EXPECT_THAT(received.bytes, HasSubstr("malformed HTTP version")) << version;
  }
}

TYPED_TEST_P(HTTPServer, ACROrNULInsideAHeaderValueIsA400) {
  for (const std::string& value : {std::string("a\rb"), std::string("a\0b", 3)}) {
    const auto received = this->exchange("GET /hello HTTP/1.1\r\nHost: x\r\nX-Evil: " + value + "\r\n\r\n");
    EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_THAT(received.bytes, HasSubstr("contains CR, LF or NUL"));
    EXPECT_TRUE(received.closed);
  }
}

TYPED_TEST_P(HTTPServer, AControlCharacterInTheTargetIsA400) {
  for (const std::string& target :
       {std::string("/hel\x01lo"), std::string("/hello\x7f"), std::string("/he\tllo")}) {
    const auto received = this->exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_THAT(received.bytes, HasSubstr("request target"));
  }
  EXPECT_THAT(this->happened, IsEmpty());
}

// ----------------------------------------------------------------- Expect, Connection

TYPED_TEST_P(HTTPServer, Expect100ContinueIsAnsweredBeforeTheBodyIsSent) {
  common::Fd client = this->connect();
  this->send(client, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                     "Connection: close\r\n\r\n");
  const auto interim =
      this->receive_until(client, [](const auto& r) { return r.bytes.ends_with("\r\n\r\n"); });
  this->send(client, "hello");  // only now, as curl does
  const auto answer = this->receive_until_closed(client);

  EXPECT_EQ(interim.bytes, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_THAT(answer.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(answer.bytes, EndsWith("POST hello"));
}

TYPED_TEST_P(HTTPServer, Expect100ContinueWithATooLargeBodyGetsThe413Instead) {
  auto options = TestFixture::patient();
  options.max_body_size = 1000;
  this->start(options);
  const auto received = this->exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                                       "Expect: 100-continue\r\n\r\n");  // and no body, ever

  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 413 Content Too Large\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("Content-Length 5000 is larger than max_body_size (1000 bytes)"));
  EXPECT_THAT(received.bytes, Not(HasSubstr("100 Continue")));
  EXPECT_TRUE(received.closed);
}

TYPED_TEST_P(HTTPServer, AnExpectationOtherThan100ContinueIsA417) {
  const auto received =
      this->exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: coffee\r\n\r\nx");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 417 Expectation Failed\r\n"));
}

TYPED_TEST_P(HTTPServer, ConnectionIsATokenListCloseAmongOthersCloses) {
  const auto received = this->exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: TE, Close\r\n\r\n");
  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(received.bytes, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_TRUE(received.closed);
}

TYPED_TEST_P(HTTPServer, AKeepAliveTokenKeepsAnHTTP10ConnectionOpen) {
  common::Fd client = this->connect();
  const auto two_answers = [](const auto& r) {
    const std::size_t first = r.bytes.find("Hello, world\n");
    return first != std::string::npos && r.bytes.find("Hello, world\n", first + 1) != std::string::npos;
  };
  this->send(client, "GET /hello HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n");
  const auto first =
      this->receive_until(client, [](const auto& r) { return r.bytes.ends_with("Hello, world\n"); });
  this->send(client, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const auto second = this->receive_until(client, two_answers);

  EXPECT_THAT(first.bytes, HasSubstr("\r\nConnection: keep-alive\r\n"));
  EXPECT_FALSE(first.closed);
  EXPECT_THAT(second.bytes, EndsWith("Hello, world\n"));
  EXPECT_THAT(this->happened, ElementsAre("hello", "hello"));
}

// ----------------------------------------------------------------- response splitting

TYPED_TEST_P(HTTPServer, AHeaderValueWithCRLFFromAHandlerIsA500) {
  common::CapturedLog log;
  const auto received = this->exchange("GET /redirect?to=/x%0d%0aSet-Cookie:%20session=stolen HTTP/1.1\r\n"
                                       "Host: x\r\nConnection: close\r\n\r\n");

  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 500 Internal Server Error\r\n"));
  EXPECT_THAT(received.bytes, Not(HasSubstr("Set-Cookie")));
  const auto errors = log.messages(common::LogLevel::error);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("GET /redirect"));
  EXPECT_THAT(errors[0], HasSubstr("\"Location\" contains CR, LF or NUL"));
  EXPECT_THAT(errors[0], Not(HasSubstr("\r\n")));  // nor does it forge a line of the log
}

TYPED_TEST_P(HTTPServer, AHeaderNameThatIsNotATokenFromAHandlerIsA500) {
  common::CapturedLog log;
  const auto received = this->exchange("GET /bad-name HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

  EXPECT_THAT(received.bytes, StartsWith("HTTP/1.1 500 Internal Server Error\r\n"));
  EXPECT_THAT(received.bytes, Not(HasSubstr("X-Bad Name")));
  EXPECT_THAT(log.messages(common::LogLevel::error), ElementsAre(HasSubstr("\"X-Bad Name\" is not a token")));
}

// ----------------------------------------------------------------- timeouts (slowloris)

TYPED_TEST_P(HTTPServer, ASilentClientIsClosedAtTheIdleTimeout) {
  auto options = TestFixture::patient();
  options.idle_timeout = 30ms;
  this->start(options);
  common::Fd client = this->connect();

  const auto received = this->receive_until_closed(client);

  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
}

TYPED_TEST_P(HTTPServer, AClientThatSendsOneByteAndStopsIsClosedAtTheHeaderTimeout) {
  auto options = TestFixture::patient();
  options.header_timeout = 30ms;
  this->start(options);
  common::Fd client = this->connect();
  this->send(client, "G");

  const auto received = this->receive_until_closed(client);

  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
}

TYPED_TEST_P(HTTPServer, AClientThatTricklesItsHeadIsClosedAtTheHeaderTimeout) {
  auto options = TestFixture::patient();
  options.idle_timeout = 30ms;
  options.header_timeout = 100ms;
  this->start(options);
  common::Fd client = this->connect();
  this->send(client, "GET /hello HTTP/1.1\r\nX-Slow: ");
  this->keep_sending(client, "a", 5ms);  // a byte well within every idle period

  const auto received = this->receive_until_closed(client);

  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
}

TYPED_TEST_P(HTTPServer, AClientThatSendsPartOfItsBodyAndStopsIsClosedAtTheBodyTimeout) {
  auto options = TestFixture::patient();
  options.idle_timeout = 30ms;
  options.body_timeout = 50ms;
  this->start(options);
  common::Fd client = this->connect();
  this->send(client, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");

  const auto received = this->receive_until_closed(client);

  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
}

TYPED_TEST_P(HTTPServer, AClientThatReadsNothingOfItsResponseIsClosedAtTheSendTimeout) {
  auto options = TestFixture::patient();
  options.send_timeout = 30ms;
  this->start(options);
  common::Fd client = this->connect();
  this->send(client, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");

  const bool closed_while_we_read_nothing = this->run_until_the_server_closes();
  const auto received = this->receive_until_closed(client);

  EXPECT_TRUE(closed_while_we_read_nothing);
  EXPECT_TRUE(received.closed);
  EXPECT_LT(received.bytes.size(), 8u * 1024 * 1024);  // cut off mid-body
}

TYPED_TEST_P(HTTPServer, AClientThatReadsSlowlyButSteadilyIsNotCut) {
  auto options = TestFixture::patient();
  options.send_timeout = 50ms;
  this->start(options);
  common::Fd client = this->connect();
  this->send(client, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  // 256 KiB every 10 ms: the response takes about 30 send timeouts, and moves in each.
  std::string got;
  bool closed = false;
  auto sip = std::make_shared<std::function<void()>>();
  *sip = [&, weak = std::weak_ptr(sip)] {
    std::string buffer(256 * 1024, '\0');
    const ssize_t n = ::recv(client.get(), buffer.data(), buffer.size(), 0);
    if (n > 0) got.append(buffer.data(), static_cast<std::size_t>(n));
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      closed = true;
      this->loop.stop();
    } else if (auto self = weak.lock()) {
      this->loop.call_later(10ms, *self);
    }
  };
  this->loop.call_later(10ms, *sip);

  run_with_watchdog(this->loop, 30s);

  EXPECT_TRUE(closed);
  EXPECT_THAT(got, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(got.ends_with("\r\n\r\n" + std::string(8 * 1024 * 1024, 'b'))) << got.size() << " bytes";
}

// ----------------------------------------------------------------- fairness

TYPED_TEST_P(HTTPServer, ThePipelinedNextRequestWaitsForTheLoopsTurn) {
  this->start();
  using Request = typename TestFixture::Request;
  using Response = typename TestFixture::Response;
  using Answer = typename TestFixture::template Coroutine<Response>;
  this->server->route("/first", [this](Request) -> Answer {
    this->happened.push_back("first");
    this->loop.add_callback([this] { this->happened.push_back("the loop's turn"); });
    co_return Response{};
  });
  const auto received = this->exchange("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
                                       "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

  EXPECT_THAT(received.bytes, EndsWith("Hello, world\n"));
  EXPECT_THAT(this->happened, ElementsAre("first", "the loop's turn", "hello"));
}

REGISTER_TYPED_TEST_SUITE_P(HTTPServer, ConflictingContentLengthsAreA400AndAClose,
                            AContentLengthListWithDifferentValuesIsA400,
                            RepeatedEqualContentLengthsAreOneLength, TransferEncodingWithContentLengthIsA400,
                            AChunkedRequestBodyIsDecodedExtensionsAndTrailersIgnored,
                            AChunkedBodyOverMaxBodySizeIsA413, ChunkSizesThatDoNotFitAreRefusedNotWrapped,
                            AChunkLineEndedByABareLFIsA400, ATransferCodingOtherThanChunkedIsA501,
                            TransferEncodingNotEndingInChunkedIsA400,
                            AnHTTP11RequestWithoutHostOrWithTwoIsA400, ABareLFRequestIsAnswered,
                            EmptyLinesBeforeTheRequestLineAreIgnored, AnAbsoluteFormTargetIsRoutedByItsPath,
                            OptionsAsteriskIsAnsweredWithTheAllowedMethods,
                            AnUnsupportedMajorVersionIsA505AndAMalformedOneA400,
                            ACROrNULInsideAHeaderValueIsA400, AControlCharacterInTheTargetIsA400,
                            Expect100ContinueIsAnsweredBeforeTheBodyIsSent,
                            Expect100ContinueWithATooLargeBodyGetsThe413Instead,
                            AnExpectationOtherThan100ContinueIsA417,
                            ConnectionIsATokenListCloseAmongOthersCloses,
                            AKeepAliveTokenKeepsAnHTTP10ConnectionOpen,
                            AHeaderValueWithCRLFFromAHandlerIsA500,
                            AHeaderNameThatIsNotATokenFromAHandlerIsA500,
                            ASilentClientIsClosedAtTheIdleTimeout,
                            AClientThatSendsOneByteAndStopsIsClosedAtTheHeaderTimeout,
                            AClientThatTricklesItsHeadIsClosedAtTheHeaderTimeout,
                            AClientThatSendsPartOfItsBodyAndStopsIsClosedAtTheBodyTimeout,
                            AClientThatReadsNothingOfItsResponseIsClosedAtTheSendTimeout,
                            AClientThatReadsSlowlyButSteadilyIsNotCut,
                            ThePipelinedNextRequestWaitsForTheLoopsTurn);

// ================================================================= the client

template <class Env>
class Fetch : public LoopTest<Env> {
 protected:
  using Response = typename Env::HTTPResponse;
  using Options = typename Env::FetchOptions;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;

  common::SocketPair pair = common::make_socketpair();
  std::shared_ptr<typename Env::IOStream> stream =
      std::make_shared<typename Env::IOStream>(this->loop, std::move(pair.first));
  common::Fd& server = pair.second;  // the server's end, written directly

  static Options small() {
    Options options;
    options.max_header_size = 1024;
    options.max_body_size = 64 * 1024;
    return options;
  }

  /// read_response on the socketpair, after the server end has sent `bytes` (and closed
  /// its side, if `then_close`).
  Response read(std::string_view bytes, Options options = small(), bool then_close = false) {
    common::write_all(server.get(), bytes);
    if (then_close) ::shutdown(server.get(), SHUT_WR);
    return common::testing::with_watchdog(20s, [&] {
      return this->loop.run_sync([&] { return Env::read_response(stream, options); }, 5s);
    });
  }
  /// The server end sends `piece` on every turn, as fast as the client takes it, for ever.
  void server_sends_for_ever(std::string piece) {
    auto again = std::make_shared<std::function<void()>>();
    *again = [this, piece, weak = std::weak_ptr(again)] {
      if (::send(server.get(), piece.data(), piece.size(), MSG_NOSIGNAL) < 0 && errno != EAGAIN) return;
      if (auto self = weak.lock()) this->loop.add_callback(*self);
    };
    senders.push_back(again);
    this->loop.add_callback(*again);
  }
  std::vector<std::shared_ptr<std::function<void()>>> senders;

  /// A raw HTTP server on the loop: reads a request head, answers `bytes`, then closes.
  std::string raw_server(std::string bytes) {
    using Stream = std::shared_ptr<typename Env::IOStream>;
    tcp = std::make_unique<typename Env::TCPServer>(this->loop, [bytes](Stream stream, std::string) {
      [](Stream s, std::string answer) -> Coroutine<void> {
        co_await s->read_until("\r\n\r\n");
        co_await s->write(answer);
        s->close();
      }(std::move(stream), bytes);
    });
    return "http://127.0.0.1:" + std::to_string(tcp->listen(0)) + "/path";
  }
  std::unique_ptr<typename Env::TCPServer> tcp;

  Response fetch(const std::string& url, Options options = small()) {
    return common::testing::with_watchdog(20s, [&] {
      return this->loop.run_sync([&] { return Env::fetch(url, options); }, 10s);
    });
  }
};
TYPED_TEST_SUITE_P(Fetch);

TYPED_TEST_P(Fetch, AnInterim100ContinueIsSkipped) {
  const auto response = this->read("HTTP/1.1 100 Continue\r\n\r\n"
                                   "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
                                   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(response.code, 200);
  EXPECT_EQ(response.body, "ok");
  EXPECT_FALSE(response.headers.contains("Link"));
}

TYPED_TEST_P(Fetch, AStatusCodeIsThreeDigitsFrom100To599) {
  for (const std::string line : {"HTTP/1.1 20000 OK", "HTTP/1.1 20 OK", "HTTP/1.1 999 Nine"}) {
    auto pair = common::make_socketpair();
    this->stream = std::make_shared<typename TypeParam::IOStream>(this->loop, std::move(pair.first));
    this->server = std::move(pair.second);
    expect_error<typename TypeParam::HTTPInputError>(
        [&] { this->read(line + "\r\nContent-Length: 0\r\n\r\n"); }, {"malformed status code", line});
  }
}

TYPED_TEST_P(Fetch, ABareLFResponseHeadIsAccepted) {
  const auto response = this->read("HTTP/1.1 200 OK\nContent-Length: 2\nX-A: b\n\nok");
  EXPECT_EQ(response.code, 200);
  EXPECT_EQ(response.headers.get("X-A"), "b");
  EXPECT_EQ(response.body, "ok");
}

TYPED_TEST_P(Fetch, ConflictingContentLengthsAreRefused) {
  expect_error<typename TypeParam::HTTPInputError>(
      [&] { this->read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello"); },
      {"conflicting Content-Length values: 2 and 5"});
}

TYPED_TEST_P(Fetch, AHeadOverMaxHeaderSizeFailsNamingTheLimit) {
  expect_error<typename TypeParam::HTTPInputError>(
      [&] { this->read("HTTP/1.1 200 OK\r\nX-Big: " + std::string(2000, 'h') + "\r\n\r\n"); },
      {"max_header_size (1024 bytes)"});
}

TYPED_TEST_P(Fetch, AContentLengthOverMaxBodySizeFailsBeforeTheBodyIsRead) {
  expect_error<typename TypeParam::HTTPInputError>(
      [&] { this->read("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n"); },  // and nothing more
      {"max_body_size (65536 bytes)"});
}

TYPED_TEST_P(Fetch, AnEndlessChunkedBodyFailsAtMaxBodySize) {
  common::write_all(this->server.get(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  this->server_sends_for_ever("400\r\n" + std::string(0x400, 'c') + "\r\n");
  expect_error<typename TypeParam::HTTPInputError>([&] { this->read(""); }, {"max_body_size (65536 bytes)"});
}

TYPED_TEST_P(Fetch, ABodyUntilCloseOverMaxBodySizeFails) {
  common::write_all(this->server.get(), "HTTP/1.1 200 OK\r\n\r\n");
  this->server_sends_for_ever(std::string(4096, 'u'));
  expect_error<typename TypeParam::HTTPInputError>([&] { this->read(""); }, {"max_body_size (65536 bytes)"});
}

TYPED_TEST_P(Fetch, ABodyUntilCloseEndsAtACleanClose) {
  const auto response = this->read("HTTP/1.1 200 OK\r\n\r\nall of it", TestFixture::small(), true);
  EXPECT_EQ(response.body, "all of it");
}

TYPED_TEST_P(Fetch, AChunkedBodyIsDecodedExtensionsAndTrailersIgnored) {
  const auto response = this->read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   "5;ext=1\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n");
  EXPECT_EQ(response.body, "hello");
}

TYPED_TEST_P(Fetch, TransferEncodingWithContentLengthIsRefused) {
  expect_error<typename TypeParam::HTTPInputError>(
      [&] {
        this->read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
      },
      {"both Transfer-Encoding and Content-Length"});
}

TYPED_TEST_P(Fetch, AChunkSizeThatWouldWrapIsAFetchErrorNamingTheURL) {
  const std::string url = this->raw_server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                           "fffffffffffffffe\r\nabc\r\n0\r\n\r\n");
  expect_error<typename TypeParam::FetchError>([&] { this->fetch(url); }, {"fetch " + url, "max_body_size"});
}

TYPED_TEST_P(Fetch, EveryBrokenResponseIsAFetchErrorNamingTheURL) {
  const std::string url = this->raw_server("HTTP/1.1 20000 OK\r\nContent-Length: 0\r\n\r\n");
  expect_error<typename TypeParam::FetchError>([&] { this->fetch(url); },
                                               {"fetch " + url, "malformed status code"});
}

TYPED_TEST_P(Fetch, AURLWithAControlCharacterIsRefusedBeforeAnythingIsSent) {
  const std::string url = this->raw_server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  expect_error<typename TypeParam::FetchError>([&] { this->fetch(url + "\r\nX-Injected: 1"); },
                                               {"control character"});
}

REGISTER_TYPED_TEST_SUITE_P(Fetch, AnInterim100ContinueIsSkipped, AStatusCodeIsThreeDigitsFrom100To599,
                            ABareLFResponseHeadIsAccepted, ConflictingContentLengthsAreRefused,
                            AHeadOverMaxHeaderSizeFailsNamingTheLimit,
                            AContentLengthOverMaxBodySizeFailsBeforeTheBodyIsRead,
                            AnEndlessChunkedBodyFailsAtMaxBodySize, ABodyUntilCloseOverMaxBodySizeFails,
                            ABodyUntilCloseEndsAtACleanClose,
                            AChunkedBodyIsDecodedExtensionsAndTrailersIgnored,
                            TransferEncodingWithContentLengthIsRefused,
                            AChunkSizeThatWouldWrapIsAFetchErrorNamingTheURL,
                            EveryBrokenResponseIsAFetchErrorNamingTheURL,
                            AURLWithAControlCharacterIsRefusedBeforeAnythingIsSent);

}  // namespace spec
