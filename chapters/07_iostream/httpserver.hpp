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

namespace ch07 {

class HTTPServer {
 public:
  /// A route's handler: a coroutine from the request to the response. It takes the request
  /// by value (a coroutine keeps its parameters; a reference could dangle while it waits).
  using Handler = std::function<Coroutine<HTTPResponse>(HTTPRequest request)>;

  struct Options {
    std::size_t max_header_size = 64 * 1024;         // bigger: 431
    std::size_t max_body_size = 10 * 1024 * 1024;     // bigger: 413
    IOLoop::duration idle_timeout = std::chrono::seconds(60);  // no request for this long: close
  };

  explicit HTTPServer(IOLoop& loop);
  HTTPServer(IOLoop& loop, Options options);

  /// Serves `handler` for requests whose path is exactly `path` (GET, HEAD and POST).
  void route(std::string path, Handler handler);
  /// Listens like TCPServer::listen; returns the port.
  int listen(int port = 0, const std::string& address = "127.0.0.1") { return tcp_.listen(port, address); }
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
  static Coroutine<HTTPResponse> dispatch(std::shared_ptr<Shared> shared, HTTPRequest request);

  std::shared_ptr<Shared> shared_;
  TCPServer tcp_;
};

}  // namespace ch07
