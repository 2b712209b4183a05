#include "poller.hpp"

#include <limits>
#include <stdexcept>
#include <string>

#include "epoll.hpp"
#include "poll.hpp"
#include "select.hpp"

namespace ch09 {

std::vector<std::string_view> poller_names() { return {"select", "poll", "epoll"}; }

std::unique_ptr<Poller> make_poller(std::string_view name) {
  if (name == "select") return std::make_unique<SelectPoller>();
  if (name == "poll") return std::make_unique<PollPoller>();
  if (name == "epoll" || name == "default") return std::make_unique<EpollPoller>();
  throw std::invalid_argument("unknown poller \"" + std::string(name) +
                              "\": choose select, poll, epoll or default");
}

int timeout_to_milliseconds(std::optional<std::chrono::nanoseconds> timeout) {
  if (!timeout) return -1;
  if (*timeout <= std::chrono::nanoseconds::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
  return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(ms);
}

}  // namespace ch09
