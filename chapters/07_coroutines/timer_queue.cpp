#include "timer_queue.hpp"

#include <algorithm>

namespace ch07 {
namespace {

// Heap order: the entry that must run first is on top. std::push_heap builds a max-heap,
// so "greater" means "runs later": a later deadline, or the same deadline scheduled later.
// (A lambda, so the heap algorithms take it as it is: TimerQueue's HeapEntry is private.)
constexpr auto runs_later = [](const auto& a, const auto& b) noexcept {
  if (a.deadline != b.deadline) return a.deadline > b.deadline;
  return a.sequence > b.sequence;
};

// The next capacity of a vector that is full: double it, as push_back does.
std::size_t grown(std::size_t capacity) noexcept { return capacity < 8 ? 16 : 2 * capacity; }

// Tornado rebuilds its heap when more than 512 entries, and more than half of it, are dead.
constexpr std::size_t compaction_floor = 512;

}  // namespace

TimerQueue::Timeout TimerQueue::add(time_point when, Callback&& callback) {
  // Every allocation happens before anything changes, so running out of memory leaves the
  // queue as it was: the push_back below then cannot reallocate. (Doubling, as push_back
  // would: reserving one more each time would copy the whole heap on every call.)
  if (heap_.size() == heap_.capacity()) heap_.reserve(grown(heap_.capacity()));
  const std::uint32_t slot = acquire_slot();
  const std::uint64_t sequence = ++timeout_counter_;
  slots_[slot] = Slot{std::move(callback), sequence, true};
  heap_.push_back({when, sequence, slot});
  std::push_heap(heap_.begin(), heap_.end(), runs_later);
  return Timeout(slot, sequence);
}

void TimerQueue::remove(Timeout timeout) noexcept {
  if (!timeout || timeout.slot_ >= slots_.size()) return;
  if (slots_[timeout.slot_].sequence != timeout.sequence_) return;  // ran, or removed already
  // Its heap entry stays behind as a tombstone (removing from the middle of a heap costs
  // O(n)); only the callback goes now, so whatever it captured is released at once.
  if (slots_[timeout.slot_].in_heap) ++cancellations_;
  const Callback dropped = release_slot(timeout.slot_);
  compact_if_mostly_dead();
}

void TimerQueue::compact_if_mostly_dead() noexcept {
  // Most of the heap dead, and enough of it to be worth it: rebuild from the live entries.
  // The rebuild costs O(n) after at least n/2 removals, so O(1) per removal on average.
  if (cancellations_ > compaction_floor && cancellations_ > heap_.size() / 2) compact();
}

TimerQueue::Stats TimerQueue::stats() const noexcept {
  return {slots_.size() - free_slots_.size(), heap_.size(), cancellations_, compactions_};
}

std::uint32_t TimerQueue::acquire_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  // The free list keeps room for every slot, so release_slot never allocates.
  if (free_slots_.capacity() < slots_.size() + 1) free_slots_.reserve(grown(free_slots_.capacity()));
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

// Returns the callback instead of destroying it here: its destructor is user code, which
// may schedule another timeout and so move slots_ under our feet.
TimerQueue::Callback TimerQueue::release_slot(std::uint32_t slot) noexcept {
  Callback callback = std::move(slots_[slot].callback);
  slots_[slot].callback = nullptr;
  slots_[slot].sequence = 0;
  slots_[slot].in_heap = false;
  free_slots_.push_back(slot);
  return callback;
}

void TimerQueue::collect_due(const Clock& clock) {
  due_.clear();
  next_due_ = 0;
  if (heap_.empty()) return;
  const time_point now = clock.now();  // read once: everything due at this instant, nothing later
  while (!heap_.empty()) {
    const HeapEntry top = heap_.front();
    const bool live = is_live(top);
    if (live && top.deadline > now) break;
    std::pop_heap(heap_.begin(), heap_.end(), runs_later);
    heap_.pop_back();
    if (live) {
      slots_[top.slot].in_heap = false;
      due_.push_back(top);
    } else {
      --cancellations_;  // a tombstone reached the top: dropped for free
    }
  }
  // Firing shrinks the live part too, so the heap may now be mostly tombstones (Tornado
  // makes this check here, once a turn; we make it at each removal as well).
  compact_if_mostly_dead();
}

TimerQueue::Callback TimerQueue::next_due() noexcept {
  while (next_due_ < due_.size()) {
    const HeapEntry& entry = due_[next_due_++];
    // Checked now, not when collected: an earlier timeout of this turn may have removed it.
    if (is_live(entry)) return release_slot(entry.slot);
  }
  due_.clear();
  next_due_ = 0;
  return nullptr;
}

void TimerQueue::compact() noexcept {
  std::erase_if(heap_, [this](const HeapEntry& entry) { return !is_live(entry); });
  std::make_heap(heap_.begin(), heap_.end(), runs_later);
  cancellations_ = 0;
  ++compactions_;
}

std::optional<TimerQueue::time_point> TimerQueue::nearest_deadline() const noexcept {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().deadline;
}

void TimerQueue::clear() noexcept {
  heap_.clear();
  due_.clear();
  next_due_ = 0;
  slots_.clear();
  free_slots_.clear();
  cancellations_ = 0;
}

}  // namespace ch07
