#include "httpserver.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <functional>

#include "common/log.hpp"

namespace ch10 {
namespace {

using namespace std::chrono_literals;

// After an answer that ends the connection, how long and how much we read of what the
// client still sends before closing (see close_gracefully).
constexpr IOLoop::duration linger_time = 2s;
constexpr std::size_t linger_bytes = 1024 * 1024;

constexpr std::string_view allowed_methods = "GET, HEAD, POST, OPTIONS";

HTTPResponse error_response(int code, const std::string& message) {
  HTTPResponse response;
  response.code = code;
  response.headers.add("Content-Type", "text/plain; charset=utf-8");
  response.body = std::to_string(code) + " " + std::string(reason_phrase(code)) + ": " + message + "\n";
  return response;
}

// A timer guarding one step of a connection (waiting, reading, writing): when it fires,
// `expired` decides whether to close the stream, with `reason`, or to look again one period
// later. Closing makes the step's pending read or write fail with StreamClosedError. The
// step removes it by destroying it when it finishes in time.
class StreamTimer {
 public:
  using Expired = std::function<bool(IOStream& stream)>;

  StreamTimer(IOLoop& loop, const std::shared_ptr<IOStream>& stream, IOLoop::duration period,
              std::string reason, Expired expired)
      : loop_(loop), state_(std::make_shared<State>(State{loop, stream, period, std::move(reason),
                                                          std::move(expired), {}})) {
    arm(state_);
  }
  ~StreamTimer() { loop_.remove_timeout(state_->timer); }
  StreamTimer(const StreamTimer&) = delete;
  StreamTimer& operator=(const StreamTimer&) = delete;

  static bool always(IOStream&) { return true; }

 private:
  struct State {
    IOLoop& loop;
    std::weak_ptr<IOStream> stream;
    IOLoop::duration period;
    std::string reason;
    Expired expired;
    IOLoop::Timeout timer;
  };
  static void arm(const std::shared_ptr<State>& state) {
    state->timer = state->loop.call_later(state->period, [weak = std::weak_ptr(state)] {
      const auto alive = weak.lock();
      if (!alive) return;
      const auto stream = alive->stream.lock();
      if (!stream || stream->closed()) return;
      if (alive->expired(*stream)) {
        stream->close(std::make_exception_ptr(TimeoutError(alive->reason)));
      } else {
        arm(alive);
      }
    });
  }

