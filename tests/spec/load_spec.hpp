// The HTTP server under load from wrk: 32, 512 and 2,000 connections for two seconds each,
// with no errors, and afterwards the server holds no more descriptors and (nearly) no more
// memory than before. Loopback only; every run is bounded. Written once, run by chapter 8 (on
// poll and epoll) and chapter 10 (on io_uring's completion model too). The including file
// first includes its chapter's gen.hpp and httpserver.hpp, names the chapter (`namespace
// chapter = ch09;`) and says which backend a load runs on (`const char* chapter_backend(const
// char* asked)`); then it instantiates LoadedServer with its backends and sizes.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <tuple>

#include "common/testing/twin.hpp"
#include "common/testing/watchdog.hpp"
#include "loop_harness.hpp"
#include "server_spec.hpp"

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer's count of live heap bytes (g++ ships no header that declares it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace {

using namespace chapter;
using namespace std::chrono_literals;
using common::testing::run_command;
using ::testing::HasSubstr;
using ::testing::Not;

/// Descriptors this process has open now.
std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count - 1;  // the directory iterator's own
}

/// Bytes of heap in use (the main arena's, where the loop's thread allocates, and the big
/// blocks malloc maps on its own; under AddressSanitizer, its allocator's count).
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#endif
}

class LoadedServer : public ::testing::TestWithParam<std::tuple<const char*, int>> {
 protected:
  const char* backend = std::get<0>(GetParam());
  const int connections = std::get<1>(GetParam());
  IOLoop loop{chapter_backend(backend)};
  HTTPServer server{loop};
  int port = 0;

  void SetUp() override {
    spec::raise_fd_limit(8192);  // wrk inherits it too
    server.route("/hello", [](HTTPRequest) -> Coroutine<HTTPResponse> {
      HTTPResponse response;
      response.body = "Hello, world\n";
      co_return response;
    });
    port = server.listen(0, "127.0.0.1", 4096);  // wrk opens all its connections at once
  }
};

TEST_P(LoadedServer, WrkForTwoSecondsGetsNoErrorsAndLeavesNothingBehind) {
  if (run_command("command -v wrk").exit_status != 0) {
    FAIL() << "wrk is not installed: run ./tutorial setup";
  }
  // A first, small exchange, so the loop's own one-time allocations are in the baseline.
  loop.run_sync([&] { return loop.run_in_executor(nullptr, [p = port] {
    return run_command("curl -s http://127.0.0.1:" + std::to_string(p) + "/hello"); }); }, 30s);
  // ...and only once that exchange's connection is gone on the server too: curl has exited,
  // but the server learns of it a turn or more later (on the ring later still), and a baseline
  // that counted its socket would find one descriptor fewer at the end.
  spec::run_until(loop, [&] { return loop.suspended_coroutines() == 0; });
  loop.run_sync([] { return sleep(100ms); });
  const std::size_t descriptors_before = open_descriptors();
  const std::size_t heap_before = heap_in_use();

  const std::string command = "wrk -t2 -c" + std::to_string(connections) + " -d2s --timeout 5s " +
                              "http://127.0.0.1:" + std::to_string(port) + "/hello 2>&1";
  const auto result = common::testing::with_watchdog(60s, [&] {
    return loop.run_sync([&] { return loop.run_in_executor(nullptr, [command] { return run_command(command); }); },
                         45s);
  });
  // wrk has exited; its connections' ends reach the server on the next turns, and their
  // coroutines learn of it a turn or two after their sockets close (on the ring, hundreds
  // of ends complete in one turn).
  spec::run_until(loop, [&] {
    return open_descriptors() <= descriptors_before && loop.suspended_coroutines() == 0;
  });

  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("Requests/sec"));
  EXPECT_THAT(result.output, Not(HasSubstr("Socket errors"))) << result.output;
  EXPECT_THAT(result.output, Not(HasSubstr("Non-2xx"))) << result.output;
  EXPECT_GE(server.connections_accepted(), static_cast<std::size_t>(connections));
  EXPECT_EQ(open_descriptors(), descriptors_before);
  EXPECT_EQ(loop.suspended_coroutines(), 0u) << "a connection's coroutine outlived its client";
  // What may stay: capacity the loop's tables keep once grown (hash buckets, timer slots),
  // a few hundred bytes a connection at most; no buffer, stream or frame of any connection.
  EXPECT_LT(heap_in_use(), heap_before + 256 * static_cast<std::size_t>(connections) + 64 * 1024);
}

// A client asks for 8 MiB and never reads it. What the server holds meanwhile is the answer
// once (no copies of it), and send_timeout frees even that.
TEST(StalledReader, AnAnswerNobodyReadsIsHeldOnceThenDroppedAtTheSendTimeout) {
  constexpr std::size_t size = 8 * 1024 * 1024;
  IOLoop loop{"epoll"};
  HTTPServer::Options options;
  options.send_timeout = 300ms;
  HTTPServer server{loop, options};
  server.route("/big", [](HTTPRequest) -> Coroutine<HTTPResponse> {
    HTTPResponse response;
    response.body = std::string(size, 'b');
    co_return response;
  });
  const int port = server.listen(0);
  common::Fd client = spec::connect_to_loopback(port);
  const int small = 64 * 1024;
  ::setsockopt(client.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const std::size_t heap_before = heap_in_use();

  common::write_all(client.get(), "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  spec::run_until(loop, [&] { return server.requests_served() == 1; });
  loop.run_sync([] { return sleep(50ms); });  // the kernel has taken what it will take
  const std::size_t heap_while_stalled = heap_in_use();
  std::size_t heap_after = 0;
  spec::run_until(loop, [&] {
    heap_after = heap_in_use();
    return heap_after < heap_before + size / 2;
  });

  EXPECT_GT(heap_while_stalled, heap_before + size / 2) << "the answer should still be held";
  EXPECT_LT(heap_while_stalled, heap_before + size + size / 2) << "held more than once";
  EXPECT_LT(heap_after, heap_before + size / 2);
  EXPECT_EQ(loop.suspended_coroutines(), 0u);  // the connection is gone
}

/// Names each load after its backend and size: "epoll_512_connections".
inline std::string load_name(const ::testing::TestParamInfo<std::tuple<const char*, int>>& load) {
  return std::string(std::get<0>(load.param)) + "_" + std::to_string(std::get<1>(load.param)) + "_connections";
}

}  // namespace
