#include "callback_queue.hpp"

#include <utility>

namespace ch04 {

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

void CallbackQueue::take_into(std::vector<Callback>& batch) {
  std::lock_guard lock(mutex_);
  batch.swap(callbacks_);  // O(1): the lock is held for a swap, whatever the batch size
  wake_pending_ = false;   // a wake from now on is a new one
}

bool CallbackQueue::waiting() {
  std::lock_guard lock(mutex_);
  return !callbacks_.empty();
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

}  // namespace ch04
