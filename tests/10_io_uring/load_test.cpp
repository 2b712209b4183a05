// Chapter 10's HTTP server under load from wrk: the rules are written once, in
// tests/spec/load_spec.hpp; this file names the chapter and its backends.
#include <string>

#include "10_io_uring/gen.hpp"
#include "10_io_uring/httpserver.hpp"
#include "backends.hpp"

namespace chapter = ch10;
/// io_uring may be refused by the kernel or a sandbox: its loads are then skipped, with the reason.
inline const char* chapter_backend(const char* asked) { return ch10_tests::backend_or_skip(asked); }

#include "load_spec.hpp"

namespace {

INSTANTIATE_TEST_SUITE_P(ch10, LoadedServer,
                         ::testing::Combine(::testing::Values("poll", "epoll", "uring"), ::testing::Values(32, 512, 2000)),
                         load_name);

}  // namespace
