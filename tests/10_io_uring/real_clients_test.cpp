// Chapter 10's servers and client against real clients: the rules are written once, in
// tests/spec/real_tcp_clients_spec.hpp and real_clients_spec.hpp; this file names the chapter
// and its backends.
#include <string>

#include "10_io_uring/gen.hpp"
#include "10_io_uring/httpclient.hpp"
#include "10_io_uring/httpserver.hpp"
#include "10_io_uring/tcpserver.hpp"
#include "backends.hpp"

namespace chapter = ch10;
/// io_uring may be refused by the kernel or a sandbox: its half is then skipped, with the reason.
inline const char* chapter_backend(const char* asked) { return ch10_tests::backend_or_skip(asked); }

#include "real_clients_spec.hpp"

namespace {

INSTANTIATE_TEST_SUITE_P(ch10, RealTcpClients, ::testing::Values("epoll", "uring"),
                         [](const auto& backend) { return std::string(backend.param); });
INSTANTIATE_TEST_SUITE_P(ch10, RealClients, ::testing::Values("epoll", "uring"),
                         [](const auto& backend) { return std::string(backend.param); });

}  // namespace
