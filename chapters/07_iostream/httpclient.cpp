#include "httpclient.hpp"

#include <cctype>
#include <charconv>
#include <exception>
#include <memory>

#include "iostream.hpp"

namespace ch07 {
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
  return parsed;
}

// The chunked transfer coding: "<hex size>\r\n<data>\r\n" ... "0\r\n\r\n".
Coroutine<std::string> read_chunked(std::shared_ptr<IOStream> stream) {
  std::string body;
  while (true) {
    const std::string line = co_await stream->read_until("\r\n", 1024);
    std::size_t size = 0;
    const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (error != std::errc() || end == line.data()) throw HTTPInputError(502, "malformed chunk size");
    const std::string chunk = co_await stream->read_bytes(size + 2);  // the data and its CRLF
    if (size == 0) co_return body;  // (no trailers expected)
    body.append(chunk, 0, size);
  }
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace

Coroutine<HTTPResponse> read_response(std::shared_ptr<IOStream> stream, FetchOptions options) {
  HTTPResponse response = parse_response_head(co_await stream->read_until("\r\n\r\n", options.max_header_size));
  const bool no_body = response.code / 100 == 1 || response.code == 204 || response.code == 304;
  if (no_body) {
    // nothing to read
  } else if (lowercase(response.headers.get("Transfer-Encoding").value_or("")) == "chunked") {
    response.body = co_await read_chunked(stream);
  } else if (const auto length = response.headers.get("Content-Length")) {
    std::size_t n = 0;
    const auto [end, error] = std::from_chars(length->data(), length->data() + length->size(), n);
    if (error != std::errc() || end != length->data() + length->size()) {
      throw HTTPInputError(502, "malformed Content-Length");
    }
    if (n > 0) response.body = co_await stream->read_bytes(n);
  } else {
    response.body = co_await stream->read_until_close();
    // Reading until close ends however the stream closes: a reset or the buffer bound must
    // not pass for the end of the body.
    if (stream->error()) throw StreamClosedError(stream->error());
  }
  co_return response;
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
  const std::string seconds = std::to_string(std::chrono::duration<double>(timeout).count()) + " s";
  std::shared_ptr<IOStream> stream;
  try {
    stream = co_await with_timeout(deadline, IOStream::connect(*loop, where.host, where.port));
  } catch (const GenTimeoutError&) {
    throw FetchError("fetch " + url + ": timed out after " + seconds + " while connecting");
  } catch (const StreamClosedError& e) {
    throw FetchError("fetch " + url + ": " + (e.real_error() ? describe(e.real_error()) : e.what()));
  }
  auto timed_out = std::make_shared<bool>(false);
  std::weak_ptr<IOStream> weak = stream;
  const IOLoop::Timeout timer = loop->call_at(deadline, [weak, timed_out] {
    *timed_out = true;
    // With a reason: a body read until close must not take this close for its end.
    if (auto s = weak.lock()) s->close(std::make_exception_ptr(TimeoutError("the fetch timed out")));
  });
  struct RemoveTimer {
    IOLoop& loop;
    IOLoop::Timeout timer;
    ~RemoveTimer() { loop.remove_timeout(timer); }
  } remove_timer{*loop, timer};

  try {
    co_await stream->write("GET " + where.target + " HTTP/1.1\r\nHost: " + where.host + ":" +
                           std::to_string(where.port) +
                           "\r\nConnection: close\r\nUser-Agent: tornado-loop-cpp\r\n\r\n");
    HTTPResponse response = co_await read_response(stream, options);
    stream->close();
    co_return response;
  } catch (const StreamClosedError& e) {
    if (*timed_out) throw FetchError("fetch " + url + ": timed out after " + seconds);
    throw FetchError("fetch " + url + ": the connection closed early" +
                     (e.real_error() ? " (" + describe(e.real_error()) + ")" : std::string()));
  } catch (const UnsatisfiableReadError&) {
    throw FetchError("fetch " + url + ": the response's headers are too large");
  } catch (const HTTPInputError& e) {
    throw FetchError("fetch " + url + ": " + e.what());
  }
}

}  // namespace ch07
