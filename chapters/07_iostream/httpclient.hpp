// An asynchronous HTTP client: fetch(url) as a coroutine. Tornado: httpclient.py
// (AsyncHTTPClient.fetch) and simple_httpclient.py, much reduced: plain http, GET.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

#include "gen.hpp"
#include "httputil.hpp"

namespace ch07 {

/// fetch failed: the connection was refused or reset, the time ran out, or the answer broke
/// the protocol. The message says which, and names the URL. (A response with an error code
/// is not a failure: it is returned, with its code.)
class FetchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// GETs `url` ("http://host:port/path?query") on the current loop and returns the response
/// (status, headers, body: Content-Length, chunked, or until close). The whole exchange must
/// finish within `timeout`, else FetchError("... timed out after ...").
Coroutine<HTTPResponse> fetch(std::string url,
                              IOLoop::duration timeout = std::chrono::seconds(20));

}  // namespace ch07
