#include "tcpserver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "common/log.hpp"

namespace ch08 {
namespace {

std::string describe(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
    port = ntohs(in.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
    port = ntohs(in6.sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

TCPServer::TCPServer(IOLoop& loop, HandleStream handle_stream)
    : TCPServer(loop, std::move(handle_stream), IOStream::Options{}) {}

TCPServer::TCPServer(IOLoop& loop, HandleStream handle_stream, IOStream::Options stream_options)
    : loop_(loop),
      handle_stream_(std::move(handle_stream)),
      stream_options_(stream_options),
      alive_(loop.alive_token()) {
  if (!handle_stream_) throw std::invalid_argument("TCPServer: the stream handler is empty");
}

TCPServer::~TCPServer() { stop(); }

int TCPServer::listen(int port, const std::string& address, int backlog) {
  const std::string where = address + ":" + std::to_string(port);
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* in = reinterpret_cast<sockaddr_in*>(&storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, address.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument("TCPServer::listen: \"" + address + "\" is not a numeric address");
  }
  common::Fd socket(::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket) common::throw_errno("TCPServer::listen: socket for " + where);
  const int on = 1;
  // A restarted server may bind again at once, while old connections sit in TIME_WAIT.
  ::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    common::throw_errno("TCPServer::listen: bind " + where);
  }
  if (::listen(socket.get(), backlog) != 0) common::throw_errno("TCPServer::listen: listen " + where);
  socklen_t bound_length = sizeof storage;
  ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&storage), &bound_length);
  const int bound = ntohs(storage.ss_family == AF_INET ? in->sin_port : in6->sin6_port);

  loop_.add_handler(socket.get(), [this](int fd, unsigned) { accept_ready(fd); }, IOLoop::READ);
  sockets_.push_back(std::move(socket));
  return bound;
}

void TCPServer::stop() {
  const bool loop_alive = !alive_.expired() && !loop_.closed();
  if (loop_alive) loop_.remove_timeout(resume_timer_);
  for (common::Fd& socket : sockets_) {
    if (loop_alive) loop_.remove_handler(socket.get());
    socket.close();
  }
  sockets_.clear();
  paused_ = false;
}

void TCPServer::accept_ready(int listening_fd) {
  // Every connection the kernel has ready, not one per turn: under load the queue fills
  // faster than the loop turns. (Several processes sharing one listening socket would all
  // wake here for one client: the thundering herd. One process, one loop: no herd.)
  while (true) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = ::accept4(listening_fd, reinterpret_cast<sockaddr*>(&peer), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // taken them all
      if (errno == EINTR || errno == ECONNABORTED) continue;  // the client gave up first
      // EMFILE, ENFILE, ENOBUFS, ENOMEM, or worse: the connection stays queued in the kernel
      // and the socket stays readable. Tornado 4.5 logs and retries at once, every turn.
      pause_accepting(errno);
      return;
    }
    common::Fd connection(fd);
    if (pauses_this_episode_ != 0) {
      common::log(common::LogLevel::warning,
                  "TCPServer: accepting again, after " + std::to_string(pauses_this_episode_) +
                      " pause(s) for lack of descriptors");
      pauses_this_episode_ = 0;
    }
    if (!loop_.can_watch(fd)) {
      refuse(std::move(connection));
      continue;
    }
    const int on = 1;
    // Responses go out in one write each; do not let Nagle hold a small one back.
    ::setsockopt(connection.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ++accepted_;
    auto stream = std::make_shared<IOStream>(loop_, std::move(connection), stream_options_);
    try {
      handle_stream_(std::move(stream), describe(peer));
    } catch (const std::exception& e) {
      common::log(common::LogLevel::error, std::string("TCPServer: error in the stream handler: ") + e.what());
    }
  }
}

void TCPServer::pause_accepting(int error) {
  if (pauses_this_episode_++ == 0) {  // one line per episode, not one per turn
    common::log(common::LogLevel::error,
                std::string("TCPServer: cannot accept: ") + std::strerror(error) +
                    "; not accepting for " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(accept_pause_).count()) +
                    " ms at a time until descriptors are free");
  }
  paused_ = true;
  for (const common::Fd& socket : sockets_) loop_.update_handler(socket.get(), IOLoop::NONE);
  resume_timer_ = loop_.call_later(accept_pause_, [this] { resume_accepting(); });
}

void TCPServer::resume_accepting() {
  paused_ = false;
  for (const common::Fd& socket : sockets_) loop_.update_handler(socket.get(), IOLoop::READ);
}

void TCPServer::refuse(common::Fd connection) {
  connection.close();  // the client sees the connection end at once, not a silent hang
  ++refused_;
  ++refused_unreported_;
  if (loop_.time() < next_refusal_report_) return;
  common::log(common::LogLevel::error,
              "TCPServer: refused " + std::to_string(refused_unreported_) +
                  " connection(s): their descriptors are beyond what the " +
                  std::string(loop_.poller_name()) + " backend can watch; use poll or epoll for more");
  refused_unreported_ = 0;
  next_refusal_report_ = loop_.time() + std::chrono::seconds(1);
}

}  // namespace ch08
