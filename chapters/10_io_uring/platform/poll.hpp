// poll(2): one array of (fd, wanted, got) instead of three bit sets, so there is no
// FD_SETSIZE wall; but the whole array still crosses into the kernel on every call.
#pragma once

#include <poll.h>

#include <unordered_map>
#include <vector>

#include "poller.hpp"

namespace ch10 {

class PollPoller final : public Poller {
 public:
  std::string_view name() const override { return "poll"; }
  void register_fd(int fd, unsigned events) override;
  void modify(int fd, unsigned events) override;
  void unregister(int fd) override;
  Result poll(std::optional<std::chrono::nanoseconds> timeout) override;

 private:
  std::vector<pollfd> pollfds_;
  std::unordered_map<int, std::size_t> index_;  // fd -> its slot in pollfds_
  std::vector<Event> ready_;
};

}  // namespace ch10
