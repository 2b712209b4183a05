// Chapter 3's new piece: the timer queue, every timeout the loop has yet to run. The loop asks
// it three things a turn: which timeouts are due (2), the next one to run (3), and how long the
// poll may sleep (4); start() stays the one place that shows the whole turn.
// Tornado: ioloop.py, PollIOLoop._timeouts (a heapq list), class _Timeout, remove_timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "clock.hpp"

namespace ch09 {

/// A binary min-heap on (deadline, sequence number), as Tornado's _timeouts, whose entries
/// keep their deadline inline and their callback in a slot beside the heap. A removed timeout
/// leaves its entry behind as a tombstone, dropped when it reaches the top or when most of the
/// heap is dead. The loop's thread only, like the loop.
class TimerQueue {
 public:
  using Callback = std::function<void()>;
  using time_point = Clock::time_point;

  /// What call_at and friends return, for remove_timeout. Cheap to copy; a default-made one
  /// is null. It stays safe to use after its timeout ran or was removed: it then does nothing.
  class Timeout {
   public:
    Timeout() = default;
    explicit operator bool() const noexcept { return sequence_ != 0; }

   private:
    friend class TimerQueue;
    Timeout(std::uint32_t slot, std::uint64_t sequence) : slot_(slot), sequence_(sequence) {}
    std::uint32_t slot_ = 0;
    std::uint64_t sequence_ = 0;
  };

  /// What the timer heap holds right now, for tests and the curious.
  struct Stats {
    std::size_t scheduled;    ///< timeouts waiting to run
    std::size_t heap_size;    ///< heap entries, cancelled ones included
    std::size_t cancelled;    ///< cancelled entries not yet dropped from the heap
    std::size_t compactions;  ///< how many times the heap was rebuilt without them
  };

  /// Schedules `callback` (not empty) for `when`. If it throws (out of memory), nothing changed.
  Timeout add(time_point when, Callback&& callback);
  /// Cancels a timeout that has not run yet; anything else (ran, removed, null) is ignored.
  void remove(Timeout timeout) noexcept;

  /// (2) Takes every timeout due by `clock`'s now out of the heap, in deadline order, for
  /// next_due(). The clock is read once, and not at all while the heap is empty.
  void collect_due(const Clock& clock);
  /// How many timeouts the last collect_due() took.
  std::size_t due_count() const noexcept { return due_.size(); }
  /// (3) The next collected timeout that is still scheduled (one removed since, by an earlier
  /// one of the same turn, is skipped), out of its slot; an empty Callback once none is left.
  Callback next_due() noexcept;
  /// (4) The deadline on top of the heap (perhaps a tombstone's: the loop then wakes a little
  /// early and finds nothing due); nullopt if there is none.
  std::optional<time_point> nearest_deadline() const noexcept;

  Stats stats() const noexcept;
  /// Drops every timeout unrun, as Tornado drops its heap when the loop closes.
  void clear() noexcept;

 private:
  // One heap entry. The deadline and sequence number are inline, so sifting compares
  // entries without following a pointer; the callback lives in a slot, found by index.
  struct HeapEntry {
    time_point deadline;
    std::uint64_t sequence;  // Tornado's _timeout_counter: breaks ties first-come first-served
    std::uint32_t slot;
  };
  // Where a scheduled callback waits. The slot is freed the moment its timeout runs or is
  // removed, and reused by the next call_at; an entry whose sequence no longer matches its
  // slot's is a cancelled one (a tombstone).
  struct Slot {
    Callback callback;
    std::uint64_t sequence = 0;  // 0: free
    bool in_heap = false;        // false once collected as due: cancelling it then leaves no tombstone
  };

  bool is_live(const HeapEntry& entry) const noexcept {
    return slots_[entry.slot].sequence == entry.sequence;
  }
  std::uint32_t acquire_slot();
  Callback release_slot(std::uint32_t slot) noexcept;
  void compact_if_mostly_dead() noexcept;
  void compact() noexcept;

  std::vector<HeapEntry> heap_;  // Tornado's _timeouts
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<HeapEntry> due_;  // (2)'s list, kept to reuse its memory
  std::size_t next_due_ = 0;    // (3)'s place in it
  std::uint64_t timeout_counter_ = 0;
  std::size_t cancellations_ = 0;  // tombstones in heap_
  std::size_t compactions_ = 0;
};

}  // namespace ch09
