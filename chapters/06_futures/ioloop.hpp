// Chapter 6: Futures.
// Adds over chapter 5: Future<T> (set_result, set_exception, add_done_callback, result,
//   exception, done, cancel, cancelled), chain_future; IOLoop::add_future, run_sync (whose
//   timeout cancels), run_in_executor with a ThreadPoolExecutor of our own; done callbacks
//   carry their stack contexts too; a callable whose result is a Future is a valid callback
//   wherever the loop takes one: kept alive until the Future is done, its failure reported
//   (a PeriodicCallback of one never overlaps its runs).
// Not yet: coroutines that wait on Futures (chapter 7).
// Tornado: concurrent.py, Future and chain_future; ioloop.py, IOLoop.add_future, run_sync,
//   and run_in_executor (which Tornado added in 5.0).
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "callback_queue.hpp"
#include "clock.hpp"
#include "common/log.hpp"
#include "concurrent.hpp"
#include "platform/blocking_alarm.hpp"
#include "platform/poller.hpp"
#include "timer_queue.hpp"
#include "trace.hpp"
#include "stack_context.hpp"

namespace ch06 {

/// Anything that has a descriptor, as Tornado accepts any object with fileno().
template <class T>
concept FileLike = requires(const T& file) {
  { file.fileno() } -> std::convertible_to<int>;
};

/// A callable the loop runs as a coroutine: its result is a Future (from chapter 7, a
/// Coroutine, which is one). Tornado 4.5's _run_callback looks at what every callback returns.
template <class F>
concept ReturnsFuture = std::invocable<F&> && is_future_v<std::invoke_result_t<F&>>;

/// Tornado's PollIOLoop: one thread, one `while`, one question to the kernel per turn.
/// Everything here is for the loop's own thread only, except add_callback (any thread) and
/// add_callback_from_signal (any thread, even inside a signal handler).
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

  /// How many callbacks add_callback_from_signal can hold until the loop takes them.
  static constexpr std::size_t signal_slots = CallbackQueue::signal_slots;

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

  /// Runs `callback` on the loop's thread at the next turn (callbacks added by a callback
  /// wait for the turn after: none can starve I/O or timers). The one method that is safe
  /// from any thread: it queues under a lock and, when the caller is not the loop's thread,
  /// wakes the loop through its waker (once, however many calls come before the loop wakes).
  /// On a closed loop the callback is dropped, as Tornado drops it.
  void add_callback(Callback callback);
  /// add_callback for fire-and-forget work: the callback carries none of the caller's stack
  /// contexts (stack_context.hpp), so the caller's error handlers never hear of it.
  void spawn_callback(Callback callback) {
    const stack_context::NullContext no_context;
    add_callback(std::move(callback));
  }
  /// Safe inside a POSIX signal handler, where locks and allocation are forbidden: takes a
  /// plain function and argument, runs `function(argument)` on the loop's thread at the next
  /// turn. Up to signal_slots may wait; beyond that it returns false and drops the call.
  /// Having no lock, it cannot exclude close(): uninstall the signal handler before closing.
  bool add_callback_from_signal(void (*function)(void*), void* argument = nullptr) noexcept;

  /// The blocked-loop watchdog (Tornado: set_blocking_signal_threshold). Before each
  /// callback, handler or timeout the loop arms a timer for `threshold` (real time); if that
  /// work is still running when it expires, `action` runs in a SIGALRM handler on the loop's
  /// thread, while the work is still blocking it. std::nullopt turns it off (the default;
  /// off, it costs one test of a null pointer per callback). With log_stack, the work also
  /// gets a warning line when it returns, with how long it took by the loop's clock. Throws
  /// std::invalid_argument for a threshold of zero or less, or a null action. While any loop
  /// has a watchdog, the process's SIGALRM handler is ours; a SIGALRM that is not a
  /// watchdog's goes to the handler we replaced.
  void set_blocking_signal_threshold(std::optional<duration> threshold, BlockingAction action);
  /// set_blocking_signal_threshold(threshold, log_stack). Tornado: set_blocking_log_threshold.
  void set_blocking_log_threshold(std::optional<duration> threshold) {
    set_blocking_signal_threshold(threshold, log_stack);
  }
  /// The default action: "IOLoop blocked for more than N ms" and the blocked thread's
  /// backtrace, written with async-signal-safe calls only to the report fd.
  static constexpr BlockingAction log_stack = &write_blocked_stack;
  /// Where log_stack writes: stderr unless told otherwise. The loop does not own the fd.
  void set_blocking_report_fd(int fd);

