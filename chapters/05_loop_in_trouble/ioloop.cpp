#include "ioloop.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <system_error>
#include <type_traits>

#include "common/log.hpp"

namespace ch05 {
namespace {

// The thread's current loop: the only global state the loop has. The loop's open token goes
// with the pointer: a loop closed, or destroyed on another thread (where this thread's
// variable cannot be reached), expires it, and current() forgets the pointer unused.
struct CurrentLoop {
  IOLoop* loop = nullptr;
  std::weak_ptr<const bool> open;
};
thread_local CurrentLoop current_loop;

// The backend IOLoop::configure chose for every "default" loop; null: the platform's best.
// The one piece of process-wide state (Tornado's IOLoop.configure is process-wide too).
std::atomic<const char*> configured{nullptr};

bool is_broken_pipe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    return e.code() == std::errc::broken_pipe;
  } catch (...) {
    return false;
  }
}

// The type a callable is named by: a callback that carries a stack context is named for
// what it wraps.
template <class Function>
const std::type_info& type_of(const Function& function) {
  if constexpr (std::is_same_v<Function, IOLoop::Callback>) {
    if (const auto* wrapped = function.template target<stack_context::Wrapped<>>()) {
      return type_of(wrapped->inner());
    }
  }
  return function.target_type();
}

// The readable name of a callable's type, e.g. "main::{lambda()#1}": the closest C++ comes
// to the repr Tornado prints for a failing callback.
template <class Function>
std::string name_of(const Function& function) {
  return common::type_name(type_of(function));
}

std::string milliseconds(std::chrono::nanoseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%g ms",
                std::chrono::duration<double, std::milli>(d).count());
  return text;
}

std::string hex(unsigned bits) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[bits & 0xf]);
    bits >>= 4;
  } while (bits != 0);
  return "0x" + out;
}

void check_events(const char* who, unsigned events) {
  const unsigned unknown = events & ~(IOLoop::READ | IOLoop::WRITE | IOLoop::ERROR);
  if (unknown != 0) {
    throw std::invalid_argument(std::string(who) + ": unknown event bits " + hex(unknown) +
                                " (use IOLoop::READ, WRITE and ERROR)");
  }
}
}  // namespace

IOLoop::IOLoop(std::string_view poller, MakeCurrent policy)
    : IOLoop(poller, std::make_shared<SteadyClock>(), policy) {}

IOLoop::IOLoop(std::unique_ptr<Poller> poller, MakeCurrent policy)
    : IOLoop(std::move(poller), std::make_shared<SteadyClock>(), policy) {}

IOLoop::IOLoop(std::string_view poller, std::shared_ptr<Clock> clock, MakeCurrent policy)
    : IOLoop(make_poller(poller == "default" ? configured_backend() : poller), std::move(clock),
             policy) {}

IOLoop::IOLoop(std::unique_ptr<Poller> poller, std::shared_ptr<Clock> clock, MakeCurrent policy)
    : poller_(std::move(poller)), clock_(std::move(clock)) {
  if (!poller_) throw std::invalid_argument("IOLoop: the poller is null");
  if (!clock_) throw std::invalid_argument("IOLoop: the clock is null");
  // The waker is registered like any other fd; its handler only empties it. Being woken
  // is the whole point: the callbacks themselves are taken at step (1).
  // Under no stack context: the waker serves every caller, not the one making the loop.
  const stack_context::NullContext no_context;
  add_handler(callbacks_.waker(), [](Waker& waker, unsigned) { waker.consume(); }, READ);
  handlers_.at(callbacks_.waker().fileno()).named = &typeid(Waker);  // the trace: "ch05::Waker"
  poller_name_ = poller_->name();
  become_current(policy);
}

IOLoop::~IOLoop() {
  open_.reset();  // before anything else: no thread may take us as its current loop now
  // That is all current() needs: it forgets a loop whose token has expired. This thread's
  // current_loop is left alone, since a static loop is destroyed at exit after the
  // thread_locals are (assigning to it then is undefined; UBSan saw it in fuzz/).
  if (!closed_ && !running_) close(false);
}

