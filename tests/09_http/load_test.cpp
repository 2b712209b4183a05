// Chapter 9's HTTP server under load from wrk: the rules are written once, in
// tests/spec/load_spec.hpp; this file names the chapter and its backends.
#include <string>

#include "09_http/gen.hpp"
#include "09_http/httpserver.hpp"

namespace chapter = ch09;
inline const char* chapter_backend(const char* asked) { return asked; }

#include "load_spec.hpp"

namespace {

INSTANTIATE_TEST_SUITE_P(ch09, LoadedServer,
                         ::testing::Combine(::testing::Values("poll", "epoll"), ::testing::Values(32, 512, 2000)),
                         load_name);

}  // namespace
