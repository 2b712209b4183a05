// Chapter 9's hello-world HTTP server, alone in its process, so that a tool outside it can
// watch what one request costs: bench/count_syscalls runs it under strace while wrk drives it.
//   hello_server BACKEND PORT_FILE [--moment]
// BACKEND is select, poll, epoll, uring (chapter 10's completion model: the ring does the
// streams' recv and send) or uring-readiness (a uring loop whose streams keep chapter 8's
// readiness code, IOStream::Options::use_ring = false). Where io_uring is refused, the uring
// backends exit with status 3 and the loop's message, and write no port.
// serves on 127.0.0.1 at a free port, writes the port to PORT_FILE, and runs until SIGTERM or
// SIGINT. With --moment the handler first yields to the loop once (`co_await moment`), as a
// handler that waits for anything does: the stream then sits idle for a turn mid-request.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "final_chapter.hpp"

namespace chapter = final_chapter;

namespace {
chapter::IOLoop* running = nullptr;
}

int main(int argc, char** argv) {
  const bool yield_once = argc == 4 && std::string(argv[3]) == "--moment";
  if (argc != 3 && !yield_once) {
    std::cerr << "usage: hello_server select|poll|epoll|uring|uring-readiness PORT_FILE [--moment]\n";
    return 2;
  }
  const bool readiness = std::string_view(argv[1]) == "uring-readiness";
  std::unique_ptr<chapter::IOLoop> made;
  try {
    made = std::make_unique<chapter::IOLoop>(readiness ? "uring" : argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "hello_server: " << argv[1] << ": " << e.what() << '\n';
    return 3;
  }
  chapter::IOLoop& loop = *made;
  chapter::HTTPServer http(loop);
  http.route("/", [yield_once](chapter::HTTPRequest) -> chapter::Coroutine<chapter::HTTPResponse> {
    if (yield_once) co_await chapter::moment;
    chapter::HTTPResponse response;
    response.body = "Hello, world";
    co_return response;
  });
  std::optional<chapter::TCPServer> readiness_tcp;
  std::ofstream(argv[2]) << bench::listen_hello(loop, http, readiness, readiness_tcp) << '\n';
  running = &loop;
  // The loop's own signal-safe door: stop() belongs to the loop thread, so the handler asks
  // the loop to call it (a clean exit lets strace print its totals).
  for (int signal : {SIGTERM, SIGINT}) {
    std::signal(signal, [](int) { running->add_callback_from_signal([](void*) { running->stop(); }); });
  }
  loop.start();
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  return 0;
}
