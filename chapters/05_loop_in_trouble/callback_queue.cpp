#include "callback_queue.hpp"

#include <utility>

namespace ch05 {

void CallbackQueue::push(Callback&& callback) {
  std::lock_guard lock(mutex_);
  if (closing_) return;  // dropped, as Tornado drops it
  callbacks_.push_back(std::move(callback));
  // The loop's own thread never needs a wake: it looks at the queue before it polls.
  // Another thread wakes it once; more calls before step (1) takes the batch ride along.
  // The wake is written under the lock: close() takes it before closing the waker, so we
  // can never write to a closed descriptor (whose number may already be someone else's).
  if (!wake_pending_ && std::this_thread::get_id() != loop_thread_.load(std::memory_order_relaxed)) {
    wake_pending_ = true;
    waker_.wake();
  }
}

bool CallbackQueue::push_from_signal(void (*function)(void*), void* argument) noexcept {
  if (function == nullptr || closing_.load()) return false;
  // No lock, no allocation, no wake_pending_ bookkeeping (that needs the lock): a lock-free
  // ring, then one write(2), both async-signal-safe.
  if (!from_signals_.push({function, argument})) return false;
  waker_.wake();
  return true;
}

void CallbackQueue::take_into(std::vector<Callback>& batch) {
  {
    std::lock_guard lock(mutex_);
    batch.swap(callbacks_);  // O(1): the lock is held for a swap, whatever the batch size
    wake_pending_ = false;   // a wake from now on is a new one
  }
  for (SignalCallback call; from_signals_.pop(call);) {
    batch.push_back([call] { call.function(call.argument); });
  }
}

bool CallbackQueue::waiting() {
  std::lock_guard lock(mutex_);
  return !callbacks_.empty() || !from_signals_.empty();
}

std::vector<CallbackQueue::Callback> CallbackQueue::close() {
  std::vector<Callback> dropped;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;  // from here on push neither queues nor touches the waker
    dropped.swap(callbacks_);
  }
  waker_.close();
  return dropped;
}

}  // namespace ch05
