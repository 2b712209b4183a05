// An asynchronous HTTP client: fetch(url) as a coroutine. Tornado: httpclient.py
// (AsyncHTTPClient.fetch) and simple_httpclient.py, much reduced: plain http, GET.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

#include "gen.hpp"
#include "httputil.hpp"
#include "iostream.hpp"

namespace ch09 {

/// fetch failed: the connection was refused or reset, the time ran out, or the answer broke
/// the protocol. The message says which, and names the URL. (A response with an error code
/// is not a failure: it is returned, with its code.)
class FetchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What one fetch may take. Tornado's defaults: request_timeout 20 s, max_header_size 64 KiB,
/// max_body_size 100 MiB (simple_httpclient.SimpleAsyncHTTPClient).
struct FetchOptions {
  IOLoop::duration timeout = std::chrono::seconds(20);  // the whole exchange, connecting included
  std::size_t max_header_size = 64 * 1024;              // the response head, status line included
  std::size_t max_body_size = 100 * 1024 * 1024;        // the body, however it is framed
};

/// GETs `url` ("http://host:port/path?query") on the current loop and returns the response
/// (status, headers, body: Content-Length, chunked, or until close). The whole exchange must
/// finish within `timeout`, else FetchError("... timed out after ...").
Coroutine<HTTPResponse> fetch(std::string url,
                              IOLoop::duration timeout = std::chrono::seconds(20));
/// The same, with every limit of `options`; breaking one is a FetchError naming it.
Coroutine<HTTPResponse> fetch(std::string url, FetchOptions options);

/// Reads one final response from a connected `stream` (interim 1xx responses are skipped):
/// the head, then the body however it is framed (Content-Length, chunked, or until close),
/// within options' size limits (its timeout is the caller's business). Fails with
/// HTTPInputError when the response breaks the protocol or a limit, StreamClosedError when
/// the stream closes first. Tornado: HTTP1Connection.read_response.
Coroutine<HTTPResponse> read_response(std::shared_ptr<IOStream> stream, FetchOptions options);

}  // namespace ch09
