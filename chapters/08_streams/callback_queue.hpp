// Chapter 4's new piece: the callback queue and its waker. It is the one part of the loop
// other threads touch, so the one part under a lock. The loop takes the whole batch at (1),
// asks at (4) whether more came meanwhile, and watches the waker like any other fd.
// Tornado: ioloop.py, PollIOLoop._callbacks, add_callback, add_callback_from_signal;
//   platform/posix.py, Waker.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "platform/waker.hpp"
#include "signal_queue.hpp"

namespace ch08 {

class CallbackQueue {
 public:
  using Callback = std::function<void()>;

  /// How many callbacks push_from_signal can hold until the loop takes them.
  static constexpr std::size_t signal_slots = 64;

  /// Queues `callback`, from any thread. A caller that is not the loop's thread wakes the
  /// loop, once however many calls come before the loop takes the batch. Once closed, the
  /// callback is dropped.
  void push(Callback&& callback);
  /// The same inside a signal handler, where no lock may be taken and nothing allocated:
  /// false (and dropped) if the ring is full or the queue closed.
  bool push_from_signal(void (*function)(void*), void* argument) noexcept;

  /// (1) Moves everything queued into `batch`, which the loop keeps empty between turns,
  /// and then what signal handlers queued.
  void take_into(std::vector<Callback>& batch);
  /// (4) Whether anything waits: then the poll must not sleep.
  bool waiting();

  /// The thread whose pushes need no wake, the loop's own (start() tells).
  void set_loop_thread(std::thread::id id) noexcept {
    loop_thread_.store(id, std::memory_order_relaxed);
  }
  /// Drops every later push, and closes the waker. Returns what was queued, for the caller
  /// to destroy outside the lock: a callback's destructor is user code.
  std::vector<Callback> close();

  /// The descriptor the loop watches for READ; its handler only empties it.
  Waker& waker() noexcept { return waker_; }
  /// How many times another thread (or a signal) had to wake the loop.
  std::uint64_t wakeups() const noexcept { return waker_.writes(); }

 private:
  Waker waker_;
  std::mutex mutex_;
  std::vector<Callback> callbacks_;     // Tornado's _callbacks (guarded)
  std::atomic<bool> closing_ = false;   // set by close(): callbacks are dropped from now on
  bool wake_pending_ = false;           // guarded: a wake is written and not yet consumed
  SignalQueue<signal_slots> from_signals_;
  std::atomic<std::thread::id> loop_thread_{};  // the thread that runs start()
};

}  // namespace ch08
