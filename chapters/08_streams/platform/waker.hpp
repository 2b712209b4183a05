// How another thread (or a signal handler) interrupts a loop that sleeps in poll: make a
// descriptor the loop watches readable. Tornado uses a pipe (platform/posix.py, Waker); on
// Linux an eventfd does the same with one descriptor and a counter instead of a buffer.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/fd.hpp"

namespace ch08 {

class Waker {
 public:
  Waker();

  /// The descriptor the loop registers for READ.
  int fileno() const noexcept { return fd_.get(); }
  /// Makes fileno() readable. Safe from any thread and inside a signal handler: one
  /// write(2), errno preserved. A counter already at its limit is already readable, so a
  /// failed write needs no retry.
  void wake() noexcept;
  /// Empties the counter (the READ handler calls this), so many wakes collapse into one event.
  void consume() noexcept;
  void close() noexcept { fd_.close(); }

  /// How many times wake() wrote: what the loop's coalescing is measured by.
  std::uint64_t writes() const noexcept { return writes_.load(std::memory_order_relaxed); }

 private:
  common::Fd fd_;
  std::atomic<std::uint64_t> writes_{0};
};

}  // namespace ch08
