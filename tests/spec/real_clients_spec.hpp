// The HTTP chapter's server and client, driven by programs nobody in this project wrote:
// curl, wrk and Python's http.server (netcat, which needs no HTTP, is real_tcp_clients_spec.hpp's). Each external program runs on a worker thread
// (run_in_executor) while the loop serves it. Loopback only; every run is bounded.
// Written once, run by chapter 8 (on epoll) and chapter 10 (on epoll, and on io_uring's
// completion model). The including file first includes its chapter's gen.hpp, httpclient.hpp,
// httpserver.hpp and tcpserver.hpp, names the chapter (`namespace chapter = ch09;`) and says
// which backend a test runs on (`const char* chapter_backend(const char* asked)`: chapter 10's
// skips a refused io_uring); then it instantiates RealClients with its backends.
#pragma once

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "common/testing/twin.hpp"
#include "common/testing/watchdog.hpp"
#include "loop_harness.hpp"
#include "real_tcp_clients_spec.hpp"

namespace {

using namespace chapter;
using namespace std::chrono_literals;
using common::testing::run_command;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// One test per backend the chapter names when it instantiates the suite: the TCP fixture's
// loop, with an HTTP server on it.
class RealClients : public RealTcpClients {
 protected:
  HTTPServer server{loop, [] {
                      HTTPServer::Options options;
                      options.max_header_size = 16 * 1024;
                      return options;
                    }()};
  int port = 0;
  std::string base;

  void SetUp() override {
    spec::raise_fd_limit(4096);
    server.route("/hello", [](HTTPRequest) -> Coroutine<HTTPResponse> {
      HTTPResponse response;
      response.headers.add("Content-Type", "text/plain");
      response.body = "Hello, world\n";
      co_return response;
    });
    server.route("/echo", [](HTTPRequest request) -> Coroutine<HTTPResponse> {
      HTTPResponse response;
      response.body = request.method + " " + request.body;
      co_return response;
    });
    server.route("/big", [](HTTPRequest) -> Coroutine<HTTPResponse> {
      HTTPResponse response;
      response.body = std::string(8 * 1024 * 1024, 'b');
      co_return response;
    });
    // The classic mistake: a query argument reflected into a header.
    server.route("/redirect", [](HTTPRequest request) -> Coroutine<HTTPResponse> {
      HTTPResponse response;
      response.code = 302;
      response.headers.add("Location", request.argument("to").value_or("/"));
      co_return response;
    });
    // Tornado's classic handler: response = yield AsyncHTTPClient().fetch(url)
    server.route("/fetch", [](HTTPRequest request) -> Coroutine<HTTPResponse> {
      const HTTPResponse got = co_await fetch(request.argument("url").value_or(""));
      HTTPResponse response;
      response.headers.add("X-Fetched-Status", std::to_string(got.code));
      response.body = got.body;
      co_return response;
    });
    port = server.listen(0);
    base = "http://127.0.0.1:" + std::to_string(port);
  }

  /// A blocking raw-socket client on a worker: sends `request`, optionally shuts down its
  /// writing side, and returns everything it reads until the server closes (or 5 s pass).
  std::string raw_exchange(std::string request, bool half_close = false,
                           std::size_t stop_after = std::string::npos,
                           std::chrono::milliseconds send_after = 0ms) {
    const int p = port;
    return common::testing::with_watchdog(60s, [&] {
      return loop.run_sync(
          [&] {
            return loop.run_in_executor(nullptr, [request, half_close, stop_after, send_after, p] {
              common::Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
              sockaddr_in address{};
              address.sin_family = AF_INET;
              address.sin_port = htons(static_cast<std::uint16_t>(p));
              ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
              if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
                return std::string("connect failed");
              }
              timeval five{5, 0};
              ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
              std::this_thread::sleep_for(send_after);
              if (!request.empty()) ::send(sock.get(), request.data(), request.size(), MSG_NOSIGNAL);
              if (half_close) ::shutdown(sock.get(), SHUT_WR);
              std::string got;
              char buffer[65536];
              while (got.size() < stop_after) {
                const ssize_t n = ::recv(sock.get(), buffer, sizeof buffer, 0);
                if (n <= 0) break;  // closed by the server (or the 5 s timeout)
                got.append(buffer, static_cast<std::size_t>(n));
              }
              return got;
            });
          },
          45s);
    });
  }