  /// How many times another thread (or a signal) had to wake the loop.
  std::uint64_t wakeups() const noexcept { return callbacks_.wakeups(); }

  /// Calls `callback(future)` on the loop's thread, on the turn after `future` resolves (the
  /// next turn, if it already has): never inline inside set_result. If the loop is gone by
  /// the time the future resolves, nothing runs. Loop thread only, like the Future itself.
  /// A callback whose result is a Future is a coroutine, as for add_callback below.
  template <class T, class F>
    requires std::invocable<F&, const Future<T>&>
  void add_future(const Future<T>& future, F callback);

  /// Wherever the loop takes a callback, a callable whose result is a Future (a coroutine,
  /// from chapter 7) goes on as a coroutine after its turn: the loop keeps the callable itself,
  /// and so its captures, at one address until that Future is done (a coroutine's frame reads
  /// its captures through the lambda it was called on), and reports the Future's failure
  /// through handle_callback_exception, as it reports a plain callback's throw. Tornado 4.5:
  /// _run_callback hands such a result to add_future. A plain callable takes the overloads
  /// above, which these funnel into, unchanged.
  template <ReturnsFuture F>
  void add_callback(F callback) {
    add_callback(keep_until_done(std::move(callback), "callback "));
  }
  template <ReturnsFuture F>
  void spawn_callback(F callback) {
    spawn_callback(keep_until_done(std::move(callback), "callback "));
  }
  template <ReturnsFuture F>
  Timeout call_at(time_point when, F callback) {
    return call_at(when, keep_until_done(std::move(callback), "timeout callback "));
  }
  template <ReturnsFuture F>
  Timeout call_later(duration delay, F callback) {
    return call_later(delay, keep_until_done(std::move(callback), "timeout callback "));
  }
  template <ReturnsFuture F>
  Timeout add_timeout(time_point deadline, F callback) {
    return call_at(deadline, std::move(callback));
  }
  template <ReturnsFuture F>
  Timeout add_timeout(duration delay, F callback) {
    return call_later(delay, std::move(callback));
  }

  /// Starts the loop, runs `func` inside it, and stops when what it returned is done:
  /// returns the value, or rethrows the exception. `func` returns a Future<T> or nothing (a
  /// plain value does not compile: Tornado 4.3+ refuses it too); an exception it throws is
  /// rethrown here. With a `timeout` that expires first, the Future is cancelled (Tornado 5+),
  /// the loop runs on until the work has stopped (a coroutine may clean up), and then throws
  /// TimeoutError saying how long it waited; unless the work finished anyway, when its
  /// outcome is returned, as Tornado's is. The loop is then stopped and reusable, and work
  /// still running will not stop a later run when it finishes.
  template <class F>
  auto run_sync(F func, std::optional<duration> timeout = std::nullopt);

