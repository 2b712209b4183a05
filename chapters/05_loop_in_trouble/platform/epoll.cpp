#include "epoll.hpp"

#include <cerrno>
#include <string>
#include <system_error>

namespace ch05 {

EpollPoller::EpollPoller() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), buffer_(64) {
  if (!epoll_fd_) common::throw_errno("epoll_create1");
}

void EpollPoller::control(int op, int fd, unsigned events, const char* what) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_.get(), op, fd, &ev) != 0) {
    const int error = errno;
    std::string message = std::string("epoll: ") + what + " fd " + std::to_string(fd);
    if (error == EPERM) message += " (epoll cannot watch regular files or directories)";
    throw std::system_error(error, std::generic_category(), message);
  }
}

void EpollPoller::register_fd(int fd, unsigned events) {
  control(EPOLL_CTL_ADD, fd, events, "register");
}

void EpollPoller::modify(int fd, unsigned events) { control(EPOLL_CTL_MOD, fd, events, "modify"); }

void EpollPoller::unregister(int fd) {
  // An fd closed behind our back is already gone from the kernel's set (ENOENT or EBADF):
  // there is nothing left to undo, which is what the caller wanted.
  epoll_event ev{};
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, &ev);
}

Poller::Result EpollPoller::poll(std::optional<std::chrono::nanoseconds> timeout) {
  ready_.clear();
  const int n = ::epoll_wait(epoll_fd_.get(), buffer_.data(), static_cast<int>(buffer_.size()),
                             timeout_to_milliseconds(timeout));
  if (n < 0) {
    if (errno == EINTR) return {{}, true};
    common::throw_errno("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    ready_.push_back({buffer_[static_cast<std::size_t>(i)].data.fd,
                      buffer_[static_cast<std::size_t>(i)].events & (READ | WRITE | ERROR)});
  }
  // A full buffer means more may have been ready; the rest come next call (level-triggered),
  // and a bigger buffer takes them in one go from then on.
  if (static_cast<std::size_t>(n) == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  return {ready_, false};
}

}  // namespace ch05
