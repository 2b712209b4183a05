// The oldest readiness API: three bit sets, copied into the kernel and back on every call.
// Tornado: platform/select.py, class _Select (the shim PollIOLoop uses without epoll).
#pragma once

#include <sys/select.h>

#include <map>
#include <vector>

#include "poller.hpp"

namespace ch07 {

class SelectPoller final : public Poller {
 public:
  std::string_view name() const override { return "select"; }
  /// Refuses fd >= FD_SETSIZE: FD_SET on such an fd would write past the end of the set.
  void register_fd(int fd, unsigned events) override;
  void modify(int fd, unsigned events) override;
  void unregister(int fd) override;
  Result poll(std::optional<std::chrono::nanoseconds> timeout) override;

 private:
  // Registered fds in ascending order: select wants the highest one plus one, and we walk
  // them to read the answer back out of the sets.
  std::map<int, unsigned> interest_;
  std::vector<Event> ready_;
};

}  // namespace ch07
