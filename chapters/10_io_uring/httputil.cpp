#include "httputil.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace ch10 {
namespace {

// A chunk-size line with its extensions, which we read and ignore (Tornado allows 64 bytes).
constexpr std::size_t max_chunk_line_size = 4096;
// The trailer section after a chunked body, read and dropped (Tornado reads none at all).
constexpr std::size_t max_trailer_size = 16 * 1024;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A token (RFC 9110 §5.6.2): what a method, a header name or a transfer coding is made of.
bool is_token(std::string_view text) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

bool has_cr_lf_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Hostile bytes quoted for an error message or a log line: short, and every control
// character spelled out, so a CR LF we refuse cannot forge a line of the log either.
std::string quoted(std::string_view text) {
  static constexpr std::size_t shown = 60;
  std::string out = "\"";
  for (const char c : text.substr(0, shown)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (is_control(c)) {
      static constexpr char hex[] = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(c);
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += text.size() > shown ? "\"..." : "\"";
  return out;
}

// Splits the head into lines (CRLF, or a bare LF: RFC 9112 §2.2 lets a recipient accept it),
// dropping empty lines before the first (§2.2 again) and the blank line at the end.
std::vector<std::string_view> lines_of(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const std::size_t end = head.find('\n');
    std::string_view line = head.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() || !lines.empty()) lines.push_back(line);
    if (end == std::string_view::npos) break;
    head.remove_prefix(end + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

HTTPHeaders parse_fields(const std::vector<std::string_view>& lines) {
  HTTPHeaders headers;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) throw HTTPInputError(400, "an empty line inside the head");
    if (line.front() == ' ' || line.front() == '\t') {
      // RFC 9112 §5.2: obsolete line folding, which we may (and do) refuse.
      throw HTTPInputError(400, "obsolete line folding in the headers: " + quoted(line));
    }
    const std::size_t colon = line.find(':');
    // RFC 9112 §5.1: no whitespace between the name and the colon, or a proxy and we might
    // not agree on the name.
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      throw HTTPInputError(400, "malformed header line: " + quoted(line));
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    // RFC 9110 §5.5: a CR or NUL inside a value (a LF cannot be: it ended the line).
    if (has_cr_lf_or_nul(value)) {
      throw HTTPInputError(400, "the value of the header " + quoted(name) + " contains CR, LF or NUL");
    }
    headers.add(std::string(name), std::string(value));
  }
  return headers;
}

// "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3); the major digit, or nullopt.
std::optional<int> http_major_version(std::string_view version) {
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return std::nullopt;
  }
  return version[5] - '0';
}

// The request target's four forms (RFC 9112 §3.2): origin "/path?query", absolute
// "http://host/path?query" (which a proxy is sent; we serve its path), asterisk "*"
// (OPTIONS only) and authority (CONNECT only, which we do not serve).
void parse_target(HTTPRequest& request) {
  const std::string& target = request.target;
  const auto unsafe = [](char c) { return c == ' ' || is_control(c); };
  if (target.empty() || std::any_of(target.begin(), target.end(), unsafe)) {
    throw HTTPInputError(400, "the request target is empty or has a space or a control character: " +
                                  quoted(target));
  }
  std::string_view origin = target;
  if (target == "*") {
    if (request.method != "OPTIONS") throw HTTPInputError(400, "the target * is for OPTIONS only");
    request.path = "*";
    return;
  }
  if (target.front() != '/') {
    const std::size_t scheme_end = target.find("://");
    const std::string scheme = target.substr(0, scheme_end);
    if (scheme_end == std::string::npos || !(iequals(scheme, "http") || iequals(scheme, "https"))) {
      throw HTTPInputError(400, "malformed request target: " + quoted(target));
    }
    origin.remove_prefix(scheme_end + 3);
    const std::size_t path_start = origin.find_first_of("/?");
    origin = path_start == std::string_view::npos ? std::string_view() : origin.substr(path_start);
  }
  const std::size_t question = origin.find('?');
  request.path = std::string(origin.substr(0, question));
  if (request.path.empty()) request.path = "/";
  if (question != std::string_view::npos) request.query = std::string(origin.substr(question + 1));
}

// RFC 9112 §3.2: a server answers 400 to an HTTP/1.1 request without a Host, and to any
// request with more than one, or with one that is not a host[:port].
void check_host(const HTTPRequest& request) {
  const std::vector<std::string> hosts = request.headers.get_all("Host");
  if (hosts.size() > 1) throw HTTPInputError(400, "more than one Host header");
  if (hosts.empty()) {
    if (request.version == "HTTP/1.1") throw HTTPInputError(400, "an HTTP/1.1 request needs a Host header");
    return;
  }
  static constexpr std::string_view allowed = "-._~%!$&'()*+,;=:[]";
  const std::string& host = hosts.front();
  if (!std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || allowed.find(c) != std::string_view::npos;
      })) {
    throw HTTPInputError(400, "malformed Host header: " + quoted(host));
  }
}

