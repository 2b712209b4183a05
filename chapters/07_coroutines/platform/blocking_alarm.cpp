#include "blocking_alarm.hpp"

#include <execinfo.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace ch07 {
namespace {

static_assert(std::atomic<std::int64_t>::is_always_lock_free &&
                  std::atomic<BlockingAction>::is_always_lock_free &&
                  std::atomic<int>::is_always_lock_free,
              "a signal handler may only use lock-free atomics");

// The alarms armed on this thread, innermost first (each links to the one armed before it).
// A pointer with a constant initializer: no TLS wrapper runs, so a signal handler may read it.
thread_local std::atomic<BlockingAlarm*> armed_on_this_thread{nullptr};

// The SIGALRM handler is the process's, not a loop's: installed with the first alarm,
// and the one it replaced put back with the last. `replaced` is written only while our
// handler is not installed, so the handler reads it without a lock.
std::mutex installation_mutex;
int alarms_alive = 0;
struct sigaction replaced {};

// Writes all of `text`; a report cut short by an error has nowhere better to go.
void write_text(int fd, const char* text, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::write(fd, text, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    size -= static_cast<std::size_t>(n);
  }
}
void write_text(int fd, const char* text) noexcept { write_text(fd, text, std::strlen(text)); }

// Decimal digits without snprintf (which may allocate, so is not async-signal-safe).
void write_number(int fd, std::uint64_t value) noexcept {
  char digits[20];
  std::size_t at = sizeof digits;
  do {
    digits[--at] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  write_text(fd, digits + at, sizeof digits - at);
}

}  // namespace

void write_blocked_stack(const Blocked& blocked) noexcept {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(blocked.threshold).count();
  write_text(blocked.report_fd, "IOLoop blocked for more than ");
  if (us % 1000 == 0) {
    write_number(blocked.report_fd, static_cast<std::uint64_t>(us / 1000));
    write_text(blocked.report_fd, " ms");
  } else {
    write_number(blocked.report_fd, static_cast<std::uint64_t>(us));
    write_text(blocked.report_fd, " us");
  }
  write_text(blocked.report_fd, "; its thread is at:\n");
  // backtrace() loads the unwinder on its first call (dlopen, malloc): the BlockingAlarm
  // constructor made that call, so here it only walks the stack. backtrace_symbols_fd
  // writes straight to the fd, where backtrace_symbols would malloc its strings.
  void* frames[64];
  const int depth = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, depth, blocked.report_fd);
  write_text(blocked.report_fd, "(end of the blocked thread's stack)\n");
}

BlockingAlarm::BlockingAlarm(std::chrono::nanoseconds threshold, BlockingAction action, int report_fd)
    : threshold_ns_(threshold.count()), action_(action), report_fd_(report_fd) {
  static std::once_flag unwinder_loaded;
  std::call_once(unwinder_loaded, [] {
    void* frame[1];
    ::backtrace(frame, 1);
  });
  std::lock_guard lock(installation_mutex);
  if (alarms_alive++ == 0) {
    struct sigaction ours {};
    ours.sa_sigaction = on_alarm;
    // SA_RESTART: a callback blocked in read(2) goes back to its read after the report.
    ours.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&ours.sa_mask);
    ::sigaction(SIGALRM, &ours, &replaced);
  }
}

BlockingAlarm::~BlockingAlarm() {
  if (has_timer_) ::timer_delete(timer_);
  std::lock_guard lock(installation_mutex);
  if (--alarms_alive == 0) {
    // Put back what we replaced, unless someone has replaced us since: theirs stays.
    struct sigaction current {};
    ::sigaction(SIGALRM, nullptr, &current);
    if ((current.sa_flags & SA_SIGINFO) != 0 && current.sa_sigaction == on_alarm) {
      ::sigaction(SIGALRM, &replaced, nullptr);
    }
  }
}