void IOLoop::become_current(MakeCurrent policy) {
  switch (policy) {
    case MakeCurrent::if_none:
      if (current() == nullptr) make_current();
      break;
    case MakeCurrent::always:
      if (current() != nullptr) {
        throw std::logic_error(
            "IOLoop: MakeCurrent::always, but this thread already has a current loop "
            "(clear_current() it first, or use MakeCurrent::if_none)");
      }
      make_current();
      break;
    case MakeCurrent::never:
      break;
  }
}

void IOLoop::configure(std::string_view backend) {
  if (backend == "default") {
    configured.store(nullptr, std::memory_order_release);
    return;
  }
  for (std::string_view name : poller_names()) {
    if (name == backend) {
      configured.store(name.data(), std::memory_order_release);  // a literal: lives forever
      return;
    }
  }
  throw std::invalid_argument("IOLoop::configure: unknown backend \"" + std::string(backend) +
                              "\": choose select, poll, epoll or default");
}

std::string_view IOLoop::configured_backend() noexcept {
  const char* name = configured.load(std::memory_order_acquire);
  return name != nullptr ? name : "default";
}

IOLoop* IOLoop::current() noexcept {
  if (current_loop.open.expired()) current_loop = {};
  return current_loop.loop;
}
void IOLoop::make_current() noexcept { current_loop = {this, open_}; }  // closed: stays none
void IOLoop::clear_current() noexcept { current_loop = {}; }

void IOLoop::add_handler(int fd, Handler handler, unsigned events) {
  const std::type_info& named = handler.target_type();
  add_entry(fd, Entry{std::move(handler), {}, &named}, events);
}

void IOLoop::add_entry(int fd, Entry entry, unsigned events) {
  if (closed_) throw std::logic_error("add_handler: the IOLoop is closed");
  if (fd < 0) throw std::invalid_argument("add_handler: fd " + std::to_string(fd) + " is negative");
  check_events("add_handler", events);
  if (!entry.handler) throw std::invalid_argument("add_handler: the handler is empty");
  if (stack_context::active()) entry.handler = stack_context::wrap(std::move(entry.handler));
  // Unlike Tornado 4.5, which overwrote its table before the poller refused the duplicate,
  // we refuse before touching anything.
  if (handlers_.contains(fd)) {
    throw std::invalid_argument("add_handler: fd " + std::to_string(fd) +
                                " is already registered (remove_handler it first; or was it closed "
                                "without remove_handler, and its number reused by a new descriptor?)");
  }
  poller_->register_fd(fd, events | ERROR);  // may throw; then nothing was recorded
  handlers_.emplace(fd, std::move(entry));
}

void IOLoop::update_handler(int fd, unsigned events) {
  check_events("update_handler", events);
  if (!handlers_.contains(fd)) {
    throw std::invalid_argument("update_handler: fd " + std::to_string(fd) + " is not registered");
  }
  poller_->modify(fd, events | ERROR);
}

void IOLoop::remove_handler(int fd) {
  const auto it = handlers_.find(fd);
  if (it == handlers_.end()) {
    common::log(common::LogLevel::debug,
                "remove_handler: fd " + std::to_string(fd) + " is not registered; ignored");
    return;
  }
  if (pending_.empty()) {
    handlers_.erase(it);
  } else {
    retired_.push_back(handlers_.extract(it));  // mid-round: it may be the handler running now
  }
  // Tornado: self._events.pop(fd, None). Its pending events this round are dropped.
  for (std::size_t i = next_pending_; i < pending_.size(); ++i) {
    if (pending_[i].fd == fd) pending_[i].events = NONE;
  }
  if (!closed_) poller_->unregister(fd);
}

