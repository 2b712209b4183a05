// How a loop reports that it is blocked *while* it is blocked. The loop's own thread is the
// one stuck in a slow callback, so it cannot look at a clock; the kernel can. Before each
// callback, handler or timeout the loop arms a one-shot timer; if the work is still running
// when it expires, the kernel sends SIGALRM to the loop's thread, and the action runs inside
// the signal handler, on top of the blocked code's stack: log_stack writes that stack out.
// Tornado 4.5: IOLoop.set_blocking_signal_threshold, with signal.setitimer and SIGALRM.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ch05 {

/// What a blocking action is told.
struct Blocked {
  std::chrono::nanoseconds threshold;  ///< how long the loop has been stuck in one piece of work
  int report_fd;                       ///< where log_stack writes (stderr unless the loop was told)
};

/// Runs inside a SIGALRM handler, on the blocked loop's thread, while the work is still
/// running: only async-signal-safe calls (write(2), atomics, backtrace_symbols_fd), no locks,
/// no allocation, no exceptions. Tornado's action is a Python signal handler.
using BlockingAction = void (*)(const Blocked& blocked) noexcept;

/// The default action (IOLoop::log_stack): writes "IOLoop blocked for more than N ms" and a
/// backtrace of the blocked thread, one frame a line, to `blocked.report_fd`. Names come from
/// the dynamic symbol table: link executables with -rdynamic to see their own functions.
void write_blocked_stack(const Blocked& blocked) noexcept;

/// One loop's alarm: a POSIX timer aimed at the thread that runs the loop. Every method but
/// set() is for that thread; set() may be called from it too (from inside a callback).
class BlockingAlarm {
 public:
  /// Installs the process's SIGALRM handler if this is the first alarm; the handler the
  /// process had before comes back when the last alarm is destroyed.
  BlockingAlarm(std::chrono::nanoseconds threshold, BlockingAction action, int report_fd);
  ~BlockingAlarm();
  BlockingAlarm(const BlockingAlarm&) = delete;
  BlockingAlarm& operator=(const BlockingAlarm&) = delete;

  /// A threshold of zero turns the alarm off: arm() then does nothing.
  void set(std::chrono::nanoseconds threshold, BlockingAction action) noexcept;
  void set_report_fd(int fd) noexcept { report_fd_.store(fd, std::memory_order_relaxed); }
  bool armed() const noexcept { return armed_; }

  /// Arms the alarm for the work about to run, and disarms it when that work is over,
  /// however it ends. Nothing at all when there is no alarm (the loop's default).
  class Scope {
   public:
    explicit Scope(BlockingAlarm* alarm) : alarm_(alarm != nullptr && alarm->arm() ? alarm : nullptr) {}
    ~Scope() {
      if (alarm_ != nullptr) alarm_->disarm();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BlockingAlarm* alarm_;
  };

 private:
  // The process's SIGALRM handler: finds the alarm the signal is for and runs its action.
  static void on_alarm(int signal, siginfo_t* info, void* context) noexcept;

  bool arm() noexcept;
  void disarm() noexcept;
  void aim_at_this_thread() noexcept;
  void fire() const noexcept;

  // Read by the signal handler, so atomic (lock-free, hence async-signal-safe).
  std::atomic<std::int64_t> threshold_ns_;
  std::atomic<BlockingAction> action_;
  std::atomic<int> report_fd_;

  timer_t timer_{};
  bool has_timer_ = false;
  pthread_t target_{};  // the thread timer_ sends its signal to
  bool armed_ = false;
  // Alarms armed on one thread form a stack (a callback may run another loop): the one armed
  // before this one, for the signal handler to search and for disarm() to restore.
  BlockingAlarm* outer_ = nullptr;
};

}  // namespace ch05