// Every Content-Length value, comma lists included, must be the same number (RFC 9112 §6.3):
// "0" and "42" are two ways to read one message, the classic request smuggling.
std::optional<std::size_t> content_length(const HTTPHeaders& headers) {
  std::optional<std::size_t> length;
  for (const std::string& field : headers.get_all("Content-Length")) {
    std::string_view rest = field;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view text = trim(rest.substr(0, comma));
      std::size_t n = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (!is_digits(text) || error != std::errc() || end != text.data() + text.size()) {
        throw HTTPInputError(400, "malformed Content-Length: " + quoted(field));
      }
      if (length && *length != n) {
        throw HTTPInputError(400, "conflicting Content-Length values: " + std::to_string(*length) + " and " +
                                      std::to_string(n));
      }
      length = n;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return length;
}

// Transfer-Encoding, which overrides any Content-Length and so must never come with one:
// a server that reads the length and a proxy that reads the chunks see two messages.
// Shared by both directions (Tornado refuses the pair in both, too).
BodyFraming transfer_coding_framing(const HTTPHeaders& headers) {
  if (headers.contains("Content-Length")) {
    throw HTTPInputError(400, "both Transfer-Encoding and Content-Length: the length is ambiguous");
  }
  const std::vector<std::string> codings = header_tokens(headers, "Transfer-Encoding");
  // RFC 9112 §6.3: chunked must be last, and only once, or the length cannot be known.
  if (codings.empty() || codings.back() != "chunked" ||
      std::count(codings.begin(), codings.end(), "chunked") != 1) {
    throw HTTPInputError(400, "Transfer-Encoding must end with chunked, once: " +
                                  quoted(headers.get("Transfer-Encoding").value_or("")));
  }
  if (codings.size() > 1) {
    // RFC 9112 §6.1: a coding we do not understand is a 501.
    throw HTTPInputError(501, "this server supports no transfer coding but chunked; got " +
                                  quoted(codings.front()));
  }
  return {BodyFraming::Kind::chunked, 0};
}

BodyFraming length_framing(std::size_t length) {
  if (length == 0) return {};
  return {BodyFraming::Kind::length, length};
}

HTTPInputError head_too_large(std::size_t max_header_size) {
  return HTTPInputError(431, "the head is larger than max_header_size (" + std::to_string(max_header_size) +
                                 " bytes)");
}

HTTPInputError body_too_large(std::size_t max_body_size) {
  return HTTPInputError(413, "the body is larger than max_body_size (" + std::to_string(max_body_size) +
                                 " bytes)");
}

Coroutine<std::string> read_length_body(std::shared_ptr<IOStream> stream, std::size_t length,
                                        std::size_t max_body_size) {
  if (length > max_body_size) throw body_too_large(max_body_size);
  std::string body;
  if (length > 0) body = co_await stream->read_bytes(length);
  co_return body;
}

// One line of the chunked coding. Unlike the head's, it must end in CRLF and hold no other
// CR or LF: lenient chunk parsers that disagree on a lone LF are a known smuggling vector.
Coroutine<std::string> read_crlf_line(std::shared_ptr<IOStream> stream, std::size_t max_bytes,
                                      std::string_view what) {
  std::string line;
  try {
    line = co_await stream->read_until("\n", max_bytes);
  } catch (const UnsatisfiableReadError&) {
    throw HTTPInputError(400, std::string(what) + " longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (line.size() < 2 || line[line.size() - 2] != '\r' ||
      line.find('\r') != line.size() - 2) {
    throw HTTPInputError(400, std::string(what) + " not ended by CRLF: " + quoted(line));
  }
  line.resize(line.size() - 2);
  co_return line;
}

// chunk-size [ chunk-ext ] (RFC 9112 §7.1.1): hex digits, then nothing, or BWS and ';'.
// from_chars reports a size that does not fit instead of wrapping.
std::size_t parse_chunk_size(std::string_view line) {
  std::uint64_t size = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (error == std::errc::result_out_of_range) {
    throw HTTPInputError(413, "chunk size " + quoted(line) + " does not fit in 64 bits");
  }
  const std::string_view extensions = trim(line.substr(static_cast<std::size_t>(end - line.data())));
  if (error != std::errc() || (!extensions.empty() && extensions.front() != ';')) {
    throw HTTPInputError(400, "malformed chunk size: " + quoted(line));
  }
  return static_cast<std::size_t>(size);
}

Coroutine<std::string> read_chunked_body(std::shared_ptr<IOStream> stream, std::size_t max_body_size) {
  std::string body;
  while (true) {
    const std::string line = co_await read_crlf_line(stream, max_chunk_line_size, "a chunk-size line");
    const std::size_t size = parse_chunk_size(line);
    if (size == 0) break;
    if (size > max_body_size - body.size()) throw body_too_large(max_body_size);
    body += co_await stream->read_bytes(size);
    if (co_await stream->read_bytes(2) != "\r\n") {
      throw HTTPInputError(400, "chunk data not followed by CRLF");
    }
  }
  // The trailer section: field lines until an empty one, which we do not use.
  std::size_t trailers = 0;
  while (true) {
    if (trailers >= max_trailer_size) {
      throw HTTPInputError(400, "trailers larger than " + std::to_string(max_trailer_size) + " bytes");
    }
    const std::string line = co_await read_crlf_line(stream, max_trailer_size - trailers, "a trailer line");
    if (line.empty()) break;
    trailers += line.size() + 2;
  }
  co_return body;
}

// The body of a response without a length ends when the server closes: a clean close.
Coroutine<std::string> read_body_until_close(std::shared_ptr<IOStream> stream, std::size_t max_body_size) {
  std::string body;
  while (true) {
    std::string piece;
    try {
      piece = co_await stream->read_bytes(64 * 1024, true);
    } catch (const StreamClosedError& e) {
      if (e.real_error()) throw;  // a reset, our deadline, ...: not the end of the body
      break;
    }
    if (piece.size() > max_body_size - body.size()) throw body_too_large(max_body_size);
    body += piece;
  }
  co_return body;
}

}  // namespace

void HTTPHeaders::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void HTTPHeaders::remove(std::string_view name) {
  std::erase_if(fields_, [name](const auto& field) { return iequals(field.first, name); });
}

std::optional<std::string> HTTPHeaders::get(std::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (iequals(field, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> HTTPHeaders::get_all(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [field, value] : fields_) {
    if (iequals(field, name)) values.push_back(value);
  }
  return values;
}

std::optional<std::string> HTTPRequest::argument(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (url_unescape(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : url_unescape(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view reason_phrase(int code) {
  switch (code) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

HTTPRequest parse_request_head(std::string_view head) {
  const std::vector<std::string_view> lines = lines_of(head);
  if (lines.empty()) throw HTTPInputError(400, "empty request");
  // RFC 9112 §3: method SP request-target SP HTTP-version, single spaces.
  const std::string_view start = lines[0];
  const std::size_t first = start.find(' ');
  const std::size_t last = start.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    throw HTTPInputError(400, "malformed request line (no HTTP version): " + quoted(start));
  }
  HTTPRequest request;
  request.method = std::string(start.substr(0, first));
  request.target = std::string(start.substr(first + 1, last - first - 1));
  request.version = std::string(start.substr(last + 1));
  if (!is_token(request.method)) throw HTTPInputError(400, "malformed method: " + quoted(request.method));
  const std::optional<int> major = http_major_version(request.version);
  if (!major) throw HTTPInputError(400, "malformed HTTP version: " + quoted(request.version));
  if (*major != 1) {
    throw HTTPInputError(505, request.version + " is not supported; this server speaks HTTP/1.1");
  }
  // RFC 9112 §2.3: a later 1.x is answered as the highest 1.x we know.
  if (request.version != "HTTP/1.0") request.version = "HTTP/1.1";
  parse_target(request);
  request.headers = parse_fields(lines);
  check_host(request);
  return request;
}

HTTPResponse parse_response_head(std::string_view head) {
  const std::vector<std::string_view> lines = lines_of(head);
  if (lines.empty()) throw HTTPInputError(502, "empty response");
  // RFC 9112 §4: HTTP-version SP 3DIGIT SP [ reason-phrase ] (some servers drop the last SP).
  const std::string_view start = lines[0];
  const std::string_view version = start.substr(0, start.find(' '));
  const std::string_view code = start.substr(std::min(start.size(), version.size() + 1), 3);
  const std::string_view after_code = start.substr(std::min(start.size(), version.size() + 4));
  if (http_major_version(version) != 1 || version.size() == start.size()) {
    throw HTTPInputError(502, "malformed status line: " + quoted(start));
  }
  if (!is_digits(code) || code.size() != 3 || code[0] < '1' || code[0] > '5' ||
      (!after_code.empty() && after_code.front() != ' ')) {
    throw HTTPInputError(502, "malformed status code (three digits, 100 to 599): " + quoted(start));
  }
  HTTPResponse response;
  response.code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (!after_code.empty()) response.reason = std::string(after_code.substr(1));
  if (has_cr_lf_or_nul(response.reason)) throw HTTPInputError(502, "a CR or NUL in the status line");
  response.headers = parse_fields(lines);
  return response;
}

void check_header_field(std::string_view name, std::string_view value) {
  if (!is_token(name)) throw std::invalid_argument("the header name " + quoted(name) + " is not a token");
  if (has_cr_lf_or_nul(value)) {
    throw std::invalid_argument("the value of the header " + quoted(name) + " contains CR, LF or NUL: " +
                                quoted(value));
  }
}

std::string format_response_head(const HTTPResponse& response, std::string_view version) {
  if (response.code < 100 || response.code > 999) {
    throw std::invalid_argument("the status code " + std::to_string(response.code) + " is not three digits");
  }
  if (has_cr_lf_or_nul(response.reason)) {
    throw std::invalid_argument("the reason phrase contains CR, LF or NUL: " + quoted(response.reason));
  }
  for (const auto& [name, value] : response.headers.fields()) check_header_field(name, value);

  std::string head(version);
  head += ' ' + std::to_string(response.code) + ' ';
  head += response.reason.empty() ? std::string(reason_phrase(response.code)) : response.reason;
  head += "\r\n";
  for (const auto& [name, value] : response.headers.fields()) head += name + ": " + value + "\r\n";
  head += "\r\n";
  return head;
}

std::vector<std::string> header_tokens(const HTTPHeaders& headers, std::string_view name) {
  std::vector<std::string> tokens;
  for (const std::string& field : headers.get_all(name)) {
    std::string_view rest = field;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view token = trim(rest.substr(0, comma));
      if (!token.empty()) {
        std::string& added = tokens.emplace_back(token);
        std::transform(added.begin(), added.end(), added.begin(), lower);
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return tokens;
}

BodyFraming request_body_framing(const HTTPRequest& request) {
  if (request.headers.contains("Transfer-Encoding")) {
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (request.version == "HTTP/1.0") throw HTTPInputError(400, "Transfer-Encoding in an HTTP/1.0 request");
    return transfer_coding_framing(request.headers);
  }
  // RFC 9112 §6.3: a request with neither has no body.
  return length_framing(content_length(request.headers).value_or(0));
}

BodyFraming response_body_framing(const HTTPResponse& response, std::string_view request_method) {
  if (request_method == "HEAD" || response.code / 100 == 1 || response.code == 204 || response.code == 304) {
    return {};
  }
  if (response.headers.contains("Transfer-Encoding")) return transfer_coding_framing(response.headers);
  if (const std::optional<std::size_t> length = content_length(response.headers)) {
    return length_framing(*length);
  }
  return {BodyFraming::Kind::until_close, 0};
}

Coroutine<std::string> read_head(std::shared_ptr<IOStream> stream, std::size_t max_header_size,
                                 std::string head) {
  std::size_t skipped = 0;     // empty lines before the first line
  std::size_t line_start = 0;  // where the line being read begins in `head`
  while (true) {
    if (!head.ends_with('\n') || line_start == head.size()) {
      const std::size_t used = skipped + head.size();
      if (used >= max_header_size) throw head_too_large(max_header_size);
      try {
        head += co_await stream->read_until("\n", max_header_size - used);
      } catch (const UnsatisfiableReadError&) {
        throw head_too_large(max_header_size);
      }
    }
    const std::string_view line = std::string_view(head).substr(line_start);
    const bool empty = line == "\n" || line == "\r\n";
    if (empty && line_start == 0) {  // RFC 9112 §2.2: skip empty lines before the first
      skipped += line.size();
      head.clear();
    } else if (empty) {
      co_return head;
    } else {
      line_start = head.size();
    }
  }
}

Coroutine<std::string> read_body(std::shared_ptr<IOStream> stream, BodyFraming framing,
                                 std::size_t max_body_size) {
  // A plain function that picks the reader, not a coroutine with a switch: clang 14 and 16
  // destroy, at the end of a coroutine's switch, a `co_return` temporary of a case that did
  // not run (fuzz/regressions/*/read-body-*).
  switch (framing.kind) {
    case BodyFraming::Kind::length:
      return read_length_body(std::move(stream), framing.length, max_body_size);
    case BodyFraming::Kind::chunked:
      return read_chunked_body(std::move(stream), max_body_size);
    case BodyFraming::Kind::until_close:
      return read_body_until_close(std::move(stream), max_body_size);
    case BodyFraming::Kind::none:
      break;
  }
  return read_length_body(std::move(stream), 0, max_body_size);
}

std::string url_unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace ch10
