// Chapter 3: Timers.
// Adds over chapter 2: call_at, call_later, add_timeout, remove_timeout, time(), kept in a
//   TimerQueue of their own (timer_queue.hpp); an injectable Clock with a VirtualClock for
//   tests; the poll sleeps until the nearest deadline.
// Not yet: add_callback, the one way to reach the loop (and so stop it) from another thread
//   (chapter 4).
// Tornado: ioloop.py, PollIOLoop.call_at / remove_timeout, class _Timeout, time_func.
#pragma once

#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clock.hpp"
#include "platform/poller.hpp"
#include "timer_queue.hpp"
#include "trace.hpp"

namespace ch03 {

/// Anything that has a descriptor, as Tornado accepts any object with fileno().
template <class T>
concept FileLike = requires(const T& file) {
  { file.fileno() } -> std::convertible_to<int>;
};

/// Tornado's PollIOLoop: one thread, one `while`, one question to the kernel per turn.
/// Everything here is for the loop's own thread only (chapter 4 adds the one exception).
class IOLoop {
 public:
  static constexpr unsigned NONE = 0;
  static constexpr unsigned READ = Poller::READ;
  static constexpr unsigned WRITE = Poller::WRITE;
  /// Errors and hang-ups. Always watched: add_handler adds it to whatever you ask for.
  static constexpr unsigned ERROR = Poller::ERROR;

  using Handler = std::function<void(int fd, unsigned events)>;
  using Callback = std::function<void()>;
  using time_point = Clock::time_point;
  using duration = Clock::duration;

  /// What call_at and friends return, for remove_timeout (see timer_queue.hpp).
  using Timeout = TimerQueue::Timeout;

  /// What the timer heap holds right now, for tests and the curious.
  using TimerStats = TimerQueue::Stats;

  /// Whether a new loop becomes its thread's current loop (Tornado 4.5's make_current=None,
  /// True, False): only if the thread has none (the default), always (refused with
  /// std::logic_error if the thread already has one), or never.
  enum class MakeCurrent { if_none, always, never };

  /// Uses the named backend: "select", "poll", "epoll", or "default" (the one configure()
  /// chose, else the platform's best: epoll on Linux).
  explicit IOLoop(std::string_view poller = "default", MakeCurrent make_current = MakeCurrent::if_none);
  explicit IOLoop(std::unique_ptr<Poller> poller, MakeCurrent make_current = MakeCurrent::if_none);
  explicit IOLoop(MakeCurrent make_current) : IOLoop("default", make_current) {}
  /// The same, reading time from `clock` (by default a SteadyClock).
  IOLoop(std::string_view poller, std::shared_ptr<Clock> clock,
         MakeCurrent make_current = MakeCurrent::if_none);
  IOLoop(std::unique_ptr<Poller> poller, std::shared_ptr<Clock> clock,
         MakeCurrent make_current = MakeCurrent::if_none);
  virtual ~IOLoop();
  IOLoop(const IOLoop&) = delete;
  IOLoop& operator=(const IOLoop&) = delete;

  /// The backend every loop made with "default" uses from now on, process-wide: "select",
  /// "poll", "epoll", or "default" to go back to the platform's best (Tornado:
  /// IOLoop.configure). Safe from any thread; loops already made keep their backend. Throws
  /// std::invalid_argument for any other name, leaving the choice as it was.
  static void configure(std::string_view backend);
  /// What configure() last chose; "default" if nothing (or "default" itself).
  static std::string_view configured_backend() noexcept;

  /// The loop this thread is running, or the one made current; nullptr if none. Never a
  /// closed loop, nor one destroyed since (on this thread or any other). Destroying a loop
  /// while another thread is using it as its current one is a race no check can cure.
  static IOLoop* current() noexcept;
  void make_current() noexcept;
  static void clear_current() noexcept;

  // Tornado 5 kept its pre-4.0 names as deprecated aliases of the three above; so do we.
  // (Tornado 4.5's instance() was a process-wide singleton: see notes/02-select-loop.md.)
  [[deprecated("IOLoop::instance() is an alias: use IOLoop::current()")]]
  static IOLoop* instance() noexcept { return current(); }
  [[deprecated("IOLoop::install() is an alias: use make_current()")]]
  void install() noexcept { make_current(); }
  [[deprecated("IOLoop::clear_instance() is an alias: use IOLoop::clear_current()")]]
  static void clear_instance() noexcept { clear_current(); }

  /// Calls `handler(fd, events)` whenever `fd` is ready for any of `events` (plus ERROR).
  /// Level-triggered: an fd that stays ready is reported again on every turn.
  /// Throws std::invalid_argument for a negative fd, an fd already registered, or bits
  /// other than READ, WRITE and ERROR; the backend may refuse an fd too (select: FD_SETSIZE).
  void add_handler(int fd, Handler handler, unsigned events);

  /// The same for any object with fileno(): the handler receives the object itself, and
  /// close(true) calls the object's own close() if it has one. The object must outlive its
  /// registration. Registering the object and then its raw fd is the same fd: an error.
  template <FileLike File, std::invocable<File&, unsigned> FileHandler>
  void add_handler(File& file, FileHandler handler, unsigned events);

  /// Changes what `fd` is watched for; throws std::invalid_argument if it is not registered.
  void update_handler(int fd, unsigned events);
  void update_handler(const FileLike auto& file, unsigned events) {
    update_handler(file.fileno(), events);
  }

  /// Stops watching `fd`; events already collected for it this turn are dropped. Removing
  /// an fd that is not registered is ignored (logged at debug level), as Tornado does.
  void remove_handler(int fd);
  void remove_handler(const FileLike auto& file) { remove_handler(file.fileno()); }

