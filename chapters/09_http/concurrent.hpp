// A value that arrives later, and the helpers around it. Tornado: concurrent.py (Future,
// chain_future), whose Future runs its callbacks inline when it completes; and Python's
// concurrent.futures.ThreadPoolExecutor, which run_in_executor hands work to.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/log.hpp"
#include "stack_context.hpp"

namespace ch09 {

/// A Future used against its state: read while pending, or resolved twice. asyncio's name;
/// Tornado 4.5 left double resolution undefined (and quietly overwrote the first value).
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// How deep done callbacks may nest inline: a callback that resolves another Future runs that
/// Future's callbacks inside its own call, so a chain of Futures (chain_future along many
/// links) would need a stack frame per link. Past this depth, a Future's callbacks are queued
/// instead and run by the outermost set_result before it returns, one after another. Either
/// way everything has run when set_result returns; only the order differs, and only that deep.
/// Tornado 4.5 recurses without a bound (to RecursionError, near 1000 Python frames).
inline constexpr int max_inline_callback_depth = 100;

namespace detail {

// This thread's nesting of done callbacks, and what waits below the bound. Not per Future:
// the recursion runs through Futures of any type.
struct CallbackNesting {
  int depth = 0;
  std::deque<std::function<void()>> deferred;
};
inline thread_local CallbackNesting callback_nesting;

}  // namespace detail

/// run_sync gave up waiting. Tornado 4.5: tornado.ioloop.TimeoutError.
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a cancelled Future raises when it is read, and what a cancelled coroutine receives
/// where it waits. asyncio's CancelledError, which Tornado 5+ uses. Like asyncio's (a
/// BaseException, not an Exception), it is no std::runtime_error or std::logic_error: a
/// `catch` written for failures does not swallow a cancellation by accident.
class CancelledError : public std::exception {
 public:
  const char* what() const noexcept override { return "CancelledError: the Future was cancelled"; }
};

/// True if `error` holds a CancelledError.
inline bool is_cancellation(const std::exception_ptr& error) noexcept {
  return common::holds<CancelledError>(error);
}

namespace detail {

// Whether a value can be given to several waiters, each a copy. std::is_copy_constructible
// says yes for a std::vector of move-only values (its copy constructor is not constrained),
// so we look inside the containers multi makes.
template <class T>
struct copyable : std::is_copy_constructible<T> {};
template <class T, class A>
struct copyable<std::vector<T, A>> : copyable<T> {};
template <class K, class V, class C, class A>
struct copyable<std::map<K, V, C, A>> : copyable<V> {};

}  // namespace detail

/// Tornado's Future: pending, then done with a value or an exception, once; or cancelled
/// (Tornado 5+, asyncio's), which is done too. Callbacks added with add_done_callback run
/// inline, inside set_result/set_exception/cancel, in the order they were added; added to a
/// done Future, a callback runs at once. Copies share one state, as Python
/// references to one object do; it is freed when the last copy (and callback) is gone. A
/// moved-from handle is empty, as a moved-from std::future is: using it throws
/// InvalidStateError saying so (valid() tells), until a Future is assigned to it.
/// Not thread-safe, like Tornado's: a worker thread hands its result to the loop's thread
/// (run_in_executor does), and the loop's thread resolves the Future.
template <class T>
class Future {
  // What is stored: T, or nothing for Future<void>.
  using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

 public:
  using value_type = T;
  using DoneCallback = std::function<void(const Future&)>;

  /// A new, pending Future.
  Future() : state_(std::make_shared<State>()) {}

  bool done() const { return state("done").done; }
  /// False for a moved-from handle: it refers to no Future at all.
  bool valid() const noexcept { return state_ != nullptr; }

  /// The value (a reference into the shared state, so a move-only value can be moved out),
  /// or the stored exception rethrown. Throws InvalidStateError while pending, and once a
  /// move-only value has been taken.
  std::add_lvalue_reference_t<T> result() const {
    check_done("result");
    state_->observed = true;
    if (state_->exception) std::rethrow_exception(state_->exception);
    if (state_->taken) {
      throw InvalidStateError(
          "result: the move-only value was already taken by another waiter (one Future, one taker)");
    }
    if constexpr (!std::is_void_v<T>) return *state_->value;
  }

  /// The stored exception, or null if it succeeded; a CancelledError if it was cancelled
  /// (asyncio raises that instead: here every waiter reads a cancellation as it reads a
  /// failure). Throws InvalidStateError while pending.
  std::exception_ptr exception() const {
    check_done("exception");
    state_->observed = true;
    return state_->exception;
  }

  /// What a waiter that keeps the value gets (run_sync, co_await, multi): a copy, or a
  /// move-only value moved out, once. One Future, one taker: a second take of a move-only
  /// value throws InvalidStateError instead of handing out what the first left behind.
  T take_result() const
    requires(!std::is_void_v<T>)
  {
    T& value = result();
    if constexpr (detail::copyable<T>::value) {
      return value;
    } else {
      state_->taken = true;
      return std::move(value);
    }
  }

