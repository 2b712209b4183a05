// The loop every benchmark measures: the newest complete chapter's.
// To measure a later chapter, change the includes and the alias below, and the dependency
// `final_chapter_dep` in bench/meson.build; no benchmark names a chapter anywhere else.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "10_io_uring/examples.hpp"     // chapter 1's hand-written state machines (Counter)
#include "10_io_uring/gen.hpp"          // Coroutine<T>, coroutine(), moment, multi
#include "10_io_uring/httpserver.hpp"   // HTTPServer, for http_servers.cpp
#include "10_io_uring/ioloop.hpp"       // IOLoop, make_poller, Future
#include "10_io_uring/tcpserver.hpp"    // TCPServer: our server's streams with chosen Options

// Chapter 10 adds a fourth backend, "uring" (readiness over io_uring), and the completion
// model: on a uring loop an IOStream hands its reads and writes to the ring, unless its
// Options say use_ring = false. The kernel may refuse io_uring at run time (a sandbox,
// kernel.io_uring_disabled): make_poller("uring") then throws std::system_error, and every
// uring row skips with that message.
namespace final_chapter = ch10;

namespace bench {

/// Starts `http` listening on a free port and returns the port. With `readiness` (the rows
/// called "uring-readiness"), a TCPServer accepts instead, with streams that keep chapter 8's
/// readiness code on a uring loop (IOStream::Options::use_ring = false), and hands each
/// connection to `http` (HTTPServer takes no stream options); `tcp` keeps that server.
inline int listen_hello(final_chapter::IOLoop& loop, final_chapter::HTTPServer& http, bool readiness,
                        std::optional<final_chapter::TCPServer>& tcp) {
  if (!readiness) return http.listen(0);
  tcp.emplace(
      loop,
      [&http](std::shared_ptr<final_chapter::IOStream> stream, std::string remote) {
        http.handle_stream(std::move(stream), std::move(remote));
      },
      final_chapter::IOStream::Options{.use_ring = false});
  return tcp->listen(0);
}

}  // namespace bench