  /// The loop's clock: every deadline is measured against it.
  time_point time() const { return clock_->now(); }

  /// Runs `callback` once, on the loop's thread, at the first turn when time() >= `when`.
  /// Equal deadlines run in the order they were scheduled; a deadline in the past is due at
  /// the next turn. Throws std::logic_error on a closed loop, std::invalid_argument for an
  /// empty callback.
  Timeout call_at(time_point when, Callback callback);
  /// call_at(time() + delay, ...).
  Timeout call_later(duration delay, Callback callback);
  /// Tornado's older spelling, which takes either a deadline or a delay.
  Timeout add_timeout(time_point deadline, Callback callback);
  Timeout add_timeout(duration delay, Callback callback);
  /// Cancels a timeout that has not run yet. Safe at any time: after it ran, twice, or from
  /// inside another timeout due in the same turn (it then does not run).
  void remove_timeout(Timeout timeout) noexcept;

  TimerStats timer_stats() const noexcept;

  /// Runs until stop(). Throws std::logic_error if the loop is already running or closed.
  /// If stop() was called while the loop was idle, returns at once, having run nothing.
  void start();
  /// Makes start() return once the current turn is over. Loop thread only (chapter 4 shows
  /// how another thread asks for it: add_callback).
  void stop() noexcept;

  /// Releases the poller. With all_fds, also closes every registered descriptor (objects
  /// through their own close()). Throws std::logic_error while running; a second call is a
  /// no-op. The destructor closes an open loop without closing the fds.
  void close(bool all_fds = false);

  /// Sends an account of every turn to `tracer` (nullptr: none), from the next event on.
  /// A new loop starts with the one $TUTORIAL_TRACE asks for (see trace.hpp).
  void set_tracer(std::shared_ptr<Tracer> tracer) noexcept { tracer_ = std::move(tracer); }
  /// How many turns the loop has begun, over all its runs.
  std::uint64_t turns() const noexcept { return turns_; }

  bool running() const noexcept { return running_; }
  bool closed() const noexcept { return closed_; }
  std::string_view poller_name() const noexcept { return poller_name_; }
  std::size_t handler_count() const noexcept { return handlers_.size(); }

 protected:
  /// Called, inside the catch, for each exception that escapes a handler or a timeout; the
  /// loop goes on. `where` names what was running ("handler for fd 7", "timeout callback").
  /// Default: log at error level.
  virtual void handle_callback_exception(std::string_view where, std::exception_ptr error);

  /// What close(all_fds) does to each descriptor, as Tornado's close_fd: an object through
  /// its own close() if it has one, else its fd; errors are ignored (it may be gone already).
  /// (Tornado's split_fd has no counterpart: add_handler's overloads split at compile time.)
  static void close_fd(int fd) noexcept;
  template <FileLike File>
  static void close_fd(File& file) noexcept;

 private:
  struct Entry {
    Handler handler;
    std::function<void()> close_file;  // an object's close_fd; empty for a plain int fd
    const std::type_info* named = nullptr;  // what the trace calls it (the caller's callable)
  };

  void become_current(MakeCurrent policy);
  void add_entry(int fd, Entry entry, unsigned events);
  void dispatch(std::span<const Event> events);
  void run_handler(int fd, unsigned events);
  Poller::Result traced_poll(std::optional<duration> timeout, std::optional<time_point> deadline);
  void trace_run(TraceEvent::Work work, const std::type_info* callable, int fd = -1, unsigned events = 0);
  void trace_returned();

  void run_timeouts();

  std::unique_ptr<Poller> poller_;
  std::shared_ptr<Clock> clock_;
  std::string_view poller_name_;  // names are string literals, so this outlives the poller
  std::unordered_map<int, Entry> handlers_;  // node-based: an entry never moves while it runs
  // (5)'s work list: what the last poll found, dispatched one fd at a time. remove_handler
  // clears an fd's entry here, so a handler removed mid-round is not called.
  std::vector<Event> pending_;
  std::size_t next_pending_ = 0;
  // A handler may remove itself while it runs. Destroying (or moving) a function object
  // during its own call is undefined, so removal during a round extracts the whole table
  // node, which keeps the handler where it is, and parks it here until the round is over.
  std::vector<std::unordered_map<int, Entry>::node_type> retired_;
  TimerQueue timers_;  // (2), (3) and (4)'s deadlines: see timer_queue.hpp

  std::shared_ptr<Tracer> tracer_ = tracer_from_environment();
  std::uint64_t turns_ = 0;
  bool running_ = false;
  bool stopped_ = false;  // a stop() that arrived while idle: the next start() returns at once
  bool closed_ = false;
  // What each thread's current() remembers beside the pointer, and checks before handing it
  // out: reset by close() and by the destructor, whichever thread they run on.
  std::shared_ptr<const bool> open_ = std::make_shared<const bool>(true);
};

template <FileLike File, std::invocable<File&, unsigned> FileHandler>
void IOLoop::add_handler(File& file, FileHandler handler, unsigned events) {
  Entry entry;
  entry.handler = [&file, handler = std::move(handler)](int, unsigned ready) mutable {
    handler(file, ready);
  };
  entry.close_file = [&file] { close_fd(file); };
  entry.named = &typeid(FileHandler);
  add_entry(file.fileno(), std::move(entry), events);
}

template <FileLike File>
void IOLoop::close_fd(File& file) noexcept {
  if constexpr (requires { file.close(); }) {
    try {
      file.close();
    } catch (...) {  // as for an fd: closing what is already gone is not worth an error
    }
  } else {
    close_fd(file.fileno());
  }
}

}  // namespace ch03
