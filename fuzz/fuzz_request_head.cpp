// libFuzzer target: the server's request-head parser, on any bytes.
// A malformed head must come back as HTTPInputError (which the server answers with its
// code); any other exception escaping, or a sanitizer report, is a bug libFuzzer keeps.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "09_http/httputil.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  try {
    const ch09::HTTPRequest request = ch09::parse_request_head(head);
    // What the handlers then do with a parsed request: look up headers and query arguments.
    (void)request.headers.get("Content-Length");
    (void)request.headers.contains("connection");
    (void)request.argument("url");
    (void)request.argument("");
  } catch (const ch09::HTTPInputError& e) {
    if (e.code() < 400 || e.code() > 599) __builtin_trap();  // must be a client error to send
  }
  return 0;
}
