// Accepting connections: a listening socket in the loop, and a stream for every client.
// Tornado: tcpserver.py, TCPServer (and the connection_ready example in ioloop.py's docs).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"

namespace ch07 {

class TCPServer {
 public:
  /// Called on the loop's thread for every accepted connection, with its stream and the
  /// peer's "address:port". Usually it starts a coroutine per connection and returns.
  using HandleStream = std::function<void(std::shared_ptr<IOStream> stream, std::string address)>;

  TCPServer(IOLoop& loop, HandleStream handle_stream);
  TCPServer(IOLoop& loop, HandleStream handle_stream, IOStream::Options stream_options);
  /// Stops listening (connections already accepted are not closed).
  ~TCPServer();
  TCPServer(const TCPServer&) = delete;
  TCPServer& operator=(const TCPServer&) = delete;

  /// Binds to address:port and listens; port 0 lets the kernel pick a free one. Returns the
  /// port actually bound. Throws std::system_error naming the address when it cannot.
  int listen(int port = 0, const std::string& address = "127.0.0.1");
  /// Closes every listening socket.
  void stop();
  std::size_t accepted() const noexcept { return accepted_; }

 private:
  // Tornado's docs call it connection_ready: take every pending connection, until EAGAIN.
  void accept_ready(int listening_fd);

  IOLoop& loop_;
  HandleStream handle_stream_;
  IOStream::Options stream_options_;
  std::vector<common::Fd> sockets_;
  std::weak_ptr<const bool> alive_;
  std::size_t accepted_ = 0;
};

}  // namespace ch07