  IOLoop& loop_;
  std::shared_ptr<State> state_;
};

// True if the kernel would take more of our bytes now: then a write that has not moved waits
// for the loop (late, as a turn runs due timers before it writes), not for the client.
bool writable_now(const IOStream& stream) {
  pollfd ready{stream.fileno(), POLLOUT, 0};
  return ::poll(&ready, 1, 0) == 1 && (ready.revents & POLLOUT) != 0;
}

bool wants_keep_alive(const HTTPRequest& request) {
  // RFC 9112 §9.3: Connection is a list of tokens ("close, te" is a close).
  const std::vector<std::string> connection = header_tokens(request.headers, "Connection");
  const auto has = [&](std::string_view token) {
    return std::ranges::find(connection, token) != connection.end();
  };
  if (request.version == "HTTP/1.1") return !has("close");
  return has("keep-alive");
}

// RFC 9110 §10.1.1: a client that sends "Expect: 100-continue" waits for our interim
// "100 Continue" before it sends the body (curl waits a second, then sends anyway). A
// request we refuse before its body gets the final answer instead, and its body is never
// read. HTTP/1.0 clients cannot expect; an expectation we cannot meet is a 417.
Coroutine<void> answer_expectation(std::shared_ptr<IOStream> stream, const HTTPRequest& request,
                                   BodyFraming framing) {
  const std::vector<std::string> expectations = header_tokens(request.headers, "Expect");
  if (expectations.empty() || request.version != "HTTP/1.1") co_return;
  if (expectations != std::vector<std::string>{"100-continue"}) {
    throw HTTPInputError(417, "this server meets no expectation but 100-continue");
  }
  if (framing.kind != BodyFraming::Kind::none) co_await stream->write("HTTP/1.1 100 Continue\r\n\r\n");
}

// The head for `response`, after the headers the server owns: the framing, and Connection.
// A handler's header that could split the response (check_header_field) is never written:
// that request gets a 500 instead, and the log says which header it was.
std::string head_for(HTTPResponse& response, bool keep_alive, const std::string& request_line) {
  const auto prepare = [keep_alive](HTTPResponse& r) {
    r.headers.remove("Transfer-Encoding");
    // RFC 9110 §8.6: no Content-Length (and no body) in a 204; a 304 has no body either.
    if (r.code == 204 || r.code == 304) {
      r.body.clear();
      r.headers.remove("Content-Length");
    } else {
      r.headers.set("Content-Length", std::to_string(r.body.size()));
    }
    r.headers.set("Connection", keep_alive ? "keep-alive" : "close");
  };
  try {
    if (response.code < 200) {
      throw std::invalid_argument("the status " + std::to_string(response.code) + " is not final");
    }
    prepare(response);
    return format_response_head(response, "HTTP/1.1");
  } catch (const std::invalid_argument& e) {
    common::log(common::LogLevel::error,
                "HTTPServer: the response to " + request_line + " cannot be sent, so it is a 500: " +
                    e.what());
  }
  response = error_response(500, "the handler's response could not be sent");
  prepare(response);
  return format_response_head(response, "HTTP/1.1");
}

// RFC 9112 §9.6: to end a connection, we close our half first, then read (and drop) what
// the client may still be sending (a body we refused, pipelined requests) for a moment.
// Closing a socket with unread input makes the kernel answer with a reset, which can destroy
// our response before the client has read it.
Coroutine<void> close_gracefully(IOLoop& loop, std::shared_ptr<IOStream> stream) {
  if (stream->closed()) co_return;
  ::shutdown(stream->fileno(), SHUT_WR);
  StreamTimer linger(loop, stream, linger_time, "lingering close", StreamTimer::always);
  try {
    for (std::size_t drained = 0; drained < linger_bytes;) {
      drained += (co_await stream->read_bytes(64 * 1024, true)).size();
    }
  } catch (const StreamClosedError&) {
    // the client closed its half too (or the linger time ran out)
  }
  stream->close();
}

}  // namespace

HTTPServer::HTTPServer(IOLoop& loop) : HTTPServer(loop, Options{}) {}

HTTPServer::HTTPServer(IOLoop& loop, Options options)
    : shared_(std::make_shared<Shared>(Shared{loop, options, {}, 0})),
      tcp_(loop, [this](std::shared_ptr<IOStream> stream, std::string remote) {
        handle_stream(std::move(stream), std::move(remote));
      }) {
  tcp_.set_accept_pause(options.accept_pause);
}

void HTTPServer::handle_stream(std::shared_ptr<IOStream> stream, std::string remote) {
  // Fire and forget: the loop keeps the connection's coroutine while it waits.
  serve(shared_, std::move(stream), std::move(remote));
}

void HTTPServer::route(std::string path, Handler handler) {
  if (!handler) throw std::invalid_argument("HTTPServer::route: the handler is empty");
  shared_->routes[std::move(path)] = std::move(handler);
}

Coroutine<void> HTTPServer::serve(std::shared_ptr<Shared> shared, std::shared_ptr<IOStream> stream,
                                  std::string remote) {
  while (true) {
    // Read a request; a broken one is answered with its error, and ends the connection.
    HTTPResponse response;
    std::string request_line;
    bool head_only = false;
    bool keep_alive = false;
    try {
      HTTPRequest request = co_await read_request(shared, stream, remote);
      // Let the route's handler answer it.
      ++shared->requests;
      request_line = request.method + " " + request.path;
      head_only = request.method == "HEAD";
      keep_alive = wants_keep_alive(request);
      response = co_await dispatch(shared, std::move(request));
    } catch (const HTTPInputError& e) {
      response = error_response(e.code(), e.what());
    } catch (const StreamClosedError&) {
      co_return;  // the client left, or a timeout closed the stream
    }

    // Answer: the head, then the body.
    std::string head = head_for(response, keep_alive, request_line);
    // (Named, not a ?: inside the co_await: g++ 12 destroys such a temporary twice.)
    std::string body = head_only ? std::string() : std::move(response.body);
    if (!co_await write_response(shared, stream, std::move(head), std::move(body))) co_return;
    if (!keep_alive) {
      co_await close_gracefully(shared->loop, stream);
      co_return;
    }
    // Give the loop a turn. Tornado 6 awaits asyncio.sleep(0) here (http1connection.py): when
    // the next request is already buffered, every await on the way through it is already
    // done and would not suspend, so a client that pipelines could keep the loop to itself.
    // One turn per request lets the loop's timers and other connections go first.
    co_await moment;
  }
}

Coroutine<HTTPRequest> HTTPServer::read_request(std::shared_ptr<Shared> shared,
                                                std::shared_ptr<IOStream> stream, std::string remote) {
  IOLoop& loop = shared->loop;
  const Options& options = shared->options;
  // (1a) Wait for the request's first byte within idle_timeout. Not a request that has
  //      arrived but is not read yet: a turn runs due timers before it reads sockets, so
  //      under load this timer can come first; then it looks again one period later.
  std::string first_byte;
  {
    StreamTimer idle(loop, stream, options.idle_timeout, "no request within idle_timeout",
                     [](IOStream& s) { return !s.input_pending(); });
    first_byte = co_await stream->read_bytes(1);
  }
  // (1b) From that byte on, the whole head within header_timeout, however slowly it comes:
  //      each byte a client sends must not buy it more time (slowloris). Tornado bounds the
  //      wait and the head together by one timeout; we give each its own.
  std::string head;
  {
    StreamTimer deadline(loop, stream, options.header_timeout,
                         "the request head took longer than header_timeout", StreamTimer::always);
    head = co_await read_head(stream, options.max_header_size, std::move(first_byte));
  }
  HTTPRequest request = parse_request_head(head);
  request.remote = std::move(remote);
  // (1c) The body: its framing must be unambiguous; a declared length over the limit is
  //      refused now, before a 100 Continue invites it; the whole of it within body_timeout.
  const BodyFraming framing = request_body_framing(request);
  if (framing.kind == BodyFraming::Kind::length && framing.length > options.max_body_size) {
    throw HTTPInputError(413, "Content-Length " + std::to_string(framing.length) +
                                  " is larger than max_body_size (" + std::to_string(options.max_body_size) +
                                  " bytes)");
  }
  co_await answer_expectation(stream, request, framing);
  StreamTimer deadline(loop, stream, options.body_timeout, "the request body took longer than body_timeout",
                       StreamTimer::always);
  request.body = co_await read_body(stream, framing, options.max_body_size);
  co_return request;
}

Coroutine<HTTPResponse> HTTPServer::dispatch(std::shared_ptr<Shared> shared, HTTPRequest request) {
  const auto route = shared->routes.find(request.path);
  if (request.method == "OPTIONS" && (request.path == "*" || route != shared->routes.end())) {
    HTTPResponse allow;
    allow.headers.add("Allow", std::string(allowed_methods));
    co_return allow;
  }
  if (request.method != "GET" && request.method != "HEAD" && request.method != "POST") {
    co_return error_response(501, "this server does not support the method " + request.method);
  }
  if (route == shared->routes.end()) co_return error_response(404, "no route for " + request.path);
  try {
    co_return co_await route->second(std::move(request));
  } catch (const std::exception& e) {
    common::log(common::LogLevel::error, std::string("HTTPServer: handler failed: ") + e.what());
  }
  co_return error_response(500, "the handler failed");
}

Coroutine<bool> HTTPServer::write_response(std::shared_ptr<Shared> shared, std::shared_ptr<IOStream> stream,
                                           std::string head, std::string body) {
  // A client that reads nothing for send_timeout is closed; one that reads slowly, but
  // reads, moves bytes_written() each period and is left alone (a stall is caught after one
  // to two periods).
  StreamTimer stalled(shared->loop, stream, shared->options.send_timeout,
                      "the client read nothing of the response for send_timeout",
                      [seen = stream->bytes_written()](IOStream& s) mutable {
                        const bool moved = s.bytes_written() != seen;
                        seen = s.bytes_written();
                        return !moved && s.writing() && !writable_now(s);
                      });
  try {
    // A small body joins the head, so that the answer leaves in one send(): two writes would
    // cost every request a second system call (bench/count_syscalls.py counts them). A large
    // one is not copied for that: the answer is held once, and one more call is nothing there.
    if (body.size() <= 16 * 1024) {
      head += body;
      body.clear();
    }
    co_await stream->write(std::move(head));
    if (!body.empty()) co_await stream->write(std::move(body));
  } catch (const StreamClosedError&) {
    co_return false;  // the client went away mid-response, or stopped reading it
  }
  co_return true;
}

}  // namespace ch10