  /// Runs `func()` on a worker of `executor` (nullptr: the loop's default executor) and
  /// returns a Future the loop's thread resolves with its value or exception. A shut-down
  /// executor refuses (std::logic_error). Cancelling the Future skips the job if no worker
  /// has started it; a job already running cannot be stopped, and its late value is dropped
  /// quietly (a late failure is logged). The executor may outlive the loop (one shared
  /// through set_default_executor does): a result that comes back after the loop is
  /// destroyed is dropped, as add_future drops one. The loop's own default executor is
  /// joined when the loop is destroyed.
  template <class F>
  auto run_in_executor(ThreadPoolExecutor* executor, F func)
      -> Future<std::invoke_result_t<F&>>;
  /// Replaces the executor that run_in_executor(nullptr, ...) uses.
  void set_default_executor(std::shared_ptr<ThreadPoolExecutor> executor);

  /// Runs until stop(). Throws std::logic_error if the loop is already running or closed.
  /// If stop() was called while the loop was idle, returns at once, having run nothing.
  void start();
  /// Makes start() return once the current turn is over. Loop thread only: from another
  /// thread, add_callback a call to it.
  void stop() noexcept;

  /// Releases the poller and the waker, and drops queued callbacks and timeouts unrun. With
  /// all_fds, also closes every registered descriptor (objects through their own close()).
  /// Throws std::logic_error while running; a second call is a no-op. The destructor closes
  /// an open loop without closing the fds.
  void close(bool all_fds = false);

  /// Sends an account of every turn to `tracer` (nullptr: none), from the next event on.
  /// Loop thread only. A new loop starts with the one $TUTORIAL_TRACE asks for (trace.hpp).
  void set_tracer(std::shared_ptr<Tracer> tracer) noexcept { tracer_ = std::move(tracer); }
  /// How many turns the loop has begun, over all its runs.
  std::uint64_t turns() const noexcept { return turns_; }

  bool running() const noexcept { return running_; }
  bool closed() const noexcept { return closed_; }
  std::string_view poller_name() const noexcept { return poller_name_; }
  /// Descriptors registered with add_handler (the loop's own waker is not counted).
  std::size_t handler_count() const noexcept { return closed_ ? 0 : handlers_.size() - 1; }

 protected:
  /// The one place where every exception escaping a callback, a handler or a timeout is
  /// reported; the loop goes on. Called inside the catch; `where` names what was running
  /// ("callback main::{lambda()#1}", "handler for fd 7", "timeout callback ..."), naming the
  /// callable's type where the compiler gives one. Default: log at error level.
  virtual void handle_callback_exception(std::string_view where, std::exception_ptr error);

  /// What close(all_fds) does to each descriptor, as Tornado's close_fd: an object through
  /// its own close() if it has one, else its fd; errors are ignored (it may be gone already).
  /// (Tornado's split_fd has no counterpart: add_handler's overloads split at compile time.)
  static void close_fd(int fd) noexcept;
  template <FileLike File>
  static void close_fd(File& file) noexcept;

 private:
  friend class PeriodicCallback;  // reports its callback's exceptions like any other

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
  // Runs one callback, handler or timeout: reports what escapes it, and warns if it ran
  // longer than the blocking threshold. `describe` builds its name, only when needed.
  template <class Body, class Describe>
  void run_guarded(Body&& body, Describe&& describe);
  // A plain callback that runs `callable` through run_until_done. The callable lives in a
  // shared_ptr: copying the callback copies the pointer, never the callable, which stays at
  // one address for as long as anyone needs it.
  template <class F>
  Callback keep_until_done(F callable, const char* kind, const std::type_info& named = typeid(F));
  template <class F, class Over>
  void run_until_done(const std::shared_ptr<F>& kept, const char* kind, const std::type_info& named,
                      Over over);

  void run_callbacks();
  ThreadPoolExecutor& default_executor();

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