void IOLoop::start() {
  if (closed_) throw std::logic_error("start: the IOLoop is closed");
  if (running_) throw std::logic_error("start: the IOLoop is already running");
  if (stopped_) {  // stop() came first: this start() is used up by it
    stopped_ = false;
    return;
  }
  // For as long as it runs, this loop is the thread's current one; the previous one
  // (perhaps none) comes back when start() returns, however it returns.
  struct RunScope {
    IOLoop& loop;
    CurrentLoop previous = current_loop;
    explicit RunScope(IOLoop& l) : loop(l) {
      loop.make_current();
      loop.running_ = true;
    }
    ~RunScope() {
      current_loop = previous;
      loop.running_ = false;  // Tornado leaves it set after a fatal poll error; we do not
      loop.stopped_ = false;  // a stop() issued during this run must not cancel the next one
      if (loop.tracer_) loop.tracer_->record({.what = TraceEvent::What::stopped, .turn = loop.turns_});
    }
  } scope(*this);
  // Whatever contexts the caller of start() had open, the loop's turns run under none: each
  // callback re-enters the stack it captured, and one that captured none runs with none
  // (Tornado's wrap gave such a callback a wrapper that cleared the stack every time).
  const stack_context::NullContext no_context;
  callbacks_.set_loop_thread(std::this_thread::get_id());

  while (true) {
    ++turns_;
    // (1) Callbacks added from now on wait for the next turn, so I/O is never starved.
    callbacks_.take_into(ready_);
    // (2) Decide which timeouts are due before running anything: a timeout that schedules
    //     another for "now" cannot make it run in this same turn.
    timers_.collect_due(*clock_);
    if (tracer_) {
      const TimerStats heap = timers_.stats();
      tracer_->record({.what = TraceEvent::What::turn, .turn = turns_, .callbacks = ready_.size(),
                       .due = timers_.due_count(), .heap = heap.heap_size,
                       .tombstones = heap.cancelled});
    }
    // (3) Run the callbacks, then the due timeouts.
    run_callbacks();
    run_timeouts();
    if (!running_) break;
    // (4) Sleep in the poller: not at all if callbacks wait, else until the nearest deadline.
    const bool busy = callbacks_.waiting();
    const std::optional<time_point> deadline = timers_.nearest_deadline();
    const std::optional<duration> limit =
        busy ? std::optional(duration::zero()) : clock_->wait_limit(deadline);
    const Poller::Result polled = tracer_ ? traced_poll(limit, deadline) : poller_->poll(limit);
    if (polled.interrupted) continue;  // EINTR: a signal arrived; simply go round again
    if (!busy && polled.events.empty() && deadline) clock_->idle_until(*deadline);
    // (5) Dispatch ready fds one at a time; a handler may remove another fd's handler.
    dispatch(polled.events);
  }
}

// The poll, timed and reported: what start() calls instead when a tracer is set.
Poller::Result IOLoop::traced_poll(std::optional<duration> timeout, std::optional<time_point> deadline) {
  std::optional<duration> deadline_in;
  if (deadline) deadline_in = *deadline - time();
  const auto before = std::chrono::steady_clock::now();
  const Poller::Result polled = poller_->poll(timeout);
  TraceEvent event{.what = TraceEvent::What::polled, .turn = turns_, .backend = poller_name_,
                   .asked = timeout, .deadline_in = deadline_in,
                   .slept = std::chrono::steady_clock::now() - before};
  event.ready.assign(polled.events.begin(), polled.events.end());
  tracer_->record(event);
  return polled;
}

void IOLoop::trace_run(TraceEvent::Work work, const std::type_info* callable, int fd, unsigned events) {
  tracer_->record({.what = TraceEvent::What::run, .turn = turns_, .work = work, .fd = fd,
                   .events = events, .callable = callable});
}

void IOLoop::trace_returned() { tracer_->record({.what = TraceEvent::What::returned, .turn = turns_}); }

void IOLoop::stop() noexcept {
  running_ = false;
  stopped_ = true;
}

// ---------------------------------------------------------------------------- timeouts

