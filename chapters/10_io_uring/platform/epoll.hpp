// epoll(7): the interest list lives in the kernel, registered once; each wait returns only
// the ready descriptors, so its cost follows what is ready, not what is registered.
// Tornado: platform/epoll.py (a thin wrapper over Python's select.epoll).
#pragma once

#include <sys/epoll.h>

#include <vector>

#include "common/fd.hpp"
#include "poller.hpp"

namespace ch10 {

class EpollPoller final : public Poller {
 public:
  EpollPoller();
  std::string_view name() const override { return "epoll"; }
  void register_fd(int fd, unsigned events) override;
  void modify(int fd, unsigned events) override;
  void unregister(int fd) override;
  Result poll(std::optional<std::chrono::nanoseconds> timeout) override;

 private:
  void control(int op, int fd, unsigned events, const char* what);

  common::Fd epoll_fd_;
  std::vector<epoll_event> buffer_;  // grows when a wait fills it
  std::vector<Event> ready_;
};

}  // namespace ch10
