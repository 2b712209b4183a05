// The loop's sense of time, injectable as Tornado 4's `time_func` was. The loop reads the
// time only through its Clock, and asks the Clock how long the poller may sleep, so a test
// can swap in a VirtualClock and run an hour of timers in microseconds.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>

namespace ch08 {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;

  virtual time_point now() const = 0;

  /// How long the poller may block when the nearest timer is due at `deadline` (std::nullopt:
  /// no timer at all, so block until an fd is ready). A real clock sleeps until the deadline.
  virtual std::optional<duration> wait_limit(std::optional<time_point> deadline) const {
    if (!deadline) return std::nullopt;
    const duration left = *deadline - now();
    return left > duration::zero() ? left : duration::zero();
  }

  /// The poll found nothing ready while a timer was due at `deadline`. A real clock has
  /// already let that time pass by sleeping; a virtual one jumps to it.
  virtual void idle_until(time_point /*deadline*/) {}
};

/// The default: std::chrono::steady_clock, which never jumps. (Tornado 4's default was
/// time.time(), the wall clock: setting the system clock back an hour stalled every timer.)
class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

/// Time that moves only when told to, or when the loop has nothing to do but wait for a
/// timer: then it jumps straight to the timer's deadline instead of sleeping. Real fds still
/// work (the loop polls them without blocking), so a test mixes sockets and hour-long timers.
/// Two consequences: an fd that stays ready forever stops time (no timer fires until it is
/// removed), and an fd that becomes ready only after some real time loses to any timer.
class VirtualClock final : public Clock {
 public:
  /// Starts at an arbitrary, recognisable instant (1000 s after the clock's epoch).
  explicit VirtualClock(time_point start = time_point(std::chrono::seconds(1000)))
      : now_(start) {}

  time_point now() const override { return now_; }

  /// Moves time forward by `step`; a negative step is a mistake (use set()).
  void advance(duration step) {
    if (step < duration::zero()) {
      throw std::invalid_argument("VirtualClock::advance: negative step; use set() to go back");
    }
    now_ += step;
  }
  /// Puts the clock anywhere, backwards included (to test what a clock jump does).
  void set(time_point when) { now_ = when; }

  std::optional<duration> wait_limit(std::optional<time_point> deadline) const override {
    if (!deadline) return std::nullopt;  // no timer: really block, an fd must wake us
    return duration::zero();             // a timer: only look at the fds, never sleep
  }

  void idle_until(time_point deadline) override {
    if (deadline > now_) now_ = deadline;
  }

 private:
  time_point now_;
};

}  // namespace ch08
