// The streams chapter's TCPServer and IOStream driven by a program nobody in this project
// wrote: netcat. Written once, run by every chapter from 8 (streams) on; the HTTP chapter's
// real clients (real_clients_spec.hpp) build on this fixture. The including file first
// includes its chapter's gen.hpp and tcpserver.hpp, names the chapter (`namespace chapter =
// ch08;`) and says which backend a test runs on (`const char* chapter_backend(const char*
// asked)`); then it instantiates RealTcpClients with its backends.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/testing/twin.hpp"
#include "common/testing/watchdog.hpp"

namespace {

using namespace chapter;
using namespace std::chrono_literals;
using common::testing::run_command;

void require_tool(const std::string& tool) {
  if (run_command("command -v " + tool + " >/dev/null 2>&1 && echo yes").output != "yes\n") {
    FAIL() << tool << " is not installed: run ./tutorial setup (it installs curl, netcat and wrk)";
  }
}

// One test per backend the chapter names when it instantiates the suite.
class RealTcpClients : public ::testing::TestWithParam<const char*> {
 protected:
  IOLoop loop{chapter_backend(GetParam())};

  /// Runs a shell command on a worker while the loop keeps serving; returns its output.
  common::testing::ProcessResult run_beside_the_loop(const std::string& command) {
    return common::testing::with_watchdog(60s, [&] {
      return loop.run_sync(
          [&] { return loop.run_in_executor(nullptr, [command] { return run_command(command); }); },
          45s);
    });
  }

};

TEST_P(RealTcpClients, NetcatSendsTheDocsMessageToATcpServer) {
  require_tool("nc");
  std::vector<std::string> messages;
  // The server from Tornado's IOLoop docs: read until the client closes, then print it.
  TCPServer docs_server(loop, [&](std::shared_ptr<IOStream> stream, std::string) {
    [](std::shared_ptr<IOStream> s, std::vector<std::string>& out) -> Coroutine<void> {
      out.push_back("message from client: " + co_await s->read_until_close());
    }(std::move(stream), messages);
  });
  const int docs_port = docs_server.listen(0);

  const auto result = run_beside_the_loop("printf 'hello from nc' | nc -N 127.0.0.1 " +
                                          std::to_string(docs_port));
  loop.run_sync([] { return sleep(50ms); });  // the server's coroutine runs on its turn

  EXPECT_EQ(result.exit_status, 0);
  EXPECT_THAT(messages, ::testing::ElementsAre("message from client: hello from nc"));
}

}  // namespace