IOLoop::Timeout IOLoop::call_at(time_point when, Callback callback) {
  if (closed_) throw std::logic_error("call_at: the IOLoop is closed");
  if (!callback) throw std::invalid_argument("call_at: the callback is empty");
  if (stack_context::active()) callback = stack_context::wrap(std::move(callback));
  return timers_.add(when, std::move(callback));
}

IOLoop::Timeout IOLoop::call_later(duration delay, Callback callback) {
  // Saturate rather than overflow (signed overflow is undefined): a delay too large for the
  // clock means "never", one too negative means "long ago", i.e. due at the next turn.
  // Each bound is computed so that it cannot overflow itself (max - positive, min - negative).
  const time_point now = time();
  const duration since_epoch = now.time_since_epoch();
  time_point when;
  if (delay > duration::zero() && since_epoch > duration::max() - delay) {
    when = time_point::max();
  } else if (delay < duration::zero() && since_epoch < duration::min() - delay) {
    when = time_point::min();
  } else {
    when = now + delay;
  }
  return call_at(when, std::move(callback));
}

IOLoop::Timeout IOLoop::add_timeout(time_point deadline, Callback callback) {
  return call_at(deadline, std::move(callback));
}

IOLoop::Timeout IOLoop::add_timeout(duration delay, Callback callback) {
  return call_later(delay, std::move(callback));
}

void IOLoop::remove_timeout(Timeout timeout) noexcept { timers_.remove(timeout); }

IOLoop::TimerStats IOLoop::timer_stats() const noexcept { return timers_.stats(); }

void IOLoop::run_timeouts() {
  while (const Callback callback = timers_.next_due()) {
    if (tracer_) trace_run(TraceEvent::Work::timeout, &type_of(callback));
    run_guarded(callback, [&] { return "timeout callback " + name_of(callback); });
    if (tracer_) trace_returned();
  }
}


// ---------------------------------------------------------------------------- callbacks

void IOLoop::add_callback(Callback callback) {
  if (!callback) throw std::invalid_argument("add_callback: the callback is empty");
  // The calling thread's contexts go with it. With none open (nearly always, and on another
  // thread usually) it costs one thread_local read: the callback is not touched.
  if (stack_context::active()) callback = stack_context::wrap(std::move(callback));
  callbacks_.push(std::move(callback));
}

bool IOLoop::add_callback_from_signal(void (*function)(void*), void* argument) noexcept {
  return callbacks_.push_from_signal(function, argument);
}

void IOLoop::run_callbacks() {
  struct Clear {
    std::vector<Callback>& batch;
    ~Clear() { batch.clear(); }
  } clear{ready_};
  for (const Callback& callback : ready_) {
    if (tracer_) trace_run(TraceEvent::Work::callback, &type_of(callback));
    run_guarded(callback, [&] { return "callback " + name_of(callback); });
    if (tracer_) trace_returned();
  }
}

template <class Body, class Describe>
void IOLoop::run_guarded(Body&& body, Describe&& describe) {
  const BlockingAlarm::Scope alarm(blocking_alarm_.get());  // the watchdog, if there is one
  const std::optional<time_point> started =
      blocking_threshold_ ? std::optional(time()) : std::nullopt;
  try {
    body();
  } catch (...) {
    handle_callback_exception(describe(), std::current_exception());
  }
  if (started) {
    const duration took = time() - *started;
    if (took > *blocking_threshold_) {
      common::log(common::LogLevel::warning,
                  "IOLoop blocked for " + milliseconds(took) + " in " + describe());
    }
  }
}

// ---------------------------------------------------------------------------- the watchdog

