#include "httpserver.hpp"

#include <cctype>
#include <charconv>
#include <exception>

#include "common/log.hpp"

namespace ch07 {
namespace {

HTTPResponse error_response(int code, const std::string& message) {
  HTTPResponse response;
  response.code = code;
  response.headers.add("Content-Type", "text/plain; charset=utf-8");
  response.body = std::to_string(code) + " " + std::string(reason_phrase(code)) + ": " + message + "\n";
  return response;
}

// Closes a connection that has sent nothing for `timeout`. Not one whose request has arrived
// but is not read yet: a turn runs due timers before it reads sockets, so under load this
// timer can come first. Then it looks again one period later.
class IdleTimer {
 public:
  IdleTimer(IOLoop& loop, std::weak_ptr<IOStream> stream, IOLoop::duration timeout)
      : loop_(loop), state_(std::make_shared<State>(State{loop, std::move(stream), timeout, {}})) {
    arm(state_);
  }
  ~IdleTimer() { loop_.remove_timeout(state_->timer); }
  IdleTimer(const IdleTimer&) = delete;
  IdleTimer& operator=(const IdleTimer&) = delete;

 private:
  struct State {
    IOLoop& loop;
    std::weak_ptr<IOStream> stream;
    IOLoop::duration timeout;
    IOLoop::Timeout timer;
  };
  static void arm(const std::shared_ptr<State>& state) {
    state->timer = state->loop.call_later(state->timeout, [weak = std::weak_ptr(state)] {
      const auto alive = weak.lock();
      if (!alive) return;
      const auto stream = alive->stream.lock();
      if (!stream) return;
      if (stream->input_pending()) {
        arm(alive);  // it is talking; we are just late
      } else {
        stream->close();
      }
    });
  }

  IOLoop& loop_;
  std::shared_ptr<State> state_;
};

bool wants_keep_alive(const HTTPRequest& request) {
  std::string connection = request.headers.get("Connection").value_or("");
  for (char& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (request.version == "HTTP/1.1") return connection != "close";
  return connection == "keep-alive";
}

std::size_t parse_length(const std::string& text) {
  std::size_t length = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw HTTPInputError(400, "malformed Content-Length: \"" + text.substr(0, 20) + "\"");
  }
  return length;
}

}  // namespace

HTTPServer::HTTPServer(IOLoop& loop) : HTTPServer(loop, Options{}) {}

HTTPServer::HTTPServer(IOLoop& loop, Options options)
    : shared_(std::make_shared<Shared>(Shared{loop, options, {}, 0})),
      tcp_(loop, [this](std::shared_ptr<IOStream> stream, std::string remote) {
        handle_stream(std::move(stream), std::move(remote));
      }) {}

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
  IOLoop& loop = shared->loop;
  const Options& options = shared->options;
  while (true) {
    // (1) The request head, within the idle timeout: a client that says nothing is closed.
    std::optional<IdleTimer> idle(std::in_place, loop, stream, options.idle_timeout);
    HTTPRequest request;
    std::optional<HTTPResponse> refusal;  // set when the request is answered with an error
    try {
      const std::string head = co_await stream->read_until("\r\n\r\n", options.max_header_size);
      request = parse_request_head(head);
      request.remote = remote;
      // (2) The body, if any: Content-Length only (chunked request bodies are not supported).
      if (request.headers.contains("Transfer-Encoding")) {
        throw HTTPInputError(501, "Transfer-Encoding is not supported; send Content-Length");
      }
      if (const auto length = request.headers.get("Content-Length")) {
        const std::size_t n = parse_length(*length);
        if (n > options.max_body_size) throw HTTPInputError(413, "the body is too large");
        if (n > 0) request.body = co_await stream->read_bytes(n);
      }
    } catch (const UnsatisfiableReadError&) {
      refusal = error_response(431, "the request's headers are larger than " +
                                        std::to_string(options.max_header_size) + " bytes");
    } catch (const HTTPInputError& e) {
      refusal = error_response(e.code(), e.what());
    } catch (const StreamClosedError&) {
      co_return;  // the client left, or the idle timer closed the stream
    }
    idle.reset();

    // (3) Answer: an error closes the connection; otherwise the route's handler answers.
    HTTPResponse response;
    bool keep_alive = false;
    if (refusal) {
      response = std::move(*refusal);
    } else {
      ++shared->requests;
      keep_alive = wants_keep_alive(request);
      response = co_await dispatch(shared, request);
    }
    response.headers.add("Content-Length", std::to_string(response.body.size()));
    response.headers.add("Connection", keep_alive ? "keep-alive" : "close");
    std::string bytes = format_response_head(response, "HTTP/1.1");
    if (request.method != "HEAD") bytes += response.body;
    try {
      co_await stream->write(std::move(bytes));
    } catch (const StreamClosedError&) {
      co_return;  // the client went away mid-response; nothing left to do
    }
    if (!keep_alive) {
      stream->close();
      co_return;
    }
  }
}

Coroutine<HTTPResponse> HTTPServer::dispatch(std::shared_ptr<Shared> shared, HTTPRequest request) {
  if (request.method != "GET" && request.method != "HEAD" && request.method != "POST") {
    co_return error_response(501, "this server does not support the method " + request.method);
  }
  const auto route = shared->routes.find(request.path);
  if (route == shared->routes.end()) co_return error_response(404, "no route for " + request.path);
  try {
    co_return co_await route->second(std::move(request));
  } catch (const std::exception& e) {
    common::log(common::LogLevel::error, std::string("HTTPServer: handler failed: ") + e.what());
  }
  co_return error_response(500, "the handler failed");
}

}  // namespace ch07
