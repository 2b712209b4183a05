// A small HTTP/1.1 server: one coroutine per connection, reading requests as if it blocked.
// Tornado: httpserver.py (HTTPServer) and http1connection.py (HTTP1ServerConnection).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "gen.hpp"
#include "httputil.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "tcpserver.hpp"

namespace ch09 {

class HTTPServer {
 public:
  /// A route's handler: a coroutine from the request to the response. It takes the request
  /// by value (a coroutine keeps its parameters; a reference could dangle while it waits).
  using Handler = std::function<Coroutine<HTTPResponse>(HTTPRequest request)>;

  /// Every limit a client can run into. Breaking a size limit is answered (431, 413) and
  /// closes the connection; running out of time closes it without an answer.
  struct Options {
    std::size_t max_header_size = 64 * 1024;      // the request head; bigger: 431
    std::size_t max_body_size = 10 * 1024 * 1024;  // the body, however framed; bigger: 413
    /// No byte of a request for this long (a new connection, or a kept-alive one between
    /// requests): closed. Tornado: idle_connection_timeout (3600 s); nginx keeps 75 s.
    IOLoop::duration idle_timeout = std::chrono::seconds(60);
    /// From a request's first byte, its whole head must arrive within this, however it
    /// trickles in (a slowloris client). Tornado: header_timeout.
    IOLoop::duration header_timeout = std::chrono::seconds(30);
    /// The whole body must arrive within this, from the end of the head. Tornado: body_timeout.
    IOLoop::duration body_timeout = std::chrono::seconds(60);
    /// A response the client takes no byte of for this long: closed (a client that reads
    /// slowly but reads is never cut). nginx: send_timeout, 60 s.
    IOLoop::duration send_timeout = std::chrono::seconds(60);
    /// Out of descriptors (EMFILE): how long to stop accepting before looking again.
    IOLoop::duration accept_pause = std::chrono::milliseconds(100);
  };

  explicit HTTPServer(IOLoop& loop);
  HTTPServer(IOLoop& loop, Options options);

  /// Serves `handler` for requests whose path is exactly `path` (GET, HEAD and POST; OPTIONS
  /// is answered for it, and for "*", with the methods we allow).
  void route(std::string path, Handler handler);
  /// Serves one connected stream as an accepted connection is served (TCPServer calls it for
  /// each one); `remote` is the peer's "address:port". Returns at once: a coroutine serves it.
  void handle_stream(std::shared_ptr<IOStream> stream, std::string remote);
  /// Listens like TCPServer::listen; returns the port. A server that expects bursts of
  /// thousands of new connections wants a backlog to match.
  int listen(int port = 0, const std::string& address = "127.0.0.1", int backlog = TCPServer::default_backlog) {
    return tcp_.listen(port, address, backlog);
  }
  void stop() { tcp_.stop(); }

  std::size_t requests_served() const noexcept { return shared_->requests; }
  std::size_t connections_accepted() const noexcept { return tcp_.accepted(); }

 private:
  // What a connection's coroutine needs. Shared, not reached through `this`: a connection
  // may outlive the server object (stop() only stops accepting), and must not dangle.
  struct Shared {
    IOLoop& loop;
    Options options;
    std::map<std::string, Handler> routes;
    std::size_t requests = 0;
  };

  // The connection's whole life: read a request, answer it, repeat while keep-alive holds.
  static Coroutine<void> serve(std::shared_ptr<Shared> shared, std::shared_ptr<IOStream> stream,
                               std::string remote);
  // One request, head and body, each step within its timeout. Fails with HTTPInputError (the
  // status to answer) or StreamClosedError (the client left, or a timeout closed it).
  static Coroutine<HTTPRequest> read_request(std::shared_ptr<Shared> shared, std::shared_ptr<IOStream> stream,
                                             std::string remote);
  static Coroutine<HTTPResponse> dispatch(std::shared_ptr<Shared> shared, HTTPRequest request);
  // The head, then the body (moved, never copied), within send_timeout. False: the client left.
  static Coroutine<bool> write_response(std::shared_ptr<Shared> shared, std::shared_ptr<IOStream> stream,
                                        std::string head, std::string body);

  std::shared_ptr<Shared> shared_;
  TCPServer tcp_;
};

}  // namespace ch09
