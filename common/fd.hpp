// Small descriptor utilities every chapter uses; none of them is the subject of a chapter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace common {

/// Throws std::system_error for the current errno, with `what` naming the call that failed.
[[noreturn]] void throw_errno(std::string_view what);

/// An owned file descriptor: closed when the Fd is destroyed, movable, never copied.
/// It has `fileno()` and `close()`, so an IOLoop accepts it wherever it accepts a file object.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(); }

  int get() const noexcept { return fd_; }
  int fileno() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  /// Gives up ownership: the caller now closes the descriptor.
  int release() noexcept;
  /// Closes now (errors ignored, as Tornado's close_fd does); a second call does nothing.
  void close() noexcept;

 private:
  int fd_ = -1;
};

/// Both ends non-blocking and close-on-exec, as Tornado's waker pipe is.
struct Pipe {
  Fd read_end;
  Fd write_end;
};
Pipe make_pipe();

/// A connected pair of UNIX stream sockets, both non-blocking and close-on-exec.
struct SocketPair {
  Fd first;
  Fd second;
};
SocketPair make_socketpair();

void set_nonblocking(int fd);
void set_cloexec(int fd);

/// Writes all of `data` to a blocking-or-not fd, retrying on EINTR; throws on any other error
/// (EAGAIN included: the helpers are for tests and demos, which write small messages).
void write_all(int fd, std::string_view data);
/// Reads whatever is available now (at most `max` bytes); "" on EAGAIN or end of file.
std::string read_some(int fd, std::size_t max = 4096);

}  // namespace common
