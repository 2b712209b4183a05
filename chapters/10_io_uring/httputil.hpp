// HTTP/1.1 messages and what both ends share: parsing, framing, and reading a head or a body
// from a stream. Tornado: httputil.py (HTTPHeaders, parse_request_start_line,
// parse_response_start_line) and http1connection.py (HTTP1Connection reads both sides).
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gen.hpp"
#include "iostream.hpp"

namespace ch10 {

/// A header block: names compare case-insensitively, order is kept, repeats are allowed.
class HTTPHeaders {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  /// Replaces every field named `name` with this one (Tornado: headers[name] = value).
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  /// The first value for `name`, if any.
  std::optional<std::string> get(std::string_view name) const;
  /// Every value for `name`, in order (Tornado: get_list).
  std::vector<std::string> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// A request as the server's handlers see it.
struct HTTPRequest {
  std::string method;   // "GET"
  std::string target;   // "/fetch?url=...", as received (absolute-form "http://host/..." too)
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

/// A message that breaks the protocol or a limit; `code` is the status to answer it with.
class HTTPInputError : public std::runtime_error {
 public:
  HTTPInputError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// "OK" for 200, "Not Found" for 404, ... ("Unknown" for codes we do not name).
std::string_view reason_phrase(int code);

/// Parses a request head (request line, header lines, the blank line). Lines may end in
/// CRLF or a bare LF; empty lines before the request line are skipped (RFC 9112 §2.2).
/// Throws HTTPInputError naming what is wrong: 400 for a malformed line, target, header or
/// Host, 505 for a well-formed version other than HTTP/1.x.
HTTPRequest parse_request_head(std::string_view head);
/// Parses "HTTP/1.1 200 OK\r\n...\r\n\r\n" into code, reason and headers.
HTTPResponse parse_response_head(std::string_view head);

/// Throws std::invalid_argument naming the field unless `name` is a token and `value` holds
/// no CR, LF or NUL: a handler's header must not be able to write a header (or a response)
/// of its own into ours. The check format_response_head makes before writing anything.
void check_header_field(std::string_view name, std::string_view value);
/// The bytes of a response head (status line and headers, blank line included). Throws
/// std::invalid_argument, before anything is built, for a field check_header_field refuses,
/// a code that is not three digits, or a reason with CR, LF or NUL.
std::string format_response_head(const HTTPResponse& response, std::string_view version);

/// The members of a comma-separated header list (RFC 9110 §5.6.1) over every field named
/// `name`, trimmed and lowercased, empty ones dropped: "Connection: close, TE" -> close, te.
std::vector<std::string> header_tokens(const HTTPHeaders& headers, std::string_view name);

/// How a message's body is delimited (RFC 9112 §6.3).
struct BodyFraming {
  enum class Kind { none, length, chunked, until_close };
  Kind kind = Kind::none;
  std::size_t length = 0;  // for Kind::length
};
/// A request's framing. Refuses (HTTPInputError) what could be read two ways, the shape of
/// request smuggling: Content-Length values that differ, Transfer-Encoding together with
/// Content-Length or in HTTP/1.0 (400); a transfer coding other than chunked (501).
BodyFraming request_body_framing(const HTTPRequest& request);
/// A response's framing, for a request made with `request_method`: none for HEAD, 1xx, 204
/// and 304; else chunked, Content-Length, or until the server closes. Refuses as above.
BodyFraming response_body_framing(const HTTPResponse& response, std::string_view request_method);

/// Reads a message head from `stream`: lines up to the first empty one, each ending in LF
/// with or without a CR (RFC 9112 §2.2), empty lines before the first skipped. `head` is
/// what the caller has already read of it. Past max_header_size (skipped lines included):
/// HTTPInputError(431). Tornado: read_until_regex(b"\r?\n\r?\n", max_bytes=max_header_size).
Coroutine<std::string> read_head(std::shared_ptr<IOStream> stream, std::size_t max_header_size,
                                 std::string head = {});
/// Reads the body `framing` describes; a body (or a declared length) over max_body_size is
/// HTTPInputError(413) as soon as that is known. Chunked: sizes that cannot overflow, chunk
/// extensions ignored, trailers read and dropped, CRLF required (RFC 9112 §7.1). Until
/// close: a close with a cause (a reset, a timeout) is a StreamClosedError, not the end.
Coroutine<std::string> read_body(std::shared_ptr<IOStream> stream, BodyFraming framing,
                                 std::size_t max_body_size);

/// Percent-decoding for query strings ('+' is a space).
std::string url_unescape(std::string_view text);

}  // namespace ch10