void IOLoop::set_blocking_signal_threshold(std::optional<duration> threshold, BlockingAction action) {
  if (threshold && *threshold <= duration::zero()) {
    throw std::invalid_argument("set_blocking_signal_threshold: the threshold must be positive, got " +
                                milliseconds(*threshold) + " (std::nullopt turns the watchdog off)");
  }
  if (threshold && action == nullptr) {
    throw std::invalid_argument(
        "set_blocking_signal_threshold: the action is null (IOLoop::log_stack reports the stack)");
  }
  blocking_threshold_ = action == log_stack ? threshold : std::nullopt;
  const auto ns = threshold ? std::chrono::duration_cast<std::chrono::nanoseconds>(*threshold)
                            : std::chrono::nanoseconds::zero();
  if (!blocking_alarm_) {
    if (threshold) blocking_alarm_ = std::make_unique<BlockingAlarm>(ns, action, blocking_report_fd_);
    return;
  }
  blocking_alarm_->set(ns, action);
  // Turned off, and not from inside the work it watches: the alarm goes, and with the last
  // one the process gets its own SIGALRM handler back.
  if (!threshold && !blocking_alarm_->armed()) blocking_alarm_.reset();
}

void IOLoop::set_blocking_report_fd(int fd) {
  blocking_report_fd_ = fd;
  if (blocking_alarm_) blocking_alarm_->set_report_fd(fd);
}

// ---------------------------------------------------------------------------- dispatch

void IOLoop::dispatch(std::span<const Event> events) {
  // However the round ends (an overridden handle_callback_exception may throw), the work
  // list and the parked handlers go: a later remove_handler must not think it is mid-round.
  struct EndOfRound {
    IOLoop& loop;
    ~EndOfRound() {
      loop.pending_.clear();
      loop.next_pending_ = 0;
      loop.retired_.clear();
    }
  } end_of_round{*this};
  pending_.assign(events.begin(), events.end());
  for (next_pending_ = 0; next_pending_ < pending_.size();) {
    const Event event = pending_[next_pending_++];
    if (event.events == NONE) continue;  // its handler was removed earlier this round
    if (event.events & Poller::CLOSED) {
      // select said EBADF, poll said POLLNVAL: the fd was closed while registered. Polling
      // it again would fail (select) or spin (poll), so we drop it. (epoll forgets such an
      // fd by itself, silently: its handler is simply never called again.)
      common::log(common::LogLevel::error,
                  "IOLoop: fd " + std::to_string(event.fd) +
                      " was closed while still registered; dropping its handler "
                      "(call remove_handler before closing an fd)");
      remove_handler(event.fd);
      continue;
    }
    run_handler(event.fd, event.events);
  }
}

void IOLoop::run_handler(int fd, unsigned events) {
  const auto it = handlers_.find(fd);
  if (it == handlers_.end()) {
    // Only epoll can do this: the fd was closed without remove_handler while a duplicate
    // (dup, fork) keeps the file open, so the kernel still reports it under the old number.
    // Tornado 4.5 logged a KeyError here every turn; we say what it means.
    common::log(common::LogLevel::error,
                "IOLoop: the poller reported fd " + std::to_string(fd) +
                    ", which has no handler (closed without remove_handler while a duplicate "
                    "keeps it open?)");
    return;
  }
  const Handler& handler = it->second.handler;
  if (tracer_) trace_run(TraceEvent::Work::handler, it->second.named, fd, events);
  run_guarded(
      [&] {
        try {
          handler(fd, events);
        } catch (...) {
          // A peer that went away while we wrote to it is routine for a server: Tornado
          // ignores EPIPE from handlers, and so do we.
          if (!is_broken_pipe(std::current_exception())) throw;
        }
      },
      [fd] { return "handler for fd " + std::to_string(fd); });
  if (tracer_) trace_returned();
}

void IOLoop::handle_callback_exception(std::string_view where, std::exception_ptr error) {
  common::log(common::LogLevel::error,
              "Exception in " + std::string(where) + ": " + common::describe(error));
}

void IOLoop::close_fd(int fd) noexcept {
  ::close(fd);  // EBADF: closed already, by its owner; nothing left to do
}

