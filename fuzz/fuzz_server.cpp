// libFuzzer target: the whole HTTP server, fed the input as the bytes a client sends.
// Input: one byte choosing how the rest is split (see harness.hpp), then the client's bytes;
// after the last piece the client shuts its side down and reads whatever the server answers
// until the server closes. Every limit is small and every timeout short, so each input ends
// quickly. Bugs libFuzzer keeps: a sanitizer report, an exception escaping a callback, an
// answer that is not an HTTP response, a server that neither answers nor closes in time,
// and a connection that leaves an fd or a coroutine behind.
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "09_http/gen.hpp"
#include "09_http/httpserver.hpp"
#include "09_http/iostream.hpp"
#include "common/fd.hpp"
#include "harness.hpp"

namespace {

using namespace std::chrono_literals;

ch09::HTTPResponse text(std::string body) {
  ch09::HTTPResponse response;
  response.headers.add("Content-Type", "text/plain");
  response.body = std::move(body);
  return response;
}

ch09::HTTPServer& server() {
  static ch09::HTTPServer* instance = [] {
    ch09::HTTPServer::Options options;
    options.max_header_size = 1024;
    options.max_body_size = 4096;
    options.idle_timeout = 300ms;
    options.header_timeout = 300ms;
    options.body_timeout = 300ms;
    options.send_timeout = 300ms;
    // Never destroyed: the loop it serves is a function-local static too, and the order in
    // which the two would be destroyed at exit is not worth depending on.
    auto* s = new ch09::HTTPServer(fuzz::loop(), options);
    s->route("/", [](ch09::HTTPRequest) -> ch09::Coroutine<ch09::HTTPResponse> { co_return text("hello\n"); });
    s->route("/echo", [](ch09::HTTPRequest request) -> ch09::Coroutine<ch09::HTTPResponse> {
      co_return text(request.argument("x").value_or("") + request.body);
    });
    s->route("/sleep", [](ch09::HTTPRequest) -> ch09::Coroutine<ch09::HTTPResponse> {
      co_await ch09::sleep(0ms);  // waits a turn or two: thousands of pipelined ones add up to no time
      co_return text("slept\n");
    });
    s->route("/fail", [](ch09::HTTPRequest) -> ch09::Coroutine<ch09::HTTPResponse> {
      throw std::runtime_error("the handler fails, as handlers do");
      co_return text("unreachable");
    });
    s->route("/big", [](ch09::HTTPRequest) -> ch09::Coroutine<ch09::HTTPResponse> {
      co_return text(std::string(16 * 1024, 'x'));  // four times the socket buffer (see below)
    });
    return s;
  }();
  return *instance;
}

// What the client keeps of the answer: its start (thousands of pipelined requests can be
// answered with megabytes, which only need reading).
constexpr std::size_t kept = 4096;

// Reads until the server closes, keeping the start of what it says.
ch09::Coroutine<std::string> read_answer(std::shared_ptr<ch09::IOStream> stream) {
  std::string answer;
  try {
    while (true) {
      const std::string piece = co_await stream->read_bytes(64 * 1024, true);
      answer.append(piece, 0, kept - std::min(kept, answer.size()));
    }
  } catch (const ch09::StreamClosedError&) {
  }
  co_return answer;
}

// The client: reads from the start (so a long answer never blocks the server), sends the
// input piece by piece, shuts its side down, and waits for the server to close.
ch09::Coroutine<std::string> client(std::shared_ptr<ch09::IOStream> stream, std::string bytes,
                                    std::size_t piece) {
  ch09::Future<std::string> answer = read_answer(stream);
  try {
    for (std::size_t sent = 0; sent < bytes.size(); sent += piece) {
      co_await stream->write(bytes.substr(sent, piece));
    }
    if (!stream->closed()) ::shutdown(stream->fileno(), SHUT_WR);
  } catch (const ch09::StreamClosedError&) {
    // The server closed first (an error answer ends the connection): read what it said.
  }
  co_return co_await answer;
}

// Small kernel buffers, so answers and requests are cut into pieces there too, and a
// server writing faster than the client reads meets EAGAIN.
void shrink_buffers(int fd) {
  const int size = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

// The server's first answer must be a response our own parser accepts.
void check_answer(const std::string& answer) {
  if (answer.empty()) return;
  const std::size_t end = answer.find("\r\n\r\n");
  if (end == std::string::npos) fuzz::broken("an answer's head is complete");
  try {
    const ch09::HTTPResponse response = ch09::parse_response_head(answer.substr(0, end + 4));
    if (response.code < 100 || response.code > 599) fuzz::broken("the status code is in 100-599");
  } catch (const ch09::HTTPInputError& e) {
    std::fprintf(stderr, "fuzz: %s\n", e.what());
    fuzz::broken("the server's answer parses as a response");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::fail_on_logged_errors("HTTPServer: handler failed");  // what /fail does
  server();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Input input = fuzz::split(data, size);
  ch09::IOLoop& loop = fuzz::loop();
  common::SocketPair pair = common::make_socketpair();
  shrink_buffers(pair.first.get());
  shrink_buffers(pair.second.get());
  auto client_side = std::make_shared<ch09::IOStream>(loop, std::move(pair.second));
  server().handle_stream(std::make_shared<ch09::IOStream>(loop, std::move(pair.first)), "fuzz");

  std::string answer;
  try {
    // Every server timeout is 300 ms: 5 s is far more than the server may take to close.
    answer = loop.run_sync([&] { return client(client_side, input.bytes, input.piece); }, 5s);
  } catch (const ch09::TimeoutError&) {
    fuzz::broken("the server answers or closes within its timeouts");
  }
  check_answer(answer);
  client_side->close();
  client_side.reset();
  fuzz::drain();
  if (loop.handler_count() != 0) fuzz::broken("a finished connection leaves no fd in the loop");
  if (loop.suspended_coroutines() != 0) fuzz::broken("a finished connection leaves no coroutine waiting");
  return 0;
}
