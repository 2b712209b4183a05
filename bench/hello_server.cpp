// Chapter 7's hello-world HTTP server, alone in its process, so that a tool outside it can
// watch what one request costs: bench/count_syscalls runs it under strace while wrk drives it.
//   hello_server BACKEND PORT_FILE [--moment]
// serves on 127.0.0.1 at a free port, writes the port to PORT_FILE, and runs until SIGTERM or
// SIGINT. With --moment the handler first yields to the loop once (`co_await moment`), as a
// handler that waits for anything does: the stream then sits idle for a turn mid-request.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "final_chapter.hpp"

namespace chapter = final_chapter;

namespace {
chapter::IOLoop* running = nullptr;
}

int main(int argc, char** argv) {
  const bool yield_once = argc == 4 && std::string(argv[3]) == "--moment";
  if (argc != 3 && !yield_once) {
    std::cerr << "usage: hello_server select|poll|epoll PORT_FILE [--moment]\n";
    return 2;
  }
  chapter::IOLoop loop(argv[1]);
  chapter::HTTPServer http(loop);
  http.route("/", [yield_once](chapter::HTTPRequest) -> chapter::Coroutine<chapter::HTTPResponse> {
    if (yield_once) co_await chapter::moment;
    chapter::HTTPResponse response;
    response.body = "Hello, world";
    co_return response;
  });
  std::ofstream(argv[2]) << http.listen(0) << '\n';
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