void IOLoop::close(bool all_fds) {
  if (running_) {
    throw std::logic_error("close: the IOLoop is still running; stop() it and let start() return");
  }
  if (closed_) return;
  // From here on add_callback neither queues nor touches the waker. What was queued is
  // destroyed when close() returns: their destructors are user code.
  const std::vector<Callback> dropped = callbacks_.close();
  closed_ = true;
  open_.reset();  // a closed loop is current nowhere: coroutines must not wait on it
  if (all_fds) {
    // As Tornado does: close without unregistering first (the poller is going away too).
    for (auto& [fd, entry] : handlers_) {
      if (entry.close_file) {
        entry.close_file();
      } else {
        close_fd(fd);
      }
    }
  }
  handlers_.clear();
  retired_.clear();
  poller_.reset();
  blocking_alarm_.reset();  // nothing runs any more: nothing to watch
  timers_.clear();  // timeouts that never ran are dropped unrun, as Tornado drops its heap
}

// ---------------------------------------------------------------------------- PeriodicCallback

PeriodicCallback::PeriodicCallback(IOLoop& loop, Callback callback, duration interval,
                                   double jitter, RandomSource random)
    : loop_(loop),
      callback_(std::move(callback)),
      interval_(interval),
      jitter_(jitter),
      random_(std::move(random)) {
  check_schedule();
  if (!callback_) throw std::invalid_argument("PeriodicCallback: the callback is empty");
}

void PeriodicCallback::check_schedule() {
  if (interval_ <= duration::zero()) {
    throw std::invalid_argument("PeriodicCallback: the interval must be positive, got " +
                                milliseconds(interval_));
  }
  if (!(jitter_ >= 0 && jitter_ <= 1)) {  // NaN fails both
    throw std::invalid_argument("PeriodicCallback: the jitter must be a fraction of the interval, "
                                "from 0 to 1, got " + std::to_string(jitter_));
  }
  if (jitter_ > 0 && !random_) {
    random_ = [engine = std::minstd_rand(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0, 1)(engine);
    };
  }
}

void PeriodicCallback::start() {
  if (running_) return;
  running_ = true;
  next_run_ = loop_.time();
  if (in_run_) return;  // restarted by its own run, which plans the next one as it ends
  try {
    schedule_next();
  } catch (...) {  // a closed loop refuses the timeout: then we are not running either
    running_ = false;
    throw;
  }
}

void PeriodicCallback::stop() noexcept {
  running_ = false;
  loop_.remove_timeout(timeout_);
  timeout_ = {};
}

void PeriodicCallback::run() {
  if (!running_) return;
  in_run_ = true;
  try {
    callback_();
  } catch (...) {
    loop_.handle_callback_exception("periodic callback " + name_of(callback_),
                                    std::current_exception());
  }
  in_run_ = false;
  schedule_next();
}

void PeriodicCallback::schedule_next() {
  if (!running_) return;  // stopped from inside its own callback
  update_next(loop_.time());
  timeout_ = loop_.call_at(next_run_, [this] { run(); });
}

// Tornado 6's _update_next: plans the run after the one at next_run_.
void PeriodicCallback::update_next(IOLoop::time_point now) {
  const duration interval = jittered_interval();
  if (next_run_ <= now) {
    // Jump to the first slot of the grid strictly after now: every slot missed while the
    // callback (or the loop) was busy is skipped, none is fired late in a burst.
    const auto missed = (now - next_run_) / interval;
    next_run_ += (missed + 1) * interval;
  } else {
    // The clock went backwards during the run (a wall clock does when NTP steps it; an
    // injected one can), so the slot just run still lies ahead. Planning it again would run
    // it twice, as Tornado 4.5 did; like Tornado 6 we plan the one after it.
    next_run_ += interval;
  }
}

// Tornado 6: interval * (1 + jitter * (random() - 0.5)). Drawn afresh for every plan.
PeriodicCallback::duration PeriodicCallback::jittered_interval() {
  if (jitter_ == 0) return interval_;
  const double r = std::clamp(random_(), 0.0, 1.0);
  const auto stretched =
      std::chrono::duration<double, duration::period>(interval_) * (1 + jitter_ * (r - 0.5));
  return std::max(duration(1), std::chrono::round<duration>(stretched));  // never a zero step
}

}  // namespace ch05
