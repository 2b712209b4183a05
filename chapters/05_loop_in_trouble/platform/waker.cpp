#include "waker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace ch05 {

Waker::Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!fd_) common::throw_errno("eventfd");
}

void Waker::wake() noexcept {
  const int saved_errno = errno;  // we may be inside a signal handler
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd_.get(), &one, sizeof one);
  writes_.fetch_add(1, std::memory_order_relaxed);
  errno = saved_errno;
}

void Waker::consume() noexcept {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd_.get(), &count, sizeof count);
}

}  // namespace ch05
