// What a signal handler may hand to the loop. Inside a handler no lock may be taken and no
// memory allocated (the interrupted code may hold the lock, or be inside malloc), so
// add_callback_from_signal cannot use the callback queue. It writes into this fixed ring
// instead: lock-free, allocation-free, many producers (any thread, nested signals), one
// consumer (the loop). The design is Dmitry Vyukov's bounded queue: each cell carries a
// sequence number that says whose turn it is, so producers and the consumer never wait on
// each other, and a producer interrupted half-way only delays the cells after its own.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ch08 {

/// A plain function and its argument: all a signal handler can build without allocating.
struct SignalCallback {
  void (*function)(void*) = nullptr;
  void* argument = nullptr;
};

template <std::size_t Capacity>
class SignalQueue {
  static_assert((Capacity & (Capacity - 1)) == 0, "Capacity must be a power of two");
  static_assert(std::atomic<std::size_t>::is_always_lock_free,
                "a signal handler may only use lock-free atomics");

 public:
  SignalQueue() {
    for (std::size_t i = 0; i < Capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  /// Async-signal-safe. False when the ring is full (the caller decides what that costs).
  bool push(SignalCallback callback) noexcept {
    std::size_t position = tail_.load(std::memory_order_relaxed);
    while (true) {
      Cell& cell = cells_[position & (Capacity - 1)];
      const std::size_t sequence = cell.sequence.load(std::memory_order_acquire);
      const auto turn = static_cast<std::intptr_t>(sequence) - static_cast<std::intptr_t>(position);
      if (turn == 0) {  // the cell is free for this position: claim the position
        if (tail_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
          cell.callback = callback;
          cell.sequence.store(position + 1, std::memory_order_release);  // now readable
          return true;
        }
      } else if (turn < 0) {
        return false;  // the consumer has not emptied this cell yet: full
      } else {
        position = tail_.load(std::memory_order_relaxed);  // another producer won; retry
      }
    }
  }

  /// Loop thread only. False when nothing (finished) is waiting.
  bool pop(SignalCallback& out) noexcept {
    Cell& cell = cells_[head_ & (Capacity - 1)];
    const std::size_t sequence = cell.sequence.load(std::memory_order_acquire);
    if (sequence != head_ + 1) return false;
    out = cell.callback;
    cell.sequence.store(head_ + Capacity, std::memory_order_release);  // free for the next lap
    ++head_;
    return true;
  }

  bool empty() const noexcept {
    return cells_[head_ & (Capacity - 1)].sequence.load(std::memory_order_acquire) != head_ + 1;
  }

 private:
  struct Cell {
    std::atomic<std::size_t> sequence;
    SignalCallback callback;
  };
  std::array<Cell, Capacity> cells_;
  std::atomic<std::size_t> tail_{0};  // next position a producer claims
  std::size_t head_ = 0;              // next position the consumer reads (loop thread only)
};

}  // namespace ch08