  CallbackQueue callbacks_;      // (1)'s batch, and (4)'s "more waiting?": see callback_queue.hpp
  std::vector<Callback> ready_;  // (1)'s snapshot, run in (3); loop thread only
  std::optional<duration> blocking_threshold_;  // log_stack's: the warning line when work returns
  std::unique_ptr<BlockingAlarm> blocking_alarm_;  // null while there is no watchdog
  int blocking_report_fd_ = 2;                    // stderr
  // What add_future's callbacks hold instead of the loop itself: a Future that resolves
  // after the loop is gone finds the token expired and calls nothing.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  // The same for other threads, which cannot just check a token (the loop could be destroyed
  // between the check and the call): run_in_executor's workers hand their results back
  // under this lock, and the destructor empties it under the same lock, first thing.
  struct Handback {
    explicit Handback(IOLoop* l) : loop(l) {}
    std::mutex mutex;
    IOLoop* loop;  // guarded; null once the loop is being destroyed
  };
  std::shared_ptr<Handback> handback_ = std::make_shared<Handback>(this);

  std::shared_ptr<Tracer> tracer_ = tracer_from_environment();
  std::uint64_t turns_ = 0;
  bool running_ = false;
  bool stopped_ = false;  // a stop() that arrived while idle: the next start() returns at once
  bool closed_ = false;
  // What each thread's current() remembers beside the pointer, and checks before handing it
  // out: reset by close() and by the destructor, whichever thread they run on.
  std::shared_ptr<const bool> open_ = std::make_shared<const bool>(true);
  // Last, so it is destroyed (its workers joined) first, while the loop they report to still
  // stands; the loop is closed by then, so what they hand back is dropped.
  std::shared_ptr<ThreadPoolExecutor> default_executor_;
};

template <class T, class F>
  requires std::invocable<F&, const Future<T>&>
void IOLoop::add_future(const Future<T>& future, F callback) {
  // Tornado: future.add_done_callback(lambda f: self.add_callback(callback, f)).
  future.add_done_callback(
      [this, alive = std::weak_ptr(alive_), callback = std::move(callback)](const Future<T>& done) {
        if (alive.expired()) return;
        auto call = [callback, done]() mutable { return callback(done); };
        if constexpr (ReturnsFuture<decltype(call)>) {
          add_callback(keep_until_done(std::move(call), "callback ", typeid(F)));  // named as given
        } else {
          add_callback(std::move(call));
        }
      });
}

template <class F>
IOLoop::Callback IOLoop::keep_until_done(F callable, const char* kind, const std::type_info& named) {
  return [this, kind, named = &named, kept = std::make_shared<F>(std::move(callable))] {
    run_until_done(kept, kind, *named, [] {});
  };
}

// Tornado 4.5's _run_callback, for a callable whose result is a Future: calls it, then keeps
// it (the add_future callback below holds `kept`) until that Future is done. On the turn
// after, a failure is raised and reported as if the callable had thrown it (Tornado's
// _discard_future_result), and `over` runs; at once, if the callable throws instead.
template <class F, class Over>
void IOLoop::run_until_done(const std::shared_ptr<F>& kept, const char* kind,
                            const std::type_info& named, Over over) {
  using T = awaited_t<std::invoke_result_t<F&>>;
  std::optional<Future<T>> future;
  try {
    future.emplace((*kept)());
  } catch (...) {
    handle_callback_exception(kind + common::type_name(named), std::current_exception());
    over();
    return;
  }
  add_future(*future, [this, kept, kind, named = &named, over = std::move(over)](const Future<T>& done) mutable {
    try {
      done.result();
    } catch (...) {
      handle_callback_exception(kind + common::type_name(*named), std::current_exception());
    }
    over();
  });
}