  void set_result(Value value) const
    requires(!std::is_void_v<T>)
  {
    check_pending("set_result");
    state_->value.emplace(std::move(value));
    finish();
  }
  void set_result() const
    requires std::is_void_v<T>
  {
    check_pending("set_result");
    state_->value.emplace();
    finish();
  }
  void set_exception(std::exception_ptr error) const {
    if (!error) throw std::invalid_argument("set_exception: the exception_ptr is null");
    check_pending("set_exception");
    state_->exception = std::move(error);
    finish();
  }

  /// asyncio's Future.cancel: a request that the work behind the Future stop. A pending Future
  /// ends cancelled: done, result() raises CancelledError, and its done callbacks run. Returns
  /// false, changing nothing, if it is already done. If its work took cancel() over
  /// (on_cancel: a coroutine's Runner does), the Future instead ends however that work ends:
  /// cancelled, or with what the coroutine returned after cleaning up.
  bool cancel() const {
    const Future self = *this;  // the handler or a callback may destroy the handle we came through
    if (self.state("cancel").done) return false;
    if (const std::function<bool()> handler = self.state_->cancel_handler; handler && handler()) {
      return true;
    }
    if (self.state_->done) return false;  // the handler finished it after all
    self.state_->exception = std::make_exception_ptr(CancelledError());
    self.state_->cancelled = true;
    self.finish();
    return true;
  }
  /// True once cancel() has ended it (a coroutine's Future: once the coroutine let the
  /// CancelledError out).
  bool cancelled() const { return state("cancelled").cancelled; }

  /// For whoever does the work behind this Future: cancel() asks `handler` first. Returning
  /// true takes the request over, and the Future ends when the work does (asyncio's
  /// Task.cancel: a coroutine's Runner throws CancelledError in where the coroutine waits);
  /// false lets cancel() cancel the Future at once (run_in_executor's job, then skipped if
  /// no worker has started it). An empty handler removes it.
  void on_cancel(std::function<bool()> handler) const {
    state("on_cancel").cancel_handler = std::move(handler);
  }

  /// Runs `callback(*this)` when the Future is done: now, if it already is. A callback that
  /// throws is reported (logged) and the others still run. A callback that waits carries the
  /// stack contexts open now (stack_context.hpp), whoever resolves the Future later.
  void add_done_callback(DoneCallback callback) const {
    if (!callback) throw std::invalid_argument("add_done_callback: the callback is empty");
    if (state("add_done_callback").done) {
      run_callback(Future(*this), callback);  // a copy: the callback may destroy *this
    } else {
      state_->callbacks.push_back(stack_context::wrap_if_open(std::move(callback)));
    }
  }

  /// True if both handles share one state (Python's `is`).
  bool same_as(const Future& other) const noexcept { return state_ == other.state_; }

 private:
  struct State {
    bool done = false;
    bool observed = false;
    bool taken = false;  // a move-only value has gone to its one taker
    bool cancelled = false;  // done by cancel(): `exception` holds the CancelledError
    std::optional<Value> value;
    std::exception_ptr exception;
    std::vector<DoneCallback> callbacks;
    std::function<bool()> cancel_handler;  // on_cancel's; dropped when the Future is done

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
      // Tornado logs a failure nobody looked at when its Future is collected; so do we. A
      // cancellation is no failure: whoever cancelled knows (asyncio logs none either).
      if (exception && !observed && !cancelled) {
        common::log(common::LogLevel::error,
                    "Future exception was never retrieved: " + common::describe(exception));
      }
    }
  };

  // The shared state, or InvalidStateError naming `what` was called on an empty handle.
  State& state(const char* what) const {
    if (!state_) {
      throw InvalidStateError(std::string(what) + ": this Future is empty (it was moved from)");
    }
    return *state_;
  }
  void check_done(const char* what) const {
    if (!state(what).done) {
      throw InvalidStateError(std::string(what) + ": the Future is still pending");
    }
  }
  void check_pending(const char* what) const {
    if (state(what).done) {
      throw InvalidStateError(std::string(what) + ": the Future is already done");
    }
  }

  void finish() const {
    // From here on only `self` is used: a callback may destroy the handle we were called
    // through (the state lives on in `self`).
    const Future self = *this;
    self.state_->done = true;
    self.state_->cancel_handler = nullptr;  // what it captured is released with the work
    // Taken out first: a callback may add another, which then runs at once (we are done),
    // and whatever the callbacks capture is released as soon as they have run.
    std::vector<DoneCallback> callbacks = std::move(self.state_->callbacks);
    self.state_->callbacks.clear();
    auto run_all = [self, callbacks = std::move(callbacks)] {
      // Not under the resolver's contexts: each callback re-enters the ones it captured.
      const stack_context::NullContext no_context;
      for (const DoneCallback& callback : callbacks) run_callback(self, callback);
    };
    detail::CallbackNesting& nesting = detail::callback_nesting;
    if (nesting.depth >= max_inline_callback_depth) {
      nesting.deferred.push_back(std::move(run_all));  // the outermost set_result runs it
      return;
    }
    struct Nested {  // counted however the callbacks end
      int& depth;
      explicit Nested(int& d) : depth(d) { ++depth; }
      ~Nested() { --depth; }
    } nested(nesting.depth);
    run_all();
    if (nesting.depth > 1) return;
    while (!nesting.deferred.empty()) {  // outermost: run what waited, each from depth 1 again
      std::function<void()> next = std::move(nesting.deferred.front());
      nesting.deferred.pop_front();
      next();
    }
  }

