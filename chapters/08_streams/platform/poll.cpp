#include "poll.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>

#include "common/fd.hpp"

namespace ch08 {

void PollPoller::register_fd(int fd, unsigned events) {
  if (!index_.emplace(fd, pollfds_.size()).second) {
    throw std::invalid_argument("poll: fd " + std::to_string(fd) + " is already registered");
  }
  pollfds_.push_back({fd, static_cast<short>(events), 0});
}

void PollPoller::modify(int fd, unsigned events) {
  const auto it = index_.find(fd);
  if (it == index_.end()) {
    throw std::invalid_argument("poll: fd " + std::to_string(fd) + " is not registered");
  }
  pollfds_[it->second].events = static_cast<short>(events);
}

void PollPoller::unregister(int fd) {
  const auto it = index_.find(fd);
  if (it == index_.end()) return;
  // Move the last slot into the hole, so removal is O(1) and the array stays dense.
  const std::size_t slot = it->second;
  pollfds_[slot] = pollfds_.back();
  index_[pollfds_[slot].fd] = slot;
  pollfds_.pop_back();
  index_.erase(fd);
}

Poller::Result PollPoller::poll(std::optional<std::chrono::nanoseconds> timeout) {
  ready_.clear();
  const int n = ::poll(pollfds_.data(), pollfds_.size(), timeout_to_milliseconds(timeout));
  if (n < 0) {
    if (errno == EINTR) return {{}, true};
    common::throw_errno("poll");
  }
  // The kernel answered in place; we still walk every slot to find the ready ones.
  for (const pollfd& p : pollfds_) {
    if (p.revents == 0) continue;
    const auto got = static_cast<unsigned>(static_cast<unsigned short>(p.revents));
    ready_.push_back({p.fd, (got & POLLNVAL) ? CLOSED : (got & (READ | WRITE | ERROR))});
  }
  return {ready_, false};
}

}  // namespace ch08