template <class F>
auto IOLoop::run_sync(F func, std::optional<duration> timeout) {
  using Returned = std::invoke_result_t<F&>;
  static_assert(is_future_v<Returned> || std::is_void_v<Returned>,
                "run_sync: func returns a plain value. Return a Future<T> holding it (or a "
                "Coroutine<T> that co_returns it), or return nothing: Tornado 4.3+ refuses a "
                "non-None, non-yieldable value too");
  using T = awaited_t<Returned>;
  // Shared with the callbacks below, which may outlive this call (a timed-out future still
  // resolves later); `active` keeps them from stopping any later run.
  struct Run {
    F func;
    std::optional<Future<T>> future;
    bool active = true;
    bool timed_out = false;
  };
  auto run = std::make_shared<Run>(Run{std::move(func), std::nullopt, true, false});

  add_callback([this, run] {
    if (!run->active) return;  // that run_sync is over (an idle stop() ended it unstarted)
    Future<T> future;
    try {
      if constexpr (is_future_v<Returned>) {
        future = run->func();
      } else {
        run->func();
        future.set_result();
      }
    } catch (...) {
      if (!future.done()) future.set_exception(std::current_exception());
    }
    run->future = future;
    add_future(future, [this, run](const Future<T>&) {
      if (run->active) stop();
    });
  });
  Timeout timer;
  if (timeout) {
    timer = call_later(*timeout, [this, run] {
      run->timed_out = true;
      // Tornado 5+: cancel the work, and stop when it has stopped (the callback above), so a
      // coroutine cleans up before run_sync returns; at once if there is nothing to cancel.
      if (!run->future || !run->future->cancel()) stop();
    });
  }
  struct EndOfRun {  // however start() ends, this run's callbacks must not touch a later one
    IOLoop& loop;
    Run& run;
    Timeout timer;
    ~EndOfRun() {
      run.active = false;
      loop.remove_timeout(timer);
    }
  };
  {
    EndOfRun end{*this, *run, timer};
    start();
  }
  // Taken out of the shared Run: a Future that never resolves keeps our stop callback (and so
  // the Run) alive, and a Run holding that Future back would be a cycle, never freed.
  const std::optional<Future<T>> future = std::exchange(run->future, std::nullopt);
  if (run->timed_out && (!future || !future->done() || future->cancelled())) {
    // Tornado's words, so a port's logs and tests still find them.
    throw TimeoutError("Operation timed out after " + common::seconds_text(*timeout) + " seconds");
  }
  if (!future || !future->done()) {
    throw std::runtime_error("run_sync: the loop was stopped before the operation finished");
  }
  if constexpr (std::is_void_v<T>) {
    future->result();
  } else {
    return future->take_result();
  }
}

template <class F>
auto IOLoop::run_in_executor(ThreadPoolExecutor* executor, F func)
    -> Future<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  using Value = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  Future<R> future;
  ThreadPoolExecutor& pool = executor != nullptr ? *executor : default_executor();
  // A std::function must be copyable, so what travels between threads does so in a box.
  struct Outcome {
    std::optional<Value> value;
    std::exception_ptr error;
  };
  auto job = std::make_shared<F>(std::move(func));
  // Set on the loop's thread when the Future is cancelled, read by the worker that takes the
  // job: the one thing both threads touch, so an atomic.
  auto skip = std::make_shared<std::atomic<bool>>(false);
  future.on_cancel([skip] {
    skip->store(true);
    return false;  // and the Future is cancelled at once
  });
  pool.submit([handback = handback_, job, future, skip] {
    // On a worker thread: touch nothing of the loop but add_callback, nothing of the Future
    // but its handle.
    if (skip->load()) return;  // cancelled before any worker took it: never run
    auto outcome = std::make_shared<Outcome>();
    try {
      if constexpr (std::is_void_v<R>) {
        (*job)();
        outcome->value.emplace();
      } else {
        outcome->value.emplace((*job)());
      }
    } catch (...) {
      outcome->error = std::current_exception();
    }
    std::lock_guard lock(handback->mutex);
    if (handback->loop == nullptr) return;  // the loop is gone: the result is dropped
    handback->loop->add_callback([future, outcome] {
      // Cancelled while the job ran: nobody waits for this any more.
      if (outcome->error) {
        future_set_exception_unless_cancelled(future, outcome->error);
      } else if constexpr (std::is_void_v<R>) {
        future_set_result_unless_cancelled(future);
      } else {
        future_set_result_unless_cancelled(future, std::move(*outcome->value));
      }
    });
  });
  return future;
}

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