  static void run_callback(const Future& self, const DoneCallback& callback) {
    try {
      callback(self);
    } catch (...) {
      common::log(common::LogLevel::error, "Exception in done callback " +
                                               type_name(callback) + ": " +
                                               common::describe(std::current_exception()));
    }
  }

  static std::string type_name(const DoneCallback& callback) {
    // One that carries stack contexts is named for what it wraps.
    if (const auto* wrapped = callback.template target<stack_context::Wrapped<const Future&>>()) {
      return type_name(wrapped->inner());
    }
    return common::type_name(callback.target_type());
  }

  std::shared_ptr<State> state_;
};

/// Recognises a Future<T> type (what run_sync and friends accept besides plain values).
template <class X>
struct is_future : std::false_type {};
template <class T>
struct is_future<Future<T>> : std::true_type {};
template <class X>
inline constexpr bool is_future_v = is_future<std::remove_cvref_t<X>>::value;

/// What waiting on an X yields: T for a Future<T>, X itself for a plain value.
template <class X>
struct awaited {
  using type = X;
};
template <class T>
struct awaited<Future<T>> {
  using type = T;
};
template <class X>
using awaited_t = typename awaited<std::remove_cvref_t<X>>::type;

/// When `a` completes, gives `b` the same outcome, unless `b` is done by then (then nothing).
/// Tornado: concurrent.chain_future. The value is copied: both Futures keep one. A cancelled
/// `a` cancels `b`; cancelling `b` leaves `a` alone (as Tornado's chain_future does).
template <class T>
  requires(std::is_void_v<T> || std::is_copy_constructible_v<T>)
void chain_future(const Future<T>& a, const Future<T>& b) {
  a.add_done_callback([b](const Future<T>& done) {
    if (b.done()) return;
    if (done.cancelled()) {
      b.cancel();
    } else if (std::exception_ptr error = done.exception()) {
      b.set_exception(error);
    } else if constexpr (std::is_void_v<T>) {
      b.set_result();
    } else {
      b.set_result(done.result());
    }
  });
}

/// Tornado's future_set_result_unless_cancelled: resolves `future`, unless it was cancelled
/// meanwhile; then the value is dropped quietly. For work that cannot be stopped once it has
/// started (a timer's, a worker's), whose result may come back after its Future was given up:
/// a plain set_result would throw InvalidStateError there.
template <class T>
  requires(!std::is_void_v<T>)
void future_set_result_unless_cancelled(const Future<T>& future, std::type_identity_t<T> value) {
  if (!future.cancelled()) future.set_result(std::move(value));
}
inline void future_set_result_unless_cancelled(const Future<void>& future) {
  if (!future.cancelled()) future.set_result();
}

/// Its twin for a failure (Tornado's future_set_exception_unless_cancelled): the failure of
/// work whose Future was cancelled is logged instead, since no waiter will ever see it.
template <class T>
void future_set_exception_unless_cancelled(const Future<T>& future, std::exception_ptr error) {
  if (!future.cancelled()) {
    future.set_exception(std::move(error));
    return;
  }
  common::log(common::LogLevel::error,
              "Exception after Future was cancelled: " + common::describe(error));
}

/// A fixed set of worker threads taking jobs from one queue, for run_in_executor.
/// Python: concurrent.futures.ThreadPoolExecutor.
class ThreadPoolExecutor {
 public:
  explicit ThreadPoolExecutor(std::size_t workers = 4);
  /// Finishes the jobs already submitted, then joins the workers. May run on one of its own
  /// workers (a job held the last reference): that one cannot join itself, so it is
  /// detached, and finishes the queue on the state it shares with the others.
  ~ThreadPoolExecutor();
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  /// Queues `job` for a worker. Safe from any thread. Throws std::logic_error once the
  /// executor is shut down.
  void submit(std::function<void()> job);
  /// Refuses new jobs from now on; with `wait`, also finishes the queued ones and joins (all
  /// but the calling thread, if it is a worker).
  void shutdown(bool wait = true);
  std::size_t worker_count() const noexcept { return workers_.size(); }

 private:
  // What the workers share. Each worker holds it too, so a worker still finishing after
  // the executor was destroyed (from inside one of its jobs) reads no freed memory.
  struct Queue {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> jobs;
    bool shut_down = false;
  };
  static void work(const std::shared_ptr<Queue>& queue);

  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::vector<std::thread> workers_;
};

}  // namespace ch09
