#include "ioloop.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "common/log.hpp"

namespace ch03 {
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

  // Step (1), the callback queue, arrives in chapter 4; the numbers are the ones the
  // finished loop and the notes' diagram use.
  while (true) {
    ++turns_;
    // (2) Decide which timeouts are due before running anything: a timeout that schedules
    //     another for "now" cannot make it run in this same turn.
    timers_.collect_due(*clock_);
    if (tracer_) {
      const TimerStats heap = timers_.stats();
      tracer_->record({.what = TraceEvent::What::turn, .turn = turns_, .due = timers_.due_count(),
                       .heap = heap.heap_size, .tombstones = heap.cancelled});
    }
    // (3) Run the due timeouts, in deadline order.
    run_timeouts();
    if (!running_) break;
    // (4) Sleep in the poller until an fd is ready or the nearest deadline passes.
    const std::optional<time_point> deadline = timers_.nearest_deadline();
    const Poller::Result polled = tracer_ ? traced_poll(clock_->wait_limit(deadline), deadline)
                                          : poller_->poll(clock_->wait_limit(deadline));
    if (polled.interrupted) continue;  // EINTR: a signal arrived; simply go round again
    if (polled.events.empty() && deadline) clock_->idle_until(*deadline);
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
    if (tracer_) trace_run(TraceEvent::Work::timeout, &callback.target_type());
    try {
      callback();
    } catch (...) {
      handle_callback_exception("timeout callback", std::current_exception());
    }
    if (tracer_) trace_returned();
  }
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
  if (tracer_) trace_run(TraceEvent::Work::handler, it->second.named, fd, events);
  try {
    it->second.handler(fd, events);
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    // A peer that went away while we wrote to it is routine for a server: Tornado ignores
    // EPIPE from handlers, and so do we.
    if (!is_broken_pipe(error)) {
      handle_callback_exception("handler for fd " + std::to_string(fd), error);
    }
  }
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
  timers_.clear();  // timeouts that never ran are dropped unrun, as Tornado drops its heap
}

}  // namespace ch03