/// Calls `callback` every `interval`, on `loop`, from start() until stop(). The schedule is a
/// grid anchored at start(): each run is planned one interval after the previous plan, not
/// after the previous run finished, and runs missed by a slow callback or a blocked loop are
/// skipped, not fired in a burst. The first run comes one interval after start(). A clock
/// that goes backwards during a run still has the next run planned one interval on (Tornado
/// 6; 4.5 planned the same slot again, and ran it twice). A `jitter` (Tornado 5.1) stretches
/// or shrinks each interval at random, within a window of jitter * interval centred on it:
/// 0.1 lets a 10 s interval come out anywhere from 9.5 s to 10.5 s, so that timers started
/// together drift apart, at the same rate in the long run. Bound to its loop at construction
/// (Tornado 4.5); it must not outlive the loop. Destroying it stops it, but not from inside
/// its own callback (the callback is running): call stop() there.
class PeriodicCallback {
 public:
  using Callback = IOLoop::Callback;
  using duration = IOLoop::duration;
  /// Where the jitter comes from: a number from 0 to 1, as Python's random.random() gives.
  using RandomSource = std::function<double()>;

  /// Throws std::invalid_argument for an interval of zero or less, an empty callback, or a
  /// jitter outside [0, 1]. Without a `random` source it draws from a generator of its own.
  PeriodicCallback(IOLoop& loop, Callback callback, duration interval, double jitter = 0,
                   RandomSource random = {});
  /// The same for a callback whose result is a Future (a coroutine, from chapter 7): a run
  /// lasts until that Future is done, and only then is the next one planned, so runs never
  /// overlap and a long one skips the slots it missed (Tornado 6.2; 4.5 let them overlap).
  /// Its failure is reported as a plain callback's throw. The loop keeps the callable alive
  /// while a run is under way, even if this PeriodicCallback is destroyed meanwhile.
  template <ReturnsFuture F>
  PeriodicCallback(IOLoop& loop, F callback, duration interval, double jitter = 0,
                   RandomSource random = {});
  ~PeriodicCallback() { stop(); }
  PeriodicCallback(const PeriodicCallback&) = delete;
  PeriodicCallback& operator=(const PeriodicCallback&) = delete;

  /// Starts the schedule; starting a running PeriodicCallback does nothing. Started again
  /// from inside its own run, it leaves the planning of the next run to that run.
  void start();
  /// Stops it, also from inside its own callback. It may be started again.
  void stop() noexcept;
  bool is_running() const noexcept { return running_; }

 private:
  void check_schedule();
  void run();
  void end_run();
  void schedule_next();
  void update_next(IOLoop::time_point now);
  duration jittered_interval();

  IOLoop& loop_;
  Callback callback_;
  duration interval_;
  double jitter_;
  RandomSource random_;
  bool running_ = false;
  bool in_run_ = false;  // a run is under way: it plans the next one when it ends
  IOLoop::time_point next_run_{};
  IOLoop::Timeout timeout_;
  // For a callback whose result is a Future, instead of callback_: starts a run, and calls
  // its argument when the run is over. Empty for a plain callback.
  std::function<void(std::function<void()> over)> run_until_done_;
  // What a run that ends after this PeriodicCallback is destroyed finds expired.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

template <ReturnsFuture F>
PeriodicCallback::PeriodicCallback(IOLoop& loop, F callback, duration interval, double jitter,
                                   RandomSource random)
    : loop_(loop), interval_(interval), jitter_(jitter), random_(std::move(random)) {
  check_schedule();
  run_until_done_ = [&loop, kept = std::make_shared<F>(std::move(callback))](std::function<void()> over) {
    loop.run_until_done(kept, "periodic callback ", typeid(F), std::move(over));
  };
}

}  // namespace ch06
