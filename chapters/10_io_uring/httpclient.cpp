#include "httpclient.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <memory>

#include "common/log.hpp"
#include "iostream.hpp"

namespace ch10 {
namespace {

struct Url {
  std::string host;
  int port = 80;
  std::string target = "/";
};

Url parse_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    throw FetchError("fetch " + url + ": only http:// URLs are supported");
  }
  Url parsed;
  const std::string rest = url.substr(scheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) parsed.target = rest.substr(slash);
  const std::size_t colon = authority.rfind(':');
  parsed.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), parsed.port);
    if (error != std::errc() || end != port.data() + port.size() || parsed.port <= 0 || parsed.port > 65535) {
      throw FetchError("fetch " + url + ": bad port \"" + port + "\"");
    }
  }
  if (parsed.host.empty()) throw FetchError("fetch " + url + ": no host");
  // The URL goes into our request line and Host header: a space or a control character in it
  // (a CR LF from a reflected query argument) would let it write a request of its own.
  const auto unsafe = [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; };
  if (std::any_of(url.begin(), url.end(), unsafe)) {
    throw FetchError("fetch: the URL contains a space or a control character");
  }
  return parsed;
}

}  // namespace

Coroutine<HTTPResponse> read_response(std::shared_ptr<IOStream> stream, FetchOptions options) {
  while (true) {
    HTTPResponse response = parse_response_head(co_await read_head(stream, options.max_header_size));
    // RFC 9110 §15.2: a 1xx is interim (100 Continue, 103 Early Hints); the final response
    // follows, and Tornado's client skips them too. 101 would switch protocols, which we
    // never ask for.
    if (response.code == 101) {
      throw HTTPInputError(502, "101 Switching Protocols, to an upgrade nobody asked for");
    }
    if (response.code / 100 == 1) continue;
    response.body = co_await read_body(stream, response_body_framing(response, "GET"), options.max_body_size);
    co_return response;
  }
}

Coroutine<HTTPResponse> fetch(std::string url, IOLoop::duration timeout) {
  FetchOptions options;
  options.timeout = timeout;
  co_return co_await fetch(std::move(url), options);
}

Coroutine<HTTPResponse> fetch(std::string url, FetchOptions options) {
  const IOLoop::duration timeout = options.timeout;
  const Url where = parse_url(url);
  IOLoop* loop = IOLoop::current();
  if (loop == nullptr) throw FetchError("fetch " + url + ": there is no current IOLoop");

  // One deadline for the whole exchange. While connecting, with_timeout stands guard; once
  // there is a stream, a timer that closes it makes any pending read or write fail.
  const IOLoop::time_point deadline = loop->time() + timeout;
  const std::string seconds = common::seconds_text(timeout) + " s";
  std::shared_ptr<IOStream> stream;
  try {
    stream = co_await with_timeout(deadline, IOStream::connect(*loop, where.host, where.port));
  } catch (const GenTimeoutError&) {
    throw FetchError("fetch " + url + ": timed out after " + seconds + " while connecting");
  } catch (const StreamClosedError& e) {
    throw FetchError("fetch " + url + ": " + (e.real_error() ? common::describe(e.real_error()) : e.what()));
  }
  auto timed_out = std::make_shared<bool>(false);
  std::weak_ptr<IOStream> weak = stream;
  const IOLoop::Timeout timer = loop->call_at(deadline, [weak, timed_out] {
    *timed_out = true;
    // With a reason: a body read until close must not take this close for its end.
    if (auto s = weak.lock()) s->close(std::make_exception_ptr(TimeoutError("the fetch timed out")));
  });
  // However the exchange ends, the deadline goes, and so does the connection.
  struct Cleanup {
    IOLoop& loop;
    IOLoop::Timeout timer;
    std::shared_ptr<IOStream> stream;
    ~Cleanup() {
      loop.remove_timeout(timer);
      stream->close();
    }
  } cleanup{*loop, timer, stream};

  try {
    co_await stream->write("GET " + where.target + " HTTP/1.1\r\nHost: " + where.host + ":" +
                           std::to_string(where.port) +
                           "\r\nConnection: close\r\nUser-Agent: tornado-loop-cpp\r\n\r\n");
    co_return co_await read_response(stream, options);
  } catch (const StreamClosedError& e) {
    if (*timed_out) throw FetchError("fetch " + url + ": timed out after " + seconds);
    throw FetchError("fetch " + url + ": the connection closed early" +
                     (e.real_error() ? " (" + common::describe(e.real_error()) + ")" : std::string()));
  } catch (const std::exception& e) {
    // The response broke the protocol or a limit (HTTPInputError names which), or worse.
    throw FetchError("fetch " + url + ": " + e.what());
  }
}

}  // namespace ch10
