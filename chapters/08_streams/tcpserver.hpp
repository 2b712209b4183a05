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

namespace ch08 {

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

  /// Tornado's default backlog: how many finished handshakes the kernel queues for us
  /// between two accept rounds. A burst bigger than this waits for SYN retries (1 s, 3 s...).
  static constexpr int default_backlog = 128;

  /// Binds to address:port and listens; port 0 lets the kernel pick a free one. Returns the
  /// port actually bound. Throws std::system_error naming the address when it cannot.
  int listen(int port = 0, const std::string& address = "127.0.0.1", int backlog = default_backlog);
  /// Closes every listening socket.
  void stop();
  std::size_t accepted() const noexcept { return accepted_; }
  /// Connections closed at once because the backend could not watch their fd (select).
  std::size_t refused() const noexcept { return refused_; }

  /// How long to stop accepting when the process (EMFILE) or the system (ENFILE) is out of
  /// descriptors. The listening socket stays readable while clients wait, so retrying on
  /// every turn would spin a core; we look again after this pause. Default 100 ms.
  void set_accept_pause(IOLoop::duration pause) { accept_pause_ = pause; }
  bool accepting() const noexcept { return !paused_; }

 private:
  // Tornado's docs call it connection_ready: take every pending connection, until EAGAIN.
  void accept_ready(int listening_fd);
  // Out of descriptors: stop watching the listening sockets, look again after a pause.
  void pause_accepting(int error);
  void resume_accepting();
  // A connection on an fd the backend cannot watch: closed now, one log line a second.
  void refuse(common::Fd connection);

  IOLoop& loop_;
  HandleStream handle_stream_;
  IOStream::Options stream_options_;
  std::vector<common::Fd> sockets_;
  std::weak_ptr<const bool> alive_;
  std::size_t accepted_ = 0;

  IOLoop::duration accept_pause_ = std::chrono::milliseconds(100);
  bool paused_ = false;
  IOLoop::Timeout resume_timer_;
  std::size_t pauses_this_episode_ = 0;  // 0: not out of descriptors
  std::size_t refused_ = 0;
  std::size_t refused_unreported_ = 0;
  IOLoop::time_point next_refusal_report_{};
};

}  // namespace ch08
