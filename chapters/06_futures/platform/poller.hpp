// The one question the loop asks the operating system, behind one interface: "which of
// these descriptors are ready?". Tornado: the shape of PollIOLoop's `_impl` object
// (register, modify, unregister, poll), from platform/epoll.py, kqueue.py and select.py.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ch06 {

/// One ready descriptor as a poller reports it; the bits are IOLoop::READ/WRITE/ERROR.
struct Event {
  int fd;
  unsigned events;
};

class Poller {
 public:
  // The bits are epoll's (and poll's) own, as Tornado's are, so neither backend translates.
  static constexpr unsigned READ = 0x001;            // EPOLLIN / POLLIN
  static constexpr unsigned WRITE = 0x004;           // EPOLLOUT / POLLOUT
  static constexpr unsigned ERROR = 0x008 | 0x010;   // EPOLLERR|EPOLLHUP / POLLERR|POLLHUP
  /// Reported, never requested: the fd was closed while still registered (POLLNVAL, or
  /// select's EBADF). The loop drops such an fd instead of polling it forever.
  static constexpr unsigned CLOSED = 0x020;

  /// What one poll found. `interrupted` means a signal cut the wait short (EINTR): nothing
  /// is ready, and the caller simply goes round again.
  struct Result {
    std::span<const Event> events;
    bool interrupted = false;
  };

  virtual ~Poller() = default;

  virtual std::string_view name() const = 0;
  /// Starts watching `fd` for `events` ("register" is a C++ keyword, hence the suffix).
  virtual void register_fd(int fd, unsigned events) = 0;
  virtual void modify(int fd, unsigned events) = 0;
  virtual void unregister(int fd) = 0;
  /// Waits until something is ready or `timeout` passes (std::nullopt: no limit). The
  /// returned events stay valid until the next call.
  virtual Result poll(std::optional<std::chrono::nanoseconds> timeout) = 0;
};

/// "select", "poll", "epoll", or "default" (the best this platform has: epoll on Linux).
/// Any other name throws std::invalid_argument naming the choices.
std::unique_ptr<Poller> make_poller(std::string_view name = "default");

/// The names make_poller accepts, best last.
std::vector<std::string_view> poller_names();

/// Milliseconds for poll(2) and epoll_wait(2): rounded up, so a wait for 0.3 ms sleeps 1 ms
/// instead of returning at once and spinning; -1 (forever) for no timeout.
int timeout_to_milliseconds(std::optional<std::chrono::nanoseconds> timeout);

}  // namespace ch06