  void expect_still_serving() {
    const HTTPResponse response = loop.run_sync([&] { return fetch(base + "/hello"); }, 10s);
    EXPECT_EQ(response.code, 200);
    EXPECT_EQ(response.body, "Hello, world\n");
  }
};

// ---------------------------------------------------------------- real clients

TEST_P(RealClients, CurlFetchesStatusHeadersAndBody) {
  require_tool("curl");
  const auto result = run_beside_the_loop("curl -s -i " + base + "/hello");

  EXPECT_EQ(result.exit_status, 0);
  EXPECT_THAT(result.output, HasSubstr("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(result.output, HasSubstr("Content-Length: 13\r\n"));
  EXPECT_THAT(result.output, HasSubstr("Content-Type: text/plain\r\n"));
  EXPECT_THAT(result.output, HasSubstr("\r\n\r\nHello, world\n"));
}

TEST_P(RealClients, CurlReusesOneKeptAliveConnectionForTwoRequests) {
  require_tool("curl");
  const auto result = run_beside_the_loop("curl -s -v " + base + "/hello " + base + "/echo 2>&1");

  EXPECT_EQ(result.exit_status, 0);
  EXPECT_THAT(result.output, HasSubstr("Hello, world"));
  EXPECT_THAT(result.output, HasSubstr("GET "));
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(server.requests_served(), 2u);
}

TEST_P(RealClients, CurlPostsABody) {
  require_tool("curl");
  const auto result = run_beside_the_loop("curl -s --data-binary 'some body' " + base + "/echo");
  EXPECT_EQ(result.output, "POST some body");
}

/// A file of `size` bytes of 'x', removed when the returned guard goes.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(std::size_t size)
      : path(std::filesystem::temp_directory_path() / ("real-clients-body-" + std::to_string(::getpid()))) {
    std::ofstream(path) << std::string(size, 'x');
  }
  ~TempFile() { std::filesystem::remove(path); }
};

TEST_P(RealClients, CurlExpecting100ContinueGetsItAndItsAnswerWithoutWaiting) {
  require_tool("curl");
  const TempFile body(4096);
  // curl sends the body after the 100, or after waiting a second for it.
  const auto result = run_beside_the_loop("curl -s -v -H 'Expect: 100-continue' --data-binary @" +
                                          body.path.string() + " -o /dev/null " +
                                          "-w 'echoed=%{size_download}\\n' " + base + "/echo 2>&1");

  EXPECT_EQ(result.exit_status, 0);
  EXPECT_THAT(result.output, HasSubstr("< HTTP/1.1 100 Continue"));
  EXPECT_THAT(result.output, HasSubstr("< HTTP/1.1 200 OK"));
  EXPECT_THAT(result.output, HasSubstr("echoed=4101\n"));  // "POST " and the whole body
}

TEST_P(RealClients, CurlSendsAChunkedBody) {
  require_tool("curl");
  const TempFile body(100 * 1024);
  const auto result = run_beside_the_loop("curl -s -H 'Transfer-Encoding: chunked' --data-binary @" +
                                          body.path.string() + " " + base + "/echo");
  EXPECT_EQ(result.output, "POST " + std::string(100 * 1024, 'x'));
}

TEST_P(RealClients, OurFetchReadsAPageFromPythonsHttpServer) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("real-clients-http-" + std::to_string(::getpid()));
  fs::create_directories(root);
  std::ofstream(root / "page.txt") << "served by Python\n";
  // A free port: bind to 0, note the number, let it go for Python to take.
  int python_port = 0;
  {
    common::Fd probe(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    ::bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &length);
    python_port = ntohs(address.sin_port);
  }
  const std::string pid = run_command("python3 -m http.server " + std::to_string(python_port) +
                                      " --bind 127.0.0.1 --directory " + root.string() +
                                      " >/dev/null 2>&1 & echo $!")
                              .output;
  struct Stop {
    std::string pid;
    fs::path root;
    ~Stop() {
      run_command("kill " + pid + " 2>/dev/null");
      fs::remove_all(root);
    }
  } stop{pid, root};
  const std::string page = "http://127.0.0.1:" + std::to_string(python_port) + "/page.txt";
  // Wait for it to listen (bounded).
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = run_command("python3 -c \"import socket; socket.create_connection(('127.0.0.1', " +
                     std::to_string(python_port) + "), 1)\" 2>/dev/null && echo up")
             .output == "up\n";
    if (!up) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(up) << "python3 -m http.server did not start";

  const HTTPResponse direct = loop.run_sync([&] { return fetch(page); }, 10s);
  const HTTPResponse proxied = loop.run_sync([&] { return fetch(base + "/fetch?url=" + page); }, 10s);

  EXPECT_EQ(direct.code, 200);
  EXPECT_EQ(direct.body, "served by Python\n");
  EXPECT_EQ(direct.headers.get("Server").value_or("").rfind("SimpleHTTP", 0), 0u);
  EXPECT_EQ(proxied.code, 200);
  EXPECT_EQ(proxied.headers.get("X-Fetched-Status"), "200");
  EXPECT_EQ(proxied.body, "served by Python\n");
}