void BlockingAlarm::set(std::chrono::nanoseconds threshold, BlockingAction action) noexcept {
  threshold_ns_.store(threshold.count(), std::memory_order_relaxed);
  action_.store(action, std::memory_order_relaxed);
  if (armed_ && threshold.count() == 0) {
    const itimerspec stop{};
    ::timer_settime(timer_, 0, &stop, nullptr);  // turned off from inside the work it watches
  }
}

bool BlockingAlarm::arm() noexcept {
  const std::int64_t ns = threshold_ns_.load(std::memory_order_relaxed);
  if (ns <= 0 || armed_) return false;
  if (!has_timer_ || !::pthread_equal(target_, ::pthread_self())) aim_at_this_thread();
  if (!has_timer_) return false;  // no timer to be had (out of kernel timers): no report
  outer_ = armed_on_this_thread.load(std::memory_order_relaxed);
  armed_on_this_thread.store(this, std::memory_order_relaxed);
  armed_ = true;
  std::atomic_signal_fence(std::memory_order_seq_cst);  // the handler sees us linked in first
  itimerspec once{};  // it_interval zero: one report per piece of work, as Tornado's
  once.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  once.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  ::timer_settime(timer_, 0, &once, nullptr);
  return true;
}

void BlockingAlarm::disarm() noexcept {
  const itimerspec stop{};
  ::timer_settime(timer_, 0, &stop, nullptr);
  // A signal sent before the timer stopped was delivered on the way out of timer_settime
  // (it is aimed at this thread, which does not block it); only then are we unlinked.
  std::atomic_signal_fence(std::memory_order_seq_cst);
  armed_on_this_thread.store(outer_, std::memory_order_relaxed);
  armed_ = false;
}

// A timer of our own per loop, sending its signal to one thread: the loop's. setitimer,
// which Tornado uses, has one timer per process (two loops on two threads would re-arm each
// other's), and its SIGALRM goes to whichever thread the kernel picks, whose stack is not
// the blocked one. SIGEV_THREAD_ID is Linux's; the loop thread's id is read here, the first
// time the loop runs on it.
void BlockingAlarm::aim_at_this_thread() noexcept {
  if (has_timer_) ::timer_delete(timer_);
  has_timer_ = false;
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = SIGALRM;
  event.sigev_value.sival_ptr = this;
#ifdef sigev_notify_thread_id
  event.sigev_notify_thread_id = ::gettid();
#else
  event._sigev_un._tid = ::gettid();  // glibc before 2.37 has no name for the field but this
#endif
  if (::timer_create(CLOCK_MONOTONIC, &event, &timer_) != 0) return;
  has_timer_ = true;
  target_ = ::pthread_self();
}

void BlockingAlarm::fire() const noexcept {
  const BlockingAction action = action_.load(std::memory_order_relaxed);
  const std::int64_t ns = threshold_ns_.load(std::memory_order_relaxed);
  if (action == nullptr || ns <= 0) return;
  action(Blocked{std::chrono::nanoseconds(ns), report_fd_.load(std::memory_order_relaxed)});
}

void BlockingAlarm::on_alarm(int signal, siginfo_t* info, void* context) noexcept {
  const int saved_errno = errno;
  // Ours only if it names an alarm armed on this thread right now: a timer's late signal,
  // or anyone else's SIGALRM, finds none.
  const void* sender = info != nullptr && info->si_code == SI_TIMER ? info->si_value.sival_ptr : nullptr;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  for (const BlockingAlarm* alarm = armed_on_this_thread.load(std::memory_order_relaxed);
       alarm != nullptr; alarm = alarm->outer_) {
    if (alarm == sender) {
      alarm->fire();
      errno = saved_errno;
      return;
    }
  }
  // Not ours: the process's previous handler gets it, if it had one.
  if ((replaced.sa_flags & SA_SIGINFO) != 0) {
    if (replaced.sa_sigaction != nullptr) replaced.sa_sigaction(signal, info, context);
  } else if (replaced.sa_handler != SIG_DFL && replaced.sa_handler != SIG_IGN) {
    replaced.sa_handler(signal);
  }
  errno = saved_errno;
}

}  // namespace ch07
