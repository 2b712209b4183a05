// Chapter 9's servers and client against real clients: the rules are written once, in
// tests/spec/real_tcp_clients_spec.hpp and real_clients_spec.hpp; this file names the chapter
// and its backends.
#include <string>

#include "09_http/gen.hpp"
#include "09_http/httpclient.hpp"
#include "09_http/httpserver.hpp"
#include "09_http/tcpserver.hpp"

namespace chapter = ch09;
inline const char* chapter_backend(const char* asked) { return asked; }

#include "real_clients_spec.hpp"

namespace {

INSTANTIATE_TEST_SUITE_P(ch09, RealTcpClients, ::testing::Values("epoll"),
                         [](const auto& backend) { return std::string(backend.param); });
INSTANTIATE_TEST_SUITE_P(ch09, RealClients, ::testing::Values("epoll"),
                         [](const auto& backend) { return std::string(backend.param); });

}  // namespace