TEST_P(RealClients, WrkLoadOfSecondsHasNoSocketErrorsAndNoErrorAnswers) {
  require_tool("wrk");
  const auto result = run_beside_the_loop("wrk -t2 -c32 -d2s --timeout 5s " + base + "/hello");

  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("Requests/sec"));
  EXPECT_THAT(result.output, Not(HasSubstr("Socket errors")));
  EXPECT_THAT(result.output, Not(HasSubstr("Non-2xx")));
  EXPECT_GT(server.requests_served(), 100u);
}

TEST_P(RealClients, HundredsOfConcurrentConnections) {
  std::vector<Future<HTTPResponse>> fetches;
  const auto responses = loop.run_sync(
      [&] {
        for (int i = 0; i < 300; ++i) fetches.push_back(fetch(base + "/hello"));
        return multi(fetches);
      },
      30s);

  ASSERT_EQ(responses.size(), 300u);
  for (const HTTPResponse& response : responses) EXPECT_EQ(response.code, 200);
  EXPECT_EQ(server.connections_accepted(), 300u);
}

// ---------------------------------------------------------------- bad input

TEST_P(RealClients, GarbageIsAnswered400AndTheServerGoesOn) {
  const std::string answer = raw_exchange(std::string("\x01\x02garbage\x7f\r\n\r\n", 14));
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(answer, HasSubstr("Connection: close"));
  expect_still_serving();
}

TEST_P(RealClients, AQueryArgumentReflectedIntoAHeaderCannotSplitTheResponse) {
  require_tool("curl");
  common::CapturedLog log;
  const auto result = run_beside_the_loop(
      "curl -s -i '" + base + "/redirect?to=/x%0d%0aSet-Cookie:%20session=stolen%0d%0a%0d%0a<html>'");

  EXPECT_THAT(result.output, StartsWith("HTTP/1.1 500 Internal Server Error\r\n"));
  EXPECT_THAT(result.output, Not(HasSubstr("Set-Cookie")));
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ::testing::ElementsAre(HasSubstr("\"Location\" contains CR, LF or NUL")));
  expect_still_serving();
}

// Two ways to read one message are two messages to a proxy in front of us: the second one
// "smuggled" past it (RFC 9112 §6.3, §11.2). Refused, with the connection.
TEST_P(RealClients, ConflictingContentLengthsCannotSmuggleASecondRequest) {
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string answer =
      raw_exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: " +
                   std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("Hello, world")));
  EXPECT_EQ(server.requests_served(), 0u);
}

TEST_P(RealClients, TransferEncodingWithContentLengthCannotSmuggleASecondRequest) {
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string answer = raw_exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
      smuggled);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("Hello, world")));
  EXPECT_EQ(server.requests_served(), 0u);
}

TEST_P(RealClients, ARequestLineWithoutAVersionIsAnswered400) {
  EXPECT_THAT(raw_exchange("GET /hello\r\n\r\n"), HasSubstr("HTTP/1.1 400 Bad Request\r\n"));
  expect_still_serving();
}

