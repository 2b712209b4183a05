#include "httputil.hpp"

#include <algorithm>
#include <cctype>

namespace ch07 {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A token (RFC 9110): what a method or a header name is made of.
bool is_token(std::string_view text) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

// Splits the head into lines (CRLF, or a bare LF as lenient servers accept), dropping the
// blank line at the end.
std::vector<std::string_view> lines_of(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const std::size_t end = head.find('\n');
    std::string_view line = head.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
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
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      throw HTTPInputError(400, "malformed header line: \"" + std::string(line.substr(0, 80)) + "\"");
    }
    headers.add(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
  return headers;
}

bool is_http_version(std::string_view version) {
  return version == "HTTP/1.1" || version == "HTTP/1.0";
}

}  // namespace

std::optional<std::string> HTTPHeaders::get(std::string_view name) const {
  for (const auto& [field, value] : fields_) {
    if (iequals(field, name)) return value;
  }
  return std::nullopt;
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
  // "METHOD SP target SP version", exactly three parts.
  const std::string_view start = lines[0];
  const std::size_t first = start.find(' ');
  const std::size_t last = start.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    throw HTTPInputError(400, "malformed request line (no HTTP version): \"" +
                                  std::string(start.substr(0, 80)) + "\"");
  }
  HTTPRequest request;
  request.method = std::string(start.substr(0, first));
  request.target = std::string(start.substr(first + 1, last - first - 1));
  request.version = std::string(start.substr(last + 1));
  if (!is_token(request.method)) throw HTTPInputError(400, "malformed method");
  if (!is_http_version(request.version)) {
    throw HTTPInputError(400, "malformed HTTP version: \"" + request.version.substr(0, 20) + "\"");
  }
  if (request.target.empty() || request.target.front() != '/' ||
      request.target.find(' ') != std::string::npos) {
    throw HTTPInputError(400, "malformed request target");
  }
  const std::size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.headers = parse_fields(lines);
  return request;
}

HTTPResponse parse_response_head(std::string_view head) {
  const std::vector<std::string_view> lines = lines_of(head);
  if (lines.empty()) throw HTTPInputError(502, "empty response");
  // "HTTP/1.1 SP code SP reason" (the reason may be empty, or have spaces).
  const std::string_view start = lines[0];
  const std::size_t first = start.find(' ');
  if (first == std::string_view::npos || !is_http_version(start.substr(0, first)) ||
      start.size() < first + 4) {
    throw HTTPInputError(502, "malformed status line: \"" + std::string(start.substr(0, 80)) + "\"");
  }
  const std::string_view code = start.substr(first + 1, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    throw HTTPInputError(502, "malformed status code");
  }
  HTTPResponse response;
  response.code = std::stoi(std::string(code));
  if (start.size() > first + 5) response.reason = std::string(start.substr(first + 5));
  response.headers = parse_fields(lines);
  return response;
}

std::string format_response_head(const HTTPResponse& response, std::string_view version) {
  std::string head(version);
  head += ' ' + std::to_string(response.code) + ' ';
  head += response.reason.empty() ? std::string(reason_phrase(response.code)) : response.reason;
  head += "\r\n";
  for (const auto& [name, value] : response.headers.fields()) head += name + ": " + value + "\r\n";
  head += "\r\n";
  return head;
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

}  // namespace ch07
