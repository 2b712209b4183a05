// Chapter 7's servers and client against real clients: the rules are written once, in
// tests/spec/real_clients_spec.hpp; this file names the chapter and its backends.
#include <string>

#include "07_iostream/gen.hpp"
#include "07_iostream/httpclient.hpp"
#include "07_iostream/httpserver.hpp"
#include "07_iostream/tcpserver.hpp"

namespace chapter = ch07;
inline const char* chapter_backend(const char* asked) { return asked; }

#include "real_clients_spec.hpp"

namespace {

INSTANTIATE_TEST_SUITE_P(ch07, RealClients, ::testing::Values("epoll"),
                         [](const auto& backend) { return std::string(backend.param); });

}  // namespace
