#include "select.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>

#include "common/fd.hpp"

namespace ch10 {

void SelectPoller::register_fd(int fd, unsigned events) {
  if (fd >= FD_SETSIZE) {
    throw std::invalid_argument("select: fd " + std::to_string(fd) + " is >= FD_SETSIZE (" +
                                std::to_string(FD_SETSIZE) +
                                "), which an fd_set cannot hold; use the poll or epoll backend");
  }
  if (!interest_.emplace(fd, events).second) {
    throw std::invalid_argument("select: fd " + std::to_string(fd) + " is already registered");
  }
}

void SelectPoller::modify(int fd, unsigned events) {
  const auto it = interest_.find(fd);
  if (it == interest_.end()) {
    throw std::invalid_argument("select: fd " + std::to_string(fd) + " is not registered");
  }
  it->second = events;
}

void SelectPoller::unregister(int fd) { interest_.erase(fd); }

Poller::Result SelectPoller::poll(std::optional<std::chrono::nanoseconds> timeout) {
  // The sets are rebuilt for every call: select overwrites them with its answer. This copy,
  // and the kernel's walk over every fd up to the highest, is why select's cost grows with
  // the number of registered descriptors rather than the number of ready ones.
  fd_set readable, writable, exceptional;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_ZERO(&exceptional);
  for (const auto& [fd, events] : interest_) {
    if (events & READ) FD_SET(fd, &readable);
    if (events & WRITE) FD_SET(fd, &writable);
    FD_SET(fd, &exceptional);  // ERROR is always watched, as in Tornado's shim
  }
  const int nfds = interest_.empty() ? 0 : interest_.rbegin()->first + 1;

  timeval tv{};
  timeval* tvp = nullptr;
  if (timeout) {
    const auto us = std::chrono::ceil<std::chrono::microseconds>(std::max(*timeout, std::chrono::nanoseconds::zero()));
    tv.tv_sec = static_cast<time_t>(us.count() / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(us.count() % 1'000'000);
    tvp = &tv;
  }

  ready_.clear();
  const int n = ::select(nfds, &readable, &writable, &exceptional, tvp);
  if (n < 0) {
    if (errno == EINTR) return {{}, true};
    if (errno == EBADF) {
      // Some registered fd was closed behind our back; select will not say which, so we
      // ask each one. Reporting it as CLOSED lets the loop drop it instead of dying.
      for (const auto& [fd, events] : interest_) {
        if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF) ready_.push_back({fd, CLOSED});
      }
      if (!ready_.empty()) return {ready_, false};
      errno = EBADF;
    }
    common::throw_errno("select");
  }
  for (const auto& [fd, events] : interest_) {
    unsigned got = 0;
    if (FD_ISSET(fd, &readable)) got |= READ;
    if (FD_ISSET(fd, &writable)) got |= WRITE;
    if (FD_ISSET(fd, &exceptional)) got |= ERROR;
    if (got != 0) ready_.push_back({fd, got});
  }
  return {ready_, false};
}

}  // namespace ch10
