// Chapter 8's TCPServer and IOStream against a real client: the rules are written once, in
// tests/spec/real_tcp_clients_spec.hpp; this file names the chapter and its backends.
#include <string>

#include "08_streams/gen.hpp"
#include "08_streams/tcpserver.hpp"

namespace chapter = ch08;
inline const char* chapter_backend(const char* asked) { return asked; }

#include "real_tcp_clients_spec.hpp"

namespace {

INSTANTIATE_TEST_SUITE_P(ch08, RealTcpClients, ::testing::Values("epoll"),
                         [](const auto& backend) { return std::string(backend.param); });

}  // namespace
