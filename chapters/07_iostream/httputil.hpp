// HTTP/1.1 messages and the parsing both ends share. Tornado: httputil.py (HTTPHeaders,
// parse_request_start_line, parse_response_start_line) and http1connection.py.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ch07 {

/// A header block: names compare case-insensitively, order is kept, repeats are allowed.
class HTTPHeaders {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  /// The first value for `name`, if any.
  std::optional<std::string> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// A request as the server's handlers see it.
struct HTTPRequest {
  std::string method;   // "GET"
  std::string target;   // "/fetch?url=..."
  std::string path;     // "/fetch"
  std::string query;    // "url=..."
  std::string version;  // "HTTP/1.1"
  HTTPHeaders headers;
  std::string body;
  std::string remote;   // the peer's "address:port"

  /// The value of `name` in the query string, percent-decoded; nullopt if absent.
  std::optional<std::string> argument(std::string_view name) const;
};

/// A response: what a handler returns, and what fetch() returns.
struct HTTPResponse {
  int code = 200;
  std::string reason;  // empty: the standard phrase for `code`
  HTTPHeaders headers;
  std::string body;
};

/// A message that breaks the protocol; `code` is the status to answer it with.
class HTTPInputError : public std::runtime_error {
 public:
  HTTPInputError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// "OK" for 200, "Not Found" for 404, ... ("Unknown" for codes we do not name).
std::string_view reason_phrase(int code);

/// Parses "GET /path?q HTTP/1.1\r\nName: value\r\n...\r\n\r\n" (the head, delimiter
/// included). Throws HTTPInputError(400, ...) naming what is malformed.
HTTPRequest parse_request_head(std::string_view head);
/// Parses "HTTP/1.1 200 OK\r\n...\r\n\r\n" into code, reason and headers.
HTTPResponse parse_response_head(std::string_view head);

/// The bytes of a response head (status line and headers, blank line included).
std::string format_response_head(const HTTPResponse& response, std::string_view version);

/// Percent-decoding for query strings ('+' is a space).
std::string url_unescape(std::string_view text);

}  // namespace ch07