TEST_P(RealClients, AOneMegabyteHeaderIsAnswered431) {
  const std::string request = "GET /hello HTTP/1.1\r\nX-Big: " + std::string(1024 * 1024, 'h') + "\r\n\r\n";
  EXPECT_THAT(raw_exchange(request), HasSubstr("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  expect_still_serving();
}

TEST_P(RealClients, AnUnsupportedMethodIsAnswered501) {
  EXPECT_THAT(raw_exchange("BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n"),
              HasSubstr("HTTP/1.1 501 Not Implemented\r\n"));
  expect_still_serving();
}

TEST_P(RealClients, ABodyShorterThanItsContentLengthEndsThatConnectionOnly) {
  const std::string answer =
      raw_exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this", true);
  EXPECT_EQ(answer, "");  // the client stopped sending: no request, no answer, closed
  expect_still_serving();
}

TEST_P(RealClients, AClientThatSaysNothingIsClosedAfterTheIdleTimeout) {
  HTTPServer::Options impatient;
  impatient.idle_timeout = 300ms;
  HTTPServer quick(loop, impatient);
  quick.route("/hello", [](HTTPRequest) -> Coroutine<HTTPResponse> { co_return HTTPResponse{}; });
  port = quick.listen(0);  // raw_exchange talks to `port`
  const auto started = std::chrono::steady_clock::now();

  const std::string answer = raw_exchange("");  // connects, sends nothing, reads until closed

  EXPECT_EQ(answer, "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);  // closed by us, not by its 5 s limit
  EXPECT_THAT(raw_exchange("GET /hello HTTP/1.0\r\n\r\n"), HasSubstr("HTTP/1.1 200 OK"));
}

TEST_P(RealClients, ARequestThatHasArrivedIsNotIdleEvenIfTheLoopIsLate) {
  HTTPServer::Options impatient;
  impatient.idle_timeout = 50ms;
  HTTPServer quick(loop, impatient);
  quick.route("/hello", [](HTTPRequest) -> Coroutine<HTTPResponse> { co_return HTTPResponse{}; });
  port = quick.listen(0);
  // The client connects at once and sends 20 ms later; meanwhile a handler keeps the loop
  // stuck from about 10 ms to 70 ms. The next turn collects the due idle timer (50 ms) before
  // it reads the request already waiting in the socket: that connection is late, not idle.
  auto stall = common::make_pipe();
  loop.add_handler(stall.read_end.get(), [&](int fd, unsigned) {
    loop.remove_handler(fd);
    std::this_thread::sleep_for(60ms);
  }, IOLoop::READ);
  loop.call_later(10ms, [&] { common::write_all(stall.write_end.get(), "x"); });

  EXPECT_THAT(raw_exchange("GET /hello HTTP/1.0\r\n\r\n", false, std::string::npos, 20ms),
              HasSubstr("HTTP/1.1 200 OK"));
}

TEST_P(RealClients, AClientThatLeavesMidResponseDoesNotHurtTheServer) {
  const std::string part = raw_exchange("GET /big HTTP/1.1\r\nHost: x\r\n\r\n", false, 100 * 1024);
  EXPECT_THAT(part, HasSubstr("HTTP/1.1 200 OK\r\n"));
  loop.run_sync([] { return sleep(100ms); });  // the server finds out while writing
  expect_still_serving();
}

TEST_P(RealClients, FetchFailsClearlyOnARefusedConnectionAndOnATimeout) {
  TCPServer silent(loop, [](std::shared_ptr<IOStream> stream, std::string) {
    stream->read_until_close();  // accepts and never answers
  });
  const int silent_port = silent.listen(0);

  spec::expect_error<FetchError>([&] { loop.run_sync([] { return fetch("http://127.0.0.1:1/x"); }, 10s); },
                                 {"fetch http://127.0.0.1:1/x", "Connection refused"});
  spec::expect_error<FetchError>(
      [&] {
        loop.run_sync([&] { return fetch("http://127.0.0.1:" + std::to_string(silent_port) + "/", 200ms); },
                      10s);
      },
      {"timed out after 0.2"});
}

TEST_P(RealClients, ABodyThatStallsIsATimeoutNotATruncatedAnswer) {
  // Headers without a length, part of a body, then nothing: the body ends only at close.
  TCPServer stalling(loop, [](std::shared_ptr<IOStream> stream, std::string) {
    [](std::shared_ptr<IOStream> s) -> Coroutine<void> {
      co_await s->read_until("\r\n\r\n");
      co_await s->write("HTTP/1.1 200 OK\r\n\r\npart of a bo");
      co_await s->read_until_close();  // holds the connection open
    }(std::move(stream));
  });
  const int stalling_port = stalling.listen(0);

  spec::expect_error<FetchError>(
      [&] {
        loop.run_sync([&] { return fetch("http://127.0.0.1:" + std::to_string(stalling_port) + "/", 200ms); },
                      10s);
      },
      {"timed out after 0.2"});
}

TEST_P(RealClients, AHostNameIsResolvedAndEachAddressTried) {
  const HTTPResponse response =
      loop.run_sync([&] { return fetch("http://localhost:" + std::to_string(port) + "/hello"); }, 10s);
  EXPECT_EQ(response.code, 200);
}

}  // namespace
