// Coroutines: code that waits on Futures and reads as if it blocked. Tornado: gen.py.
// The Runner drives a generator in chapter 1's protocol: it sends each finished Future back
// in, or throws its exception in at the yield. Two kinds of generator use the very same
// Runner: a state machine written by hand (chapter 1's style), started by coroutine(), and a
// C++20 coroutine returning Coroutine<T>, whose state machine the compiler writes.
#pragma once

#include <atomic>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "common/log.hpp"
#include "concurrent.hpp"
#include "generator.hpp"
#include "ioloop.hpp"

namespace ch08 {

/// Tornado's gen.moment: "let everyone else run once, then resume me". Yielding it costs
/// exactly one turn of the loop.
struct Moment {};
inline constexpr Moment moment{};

/// How many already-finished Futures a coroutine may take in a row before it lets the loop
/// turn anyway. Awaiting a done Future never suspends (Tornado: the Runner goes on "in the
/// same stack frame"), so a coroutine whose data is always already there, as a client that
/// pipelines requests makes it, would keep the loop from its timers and other fds for ever.
/// After this many, the next one costs one hop, as moment does, and the value is delivered
/// after it. Only a coroutine with a current loop hops: with none, nothing else could run.
inline constexpr int max_steps_without_a_turn = 64;

/// with_timeout gave up. Tornado 4.5: tornado.gen.TimeoutError.
class GenTimeoutError : public TimeoutError {
 public:
  using TimeoutError::TimeoutError;
};

/// What a coroutine yields to the Runner: a Future of any value type (or moment). Python
/// needs no such wrapper; C++ erases the type so that one Runner serves every Future.
class AnyFuture {
 public:
  /// Waits on nothing: never done. What the Runner holds between two waits. Yielded by a
  /// generator (`yield({})`), it is Tornado's `yield None`, which the Runner takes as moment.
  AnyFuture() = default;
  template <class T>
  AnyFuture(Future<T> future) : impl_(std::make_shared<Model<T>>(std::move(future))) {}
  AnyFuture(Moment) : moment_(true) {}

  bool is_moment() const noexcept { return moment_; }
  /// Holds neither a Future nor moment (default-made): nothing to wait on.
  bool empty() const noexcept { return !moment_ && !impl_; }
  /// What it holds, in words ("a Future<int>", "moment", "nothing"): for errors and the trace.
  std::string held_type() const {
    if (moment_) return "moment";
    if (!impl_) return "nothing";
    return "a Future<" + common::type_name(impl_->value_type()) + ">";
  }
  /// moment counts as done: it carries no value, only the hop the Runner takes for it.
  bool done() const { return moment_ || (impl_ && impl_->done()); }
  std::exception_ptr exception() const { return impl_ ? impl_->exception() : nullptr; }
  /// Cancels the Future it holds (moment and nothing cannot be cancelled: false).
  bool cancel() const { return impl_ && impl_->cancel(); }
  void add_done_callback(std::function<void()> callback) const {
    if (!impl_) throw std::logic_error("AnyFuture::add_done_callback: it holds no Future");
    impl_->add_done_callback(std::move(callback));
  }

  /// The Future<T> it holds; asking for the wrong T is a mistake, named in the message.
  template <class T>
  Future<T> as() const {
    const auto* model = dynamic_cast<const Model<T>*>(impl_.get());
    if (model == nullptr) {
      throw std::logic_error("AnyFuture::as: it holds " + held_type() + ", not a Future<" +
                             common::type_name(typeid(T)) + ">");
    }
    return model->future;
  }
  /// as<T>().result(): the value (or the stored exception, rethrown).
  template <class T>
  std::add_lvalue_reference_t<T> result() const {
    const auto* model = dynamic_cast<const Model<T>*>(impl_.get());
    if (model == nullptr) as<T>();  // throws, naming both types
    return model->future.result();
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual bool done() const = 0;
    virtual std::exception_ptr exception() const = 0;
    virtual bool cancel() const = 0;
    virtual void add_done_callback(std::function<void()> callback) const = 0;
    virtual const std::type_info& value_type() const = 0;
  };
  template <class T>
  struct Model final : Concept {
    explicit Model(Future<T> f) : future(std::move(f)) {}
    bool done() const override { return future.done(); }
    std::exception_ptr exception() const override { return future.exception(); }
    bool cancel() const override { return future.cancel(); }
    void add_done_callback(std::function<void()> callback) const override {
      future.add_done_callback([callback = std::move(callback)](const Future<T>&) { callback(); });
    }
    const std::type_info& value_type() const override { return typeid(T); }
    Future<T> future;
  };

  std::shared_ptr<const Concept> impl_;
  bool moment_ = false;
};

/// What a generator returns, as a Generator's R: void becomes std::monostate.
template <class T>
using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// The generators the Runner drives: they yield AnyFutures and are sent back the finished
/// ones (a state machine reads its value with `in.sent_value().result<int>()`).
template <class T>
using CoroutineGenerator = Generator<AnyFuture, AnyFuture, Stored<T>>;

namespace detail {

// How a coroutine's Future ends when an exception left the body: cancelled if it was a
// CancelledError (asyncio: a Task whose coroutine lets it out is cancelled), else failed.
template <class T>
void fail_or_cancel(const Future<T>& result, std::exception_ptr error) {
  if (!is_cancellation(error)) {
    result.set_exception(std::move(error));
    return;
  }
  result.on_cancel(nullptr);  // the Runner's handler would only hand the request back
  result.cancel();
}

}  // namespace detail

/// Tornado's gen.Runner. Owned by the loop while its coroutine waits (IOLoop::keep_coroutine);
/// the callbacks it registers hold it weakly, so a destroyed Runner is never resumed.
/// Cancelling its Future is a request it passes on (asyncio's Task.cancel): the coroutine
/// receives CancelledError where it waits, and may catch it, clean up, and even return.
/// How many Runners the process has made: the trace numbers coroutines in that order, from 1.
inline std::atomic<std::uint64_t> runners_made{0};

template <class T>
class Runner final : public std::enable_shared_from_this<Runner<T>> {
 public:
  using Gen = CoroutineGenerator<T>;

  Runner(std::unique_ptr<Gen> generator, Future<T> result)
      : generator_(std::move(generator)), result_(std::move(result)) {}
  /// Destroyed while it waits (its loop closed): the Future it waited on was its to read,
  /// and now nobody will. A failure in it is not "never retrieved" news for the log: a
  /// server shutting down just after a client reset its connection would log one per
  /// connection.
  ~Runner() {
    if (future_.done()) future_.exception();
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  /// The generator has taken its first step and yielded `first`: wait on it, or go on at once
  /// if it is already done (Tornado: Runner.__init__).
  void start(AnyFuture first) {
    // From now on cancel() on the coroutine's Future (any copy of it) comes to us. Held
    // weakly: a Runner destroyed with its loop lets the Future be cancelled at once.
    result_.on_cancel([weak = this->weak_from_this()] {
      const auto runner = weak.lock();
      return runner != nullptr && runner->cancel();
    });
    if (handle_yield(std::move(first))) run();
  }

  /// Tornado: Runner.run. Sends finished Futures in until the generator yields one that is
  /// still pending, or finishes. A loop, never recursion: a million already-finished Futures
  /// in a row cost a million turns of this `while`, and no stack.
  void run() {
    if (running_ || finished_) return;  // re-entered from a callback of its own Future
    const auto self = this->shared_from_this();  // finishing lets the loop release us
    // However this pass ends, even by an exception, it is over, and a finished coroutine's
    // frame is let go of: a Runner left marked running would never run again, and its
    // frame would stay pinned in the loop until close().
    struct Pass {
      Runner& runner;
      explicit Pass(Runner& r) : runner(r) { runner.running_ = true; }
      ~Pass() {
        runner.running_ = false;
        if (runner.finished_ && runner.loop_ != nullptr) runner.loop_->release_coroutine(&runner);
      }
    } pass(*this);
    while (future_.done()) {
      const AnyFuture finished = std::exchange(future_, AnyFuture());
      std::optional<typename Gen::Result> step;
      try {
        // A failed Future is thrown in at the yield, where a try/catch may take it; so is
        // a cancellation the Future we waited on could not carry (see cancel()).
        std::exception_ptr error = finished.exception();
        if (std::exchange(must_cancel_, false)) error = std::make_exception_ptr(CancelledError());
        trace_step(What::resumed, [&] { return resumed_with(finished, error); });
        if (error) {
          step = generator_->throw_(error);
        } else {
          step = generator_->send(finished);
        }
      } catch (...) {
        finish_with(std::current_exception());
        break;
      }
      if (step->returned()) {
        finish_with(std::move(*step).return_value());
        break;
      }
      AnyFuture yielded = std::move(*step).value();
      if (!handle_yield(std::move(yielded))) break;
    }
  }

 private:
  // asyncio's Task.cancel, called through the coroutine's Future. The request goes on to the
  // Future the coroutine waits on: cancelled, it wakes us as any outcome would, and run()
  // throws its CancelledError in at the co_await. Where that cannot be done (it waits on
  // moment or on a Future already done, or it is running: it cancelled itself), we remember
  // the request, and the next step throws CancelledError in instead of what it waited for.
  // Either way the coroutine decides how it ends.
  bool cancel() {
    if (finished_) return false;
    if (!running_ && !future_.done() && future_.cancel()) return true;
    must_cancel_ = true;
    return true;
  }

  // The trace's account of this coroutine's steps (trace.hpp): the loop that hears of them,
  // if it has a tracer (its own loop once it has waited, else the current one), and what it says.
  IOLoop* tracing() const noexcept {
    IOLoop* loop = loop_ != nullptr ? loop_ : IOLoop::current();
    return loop != nullptr && loop->tracer() != nullptr ? loop : nullptr;
  }
  using What = TraceEvent::What;
  void trace(IOLoop& loop, What what, std::string detail) const {
    loop.tracer()->record(
        {.what = what, .turn = loop.turns(), .coroutine = number_, .detail = std::move(detail)});
  }
  // One step of the account, where the step happens: `detail` is built only if someone listens.
  template <class Detail>
  void trace_step(What what, Detail&& detail) const {
    if (IOLoop* loop = tracing()) trace(*loop, what, detail());
  }
  static std::string resumed_with(const AnyFuture& finished, const std::exception_ptr& error) {
    if (error) return "with an exception: " + common::describe(error);
    if (finished.is_moment()) return "after a moment";
    return "with the result of " + finished.held_type();
  }

  // Tornado: Runner.handle_yield. True if the caller should go on at once.
  bool handle_yield(AnyFuture yielded) {
    trace_step(What::suspended, [&] { return "on " + yielded.held_type(); });
    future_ = std::move(yielded);
    // Yielding nothing is Tornado's `yield None`: moment, one turn.
    if (future_.empty()) future_ = AnyFuture(moment);
    // Cancelled while it ran: the request goes on to what it waits on now, as in cancel().
    if (must_cancel_ && !future_.done() && future_.cancel()) must_cancel_ = false;
    if (future_.done() && !future_.is_moment()) {
      // Go on at once, unless it has done so too often in a row: then one hop (see
      // max_steps_without_a_turn), and run() sends the finished Future in after it.
      if (++steps_without_a_turn_ < max_steps_without_a_turn || IOLoop::current() == nullptr) return true;
    }
    steps_without_a_turn_ = 0;
    if (loop_ == nullptr) {
      loop_ = IOLoop::current();
      if (loop_ == nullptr) {
        // Nothing could ever resume us: say so at the yield, where it can be caught.
        future_ = failed(std::logic_error(
            "a coroutine waited on a pending Future with no current IOLoop to resume it"));
        return true;
      }
      loop_->keep_coroutine(this->shared_from_this());
    }
    std::weak_ptr<Runner> weak = this->weak_from_this();
    auto resume = [weak] {
      if (auto runner = weak.lock()) runner->loop_->add_callback([weak] {
        if (auto alive = weak.lock()) alive->run();
      });
    };
    if (future_.done()) {
      resume();  // moment (or a turn given back): one hop, and nothing to wait for
    } else {
      future_.add_done_callback(resume);  // the hop after it resolves (Tornado: add_future)
    }
    return false;
  }

  void finish_with(std::exception_ptr error) {
    trace_step(What::finished, [&] { return "raised " + common::describe(error); });
    finished_ = true;
    if (resolved_from_outside()) return;
    detail::fail_or_cancel(result_, std::move(error));
  }
  void finish_with(std::optional<Stored<T>> value) {
    trace_step(What::finished, [] { return std::string("returned"); });
    finished_ = true;
    if (resolved_from_outside()) return;
    if constexpr (std::is_void_v<T>) {
      result_.set_result();
    } else {
      result_.set_result(std::move(*value));
    }
  }

  // A coroutine's Future is resolved by the coroutine alone (asyncio refuses Task.set_result;
  // Coroutine<T> has no set_result), but a plain Future<T> copy of it can still be resolved.
  // Then the first outcome stays, and the coroutine's own is dropped, said, not thrown.
  bool resolved_from_outside() const {
    if (!result_.done()) return false;
    common::log(common::LogLevel::error,
                "a coroutine's Future was resolved from outside before the coroutine finished; "
                "its own outcome is dropped (only the coroutine may resolve it)");
    return true;
  }

  template <class E>
  static AnyFuture failed(E error) {
    Future<void> future;
    future.set_exception(std::make_exception_ptr(std::move(error)));
    return future;
  }

  std::unique_ptr<Gen> generator_;
  Future<T> result_;
  AnyFuture future_;  // what the generator waits on now
  IOLoop* loop_ = nullptr;  // set the first time it has to wait (Tornado: IOLoop.current())
  const std::uint64_t number_ = ++runners_made;  // what the trace calls it
  int steps_without_a_turn_ = 0;  // finished Futures taken in a row, without a hop
  bool running_ = false;
  bool finished_ = false;
  bool must_cancel_ = false;  // a cancel() not yet passed on: thrown in at the next step
};

/// Tornado's @gen.coroutine, for a hand-written generator: runs its first step now (code
/// before the first yield runs inside this call), and returns the Future of its result. An
/// exception it throws goes into that Future, never out of this call.
template <class G>
auto coroutine(std::unique_ptr<G> generator) {
  using Stored = typename G::return_type;
  using T = std::conditional_t<std::is_same_v<Stored, std::monostate>, void, Stored>;
  static_assert(std::is_base_of_v<CoroutineGenerator<T>, G>,
                "coroutine() drives a Generator<AnyFuture, AnyFuture, R>");
  Future<T> result;
  std::optional<typename G::Result> first;
  try {
    first = generator->next();
  } catch (...) {
    detail::fail_or_cancel(result, std::current_exception());
    return result;
  }
  if (first->returned()) {
    if constexpr (std::is_void_v<T>) {
      result.set_result();
    } else {
      result.set_result(std::move(*std::move(*first).return_value()));
    }
    return result;
  }
  auto runner = std::make_shared<Runner<T>>(std::move(generator), result);
  runner->start(std::move(*first).value());
  return result;
}

// ---------------------------------------------------------------------------- helpers

/// Tornado's gen.sleep: a Future the current loop resolves after `delay`. sleep(0) is not
/// moment: the timer fires on the next turn and the waiter resumes on the turn after. A
/// sleeping coroutine that is cancelled cancels its sleep; the timer then finds it done.
inline Future<void> sleep(IOLoop::duration delay) {
  IOLoop* loop = IOLoop::current();
  if (loop == nullptr) throw std::logic_error("sleep: there is no current IOLoop");
  Future<void> future;
  loop->call_later(delay, [future] { future_set_result_unless_cancelled(future); });
  return future;
}

// ---------------------------------------------------------------------------- quiet_exceptions

/// The failures multi and with_timeout leave out of the log: Tornado's quiet_exceptions
/// argument (one exception type, or a tuple of them). Written quiet_exceptions<E...>; the
/// default, quiet about nothing, logs every failure those helpers cannot hand to anyone.
class QuietExceptions {
 public:
  constexpr QuietExceptions() = default;

  /// Quiet about the exceptions caught as any E (an E, or derived from one), as Python's
  /// isinstance(e, quiet_exceptions) asks.
  template <class... E>
  static constexpr QuietExceptions of() {
    return QuietExceptions(+[](const std::exception_ptr& error) { return (common::holds<E>(error) || ...); });
  }

  bool covers(const std::exception_ptr& error) const { return covers_ != nullptr && covers_(error); }

 private:
  using Test = bool (*)(const std::exception_ptr&);
  constexpr explicit QuietExceptions(Test covers) : covers_(covers) {}

  Test covers_ = nullptr;
};

/// `multi(children, quiet_exceptions<std::system_error>)`: Tornado's
/// `multi(children, quiet_exceptions=OSError)`.
template <class... E>
inline constexpr QuietExceptions quiet_exceptions = QuietExceptions::of<E...>();

namespace detail {

// multi's bookkeeping, shared by the children's callbacks. It holds the outcomes, never the
// children: a child's callback holding its own child would be a cycle, never freed. V is the
// child's value type, std::monostate for a Future<void> (Python's None).
template <class V>
struct Gathering {
  Future<std::vector<V>> result;
  std::vector<std::optional<V>> values;
  std::vector<std::exception_ptr> errors;
  std::size_t remaining = 0;
  QuietExceptions quiet;

  void finish() {
    // Every child is done: the first failure by position wins; later ones are logged, unless
    // they are of a type the caller said to keep quiet about.
    std::exception_ptr first;
    for (const std::exception_ptr& error : errors) {
      if (!error) continue;
      if (!first) {
        first = error;
      } else if (!quiet.covers(error)) {
        common::log(common::LogLevel::error, "Multiple exceptions in yield list: " + common::describe(error));
      }
    }
    // Its waiter may have been cancelled meanwhile (the children were not): then the outcome
    // is dropped, and a failure logged, since nobody will see it.
    if (first) {
      future_set_exception_unless_cancelled(result, first);
      return;
    }
    std::vector<V> out;
    out.reserve(values.size());
    for (std::optional<V>& value : values) out.push_back(std::move(*value));
    future_set_result_unless_cancelled(result, std::move(out));
  }
};

}  // namespace detail

/// Tornado's gen.multi over a list: a Future of every child's value, in input order. It
/// waits for all of them, even after one fails; then the first failure by position is its
/// exception and any later ones are logged (those `quiet` covers excepted). Already-finished
/// children resolve it at once. Children of Future<void> give one std::monostate each, as
/// Tornado's list of None: the result always has one entry per child.
template <class T>
Future<std::vector<Stored<T>>> multi(const std::vector<Future<T>>& children, QuietExceptions quiet = {}) {
  auto gathering = std::make_shared<detail::Gathering<Stored<T>>>();
  gathering->values.resize(children.size());
  gathering->errors.resize(children.size());
  gathering->remaining = children.size();
  gathering->quiet = quiet;
  Future<std::vector<Stored<T>>> result = gathering->result;
  if (children.empty()) {
    result.set_result({});
    return result;
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    // One callback per child, duplicates included: the same Future twice counts twice.
    children[i].add_done_callback([gathering, i](const Future<T>& child) {
      if (std::exception_ptr error = child.exception()) {
        gathering->errors[i] = error;
      } else if constexpr (std::is_void_v<T>) {
        gathering->values[i].emplace();
      } else {
        try {
          gathering->values[i].emplace(child.take_result());
        } catch (...) {  // a move-only value another waiter took first
          gathering->errors[i] = std::current_exception();
        }
      }
      if (--gathering->remaining == 0) gathering->finish();
    });
  }
  return result;
}

/// gen.multi over a dict: the same, keyed as the input is.
template <class K, class T>
Future<std::map<K, Stored<T>>> multi(const std::map<K, Future<T>>& children, QuietExceptions quiet = {}) {
  std::vector<K> keys;
  std::vector<Future<T>> futures;
  for (const auto& [key, future] : children) {
    keys.push_back(key);
    futures.push_back(future);
  }
  Future<std::map<K, Stored<T>>> result;
  multi(futures, quiet).add_done_callback([result, keys](const Future<std::vector<Stored<T>>>& all) {
    if (std::exception_ptr error = all.exception()) {
      future_set_exception_unless_cancelled(result, error);
      return;
    }
    std::map<K, Stored<T>> out;
    for (std::size_t i = 0; i < keys.size(); ++i) out.emplace(keys[i], std::move(all.result()[i]));
    future_set_result_unless_cancelled(result, std::move(out));
  });
  return result;
}

/// gen.multi over moments: Tornado's moment is a Future already resolved with None, so in a
/// yield list it costs no turn, and multi([moment, moment]) is [None, None] at once.
inline Future<std::vector<std::monostate>> multi(const std::vector<Moment>& moments) {
  Future<void> resolved;
  resolved.set_result();
  return multi(std::vector<Future<void>>(moments.size(), resolved));
}

/// Tornado's gen.with_timeout: a Future with `future`'s outcome, or GenTimeoutError("Timeout")
/// if `deadline` comes first. `future` itself is never cancelled, even though Futures can be
/// (Tornado 6 does not either): it may be shared with other waiters, or be work that must
/// finish, and a caller who wants it stopped cancels it. If it fails after the deadline, that
/// failure is logged rather than lost (a cancellation is not, nor what `quiet` covers). When
/// `future` wins, the timer is removed at once. Cancelling the returned Future leaves `future`
/// alone too.
template <class T>
Future<T> with_timeout(IOLoop::time_point deadline, const Future<T>& future, QuietExceptions quiet = {}) {
  IOLoop* loop = IOLoop::current();
  if (loop == nullptr) throw std::logic_error("with_timeout: there is no current IOLoop");
  Future<T> result;
  chain_future(future, result);
  if (future.done()) return result;
  const IOLoop::Timeout timer = loop->call_at(deadline, [result, future, quiet] {
    if (result.done()) return;
    result.set_exception(std::make_exception_ptr(GenTimeoutError("Timeout")));
    future.add_done_callback([quiet](const Future<T>& late) {
      if (late.cancelled()) return;
      std::exception_ptr error = late.exception();
      if (error && !quiet.covers(error)) {
        common::log(common::LogLevel::error, "Exception in Future after timeout: " + common::describe(error));
      }
    });
  });
  future.add_done_callback([loop, alive = loop->alive_token(), timer](const Future<T>&) {
    if (!alive.expired()) loop->remove_timeout(timer);
  });
  return result;
}
template <class T>
Future<T> with_timeout(IOLoop::duration timeout, const Future<T>& future, QuietExceptions quiet = {}) {
  IOLoop* loop = IOLoop::current();
  if (loop == nullptr) throw std::logic_error("with_timeout: there is no current IOLoop");
  return with_timeout(loop->time() + timeout, future, quiet);
}

// ---------------------------------------------------------------------------- WaitIterator

/// Tornado's gen.WaitIterator: the results of several Futures one at a time, in the order
/// they finish, each with where it came from. Already-finished ones come first, in input
/// order. A failed input fails only its own step, so a loop can go on past it:
///
///     WaitIterator it(futures);
///     while (!it.done()) {
///       try {
///         int r = co_await it.next();    // or, by hand: yield it.next(), and read the sent Future
///         use(r, *it.current_index());
///       } catch (const std::exception& e) { ... it.current_future() failed ... }
///     }
///
/// Key is the input's position (a vector, Tornado's *args) or key (a map, its **kwargs).
/// The iterator may go before the Future its next() returned: that Future still resolves.
template <class T, class Key = std::size_t>
class WaitIterator {
 public:
  explicit WaitIterator(const std::vector<Future<T>>& futures)
    requires std::is_same_v<Key, std::size_t>
  {
    for (std::size_t i = 0; i < futures.size(); ++i) watch(i, futures[i]);
  }
  explicit WaitIterator(const std::map<Key, Future<T>>& futures) {
    for (const auto& [key, future] : futures) watch(key, future);
  }

  /// True once every input has been handed out by next(). Then, as in Tornado, it also
  /// forgets the current index and Future.
  bool done() {
    if (!state_->finished.empty() || state_->unfinished > 0) return false;
    state_->current.reset();
    return true;
  }

  /// A new Future (never one of the inputs) with the outcome of the next input to finish: at
  /// once if one has finished and not been handed out yet, else when one does. Asking again
  /// before it resolved, or after done(), is a mistake: that Future would never resolve.
  Future<T> next() {
    State& state = *state_;
    if (state.running && !state.running->done()) {
      throw InvalidStateError("WaitIterator::next: the Future the last next() returned is still pending");
    }
    if (state.finished.empty() && state.unfinished == 0) {
      throw InvalidStateError("WaitIterator::next: every input was handed out already; check done() first");
    }
    state.running.emplace();
    Future<T> running = *state.running;
    if (!state.finished.empty()) {
      auto [key, finished] = std::move(state.finished.front());
      state.finished.pop_front();
      state.hand_out(std::move(key), finished);
    }
    return running;
  }

  /// Where the last Future handed out came from; empty before the first, and once done().
  std::optional<Key> current_index() const {
    return state_->current ? std::optional<Key>(state_->current->first) : std::nullopt;
  }
  /// The input whose outcome the last next() gave (Tornado compares it with `is`: same_as).
  std::optional<Future<T>> current_future() const {
    return state_->current ? std::optional<Future<T>>(state_->current->second) : std::nullopt;
  }

 private:
  // Shared with the inputs' callbacks, so it outlives the iterator (Tornado's test_no_ref).
  // It holds an input only once it has finished: a pending one's callback holding its own
  // Future through here would be a cycle, never freed if that input never finishes.
  struct State {
    std::deque<std::pair<Key, Future<T>>> finished;  // finished, not handed out yet
    std::size_t unfinished = 0;
    std::optional<Future<T>> running;  // what the last next() returned
    std::optional<std::pair<Key, Future<T>>> current;

    void on_finished(Key key, const Future<T>& input) {
      --unfinished;
      if (running && !running->done()) {
        hand_out(std::move(key), input);
      } else {
        finished.emplace_back(std::move(key), input);
      }
    }
    // The running Future takes the input's outcome (taking its value, as any waiter does).
    void hand_out(Key key, const Future<T>& input) {
      current.emplace(std::move(key), input);
      const Future<T> out = *running;
      if (input.cancelled()) {  // as chain_future passes a cancellation on
        out.cancel();
      } else if (std::exception_ptr error = input.exception()) {
        out.set_exception(error);
      } else if constexpr (std::is_void_v<T>) {
        out.set_result();
      } else {
        try {
          out.set_result(input.take_result());
        } catch (const InvalidStateError&) {  // a move-only value another waiter took first
          out.set_exception(std::current_exception());
        }
      }
    }
  };

  void watch(Key key, const Future<T>& input) {
    ++state_->unfinished;
    // A finished input runs this at once: already-finished ones queue up in input order.
    input.add_done_callback([state = state_, key](const Future<T>& done) { state->on_finished(key, done); });
  }

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

template <class T>
WaitIterator(const std::vector<Future<T>>&) -> WaitIterator<T, std::size_t>;
template <class K, class T>
WaitIterator(const std::map<K, Future<T>>&) -> WaitIterator<T, K>;

// ---------------------------------------------------------------------------- Coroutine<T>

template <class T = void>
class Coroutine;

namespace detail {

// What the body, its awaiters and its Runner share, inside the coroutine frame: the same
// for every T.
struct FrameState {
  AnyFuture waiting_on;        // set when the body suspends on a pending Future
  std::exception_ptr thrown;   // what the Runner threw in: raised by the paused co_await
  std::exception_ptr escaped;  // an exception that left the body
  bool driven = false;         // a Runner owns the frame (after its first real wait)
  int steps_without_a_turn = 0;  // finished Futures awaited in a row, without suspending

  // True if the body may go on past an already-finished Future; false once it has done so
  // max_steps_without_a_turn times in a row (and a loop is there to give the turn to).
  bool may_go_on_without_a_turn() noexcept {
    if (++steps_without_a_turn < max_steps_without_a_turn || IOLoop::current() == nullptr) return true;
    steps_without_a_turn = 0;
    return false;
  }

  std::suspend_never initial_suspend() noexcept { return {}; }  // the first step runs in the call
  void unhandled_exception() noexcept { escaped = std::current_exception(); }
};

// How the body hands back what it co_returns. A promise has return_value or return_void,
// never both: the choice is made here, so Promise below is written once for every T.
template <class T>
struct Returned {
  std::optional<T> value;
  void return_value(T v) { value.emplace(std::move(v)); }
};
template <>
struct Returned<void> {
  void return_void() noexcept {}
};

template <class T>
struct Promise;

// The compiler's state machine, seen through chapter 1's protocol: what the Runner drives.
template <class T>
class FrameGenerator final : public CoroutineGenerator<T> {
 public:
  using typename CoroutineGenerator<T>::Result;
  using typename CoroutineGenerator<T>::Input;

  explicit FrameGenerator(std::coroutine_handle<Promise<T>> frame) : frame_(frame) {}
  ~FrameGenerator() override { frame_.destroy(); }  // a suspended frame's locals die here

 protected:
  Result resume(Input in) override {
    Promise<T>& promise = frame_.promise();
    if (!started_) {
      // Its first step ran inside the call, up to the pending Future it now waits on.
      started_ = true;
      return this->yield(std::exchange(promise.waiting_on, AnyFuture()));
    }
    if (in.is_throw()) promise.thrown = in.exception();
    frame_.resume();  // runs the body up to its next pending Future, or to its end
    if (!frame_.done()) return this->yield(std::exchange(promise.waiting_on, AnyFuture()));
    if (promise.escaped) std::rethrow_exception(promise.escaped);
    if constexpr (std::is_void_v<T>) {
      return this->return_();
    } else {
      return this->return_(std::move(*promise.value));
    }
  }

 private:
  std::coroutine_handle<Promise<T>> frame_;
  bool started_ = false;
};

// Suspends the body on a pending Future. The first time, a Runner takes the frame over.
template <class T>
bool suspend_on(std::coroutine_handle<Promise<T>> frame, AnyFuture pending) {
  Promise<T>& promise = frame.promise();
  promise.steps_without_a_turn = 0;
  if (promise.driven) {  // the Runner is resuming us: hand it the Future to wait on
    promise.waiting_on = std::move(pending);
    return true;
  }
  if (IOLoop::current() == nullptr) {
    // No loop could ever resume us: raise it at this co_await, without suspending.
    promise.thrown = std::make_exception_ptr(std::logic_error(
        "a coroutine waited on a pending Future with no current IOLoop to resume it"));
    return false;
  }
  promise.driven = true;
  promise.waiting_on = std::move(pending);
  auto generator = std::make_unique<FrameGenerator<T>>(frame);
  AnyFuture first = generator->next().value();  // reports the Future we stopped at
  auto runner = std::make_shared<Runner<T>>(std::move(generator), promise.result);
  runner->start(std::move(first));  // pending, or moment: it registers and returns
  return true;
}

// `co_await future` / `co_yield future`: go on at once if it is done, else suspend. A done
// Future that comes after too many in a row suspends for one turn (moment) first.
// A Future the caller names (an lvalue) is borrowed, not copied, as long as we go on at once:
// a copy is a shared_ptr's two atomic counts, most of what a co_await on a done Future would
// cost. Once we suspend, the caller's Future might go before we resume, so we keep a copy.
template <class T, class U>
struct FutureAwaiter {
  const Future<U>* borrowed;       // the caller's, or null
  std::optional<Future<U>> owned;  // a temporary's, or our copy of the borrowed one
  Promise<T>& promise;

  const Future<U>& future() const { return owned ? *owned : *borrowed; }

  bool await_ready() const noexcept { return future().done() && promise.may_go_on_without_a_turn(); }
  bool await_suspend(std::coroutine_handle<Promise<T>> frame) {
    if (!owned) owned = *borrowed;
    return suspend_on(frame, owned->done() ? AnyFuture(moment) : AnyFuture(*owned));
  }
  U await_resume() {
    if (std::exception_ptr thrown = std::exchange(promise.thrown, nullptr)) {
      std::rethrow_exception(thrown);
    }
    if constexpr (std::is_void_v<U>) {
      future().result();
    } else {
      return future().take_result();
    }
  }
};

// `co_await moment`: always suspends, for exactly one turn.
template <class T>
struct MomentAwaiter {
  Promise<T>& promise;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<Promise<T>> frame) {
    return suspend_on(frame, AnyFuture(moment));
  }
  void await_resume() {
    if (std::exception_ptr thrown = std::exchange(promise.thrown, nullptr)) {
      std::rethrow_exception(thrown);
    }
  }
};

// The coroutine's promise: the frame's state, its return value, the Future<T> that reports
// the outcome, and what co_await accepts.
template <class T>
struct Promise : FrameState, Returned<T> {
  Future<T> result;

  Coroutine<T> get_return_object();

  // At the end: undriven (it never waited), the frame delivers its own result and goes;
  // driven, it stays for the Runner, which reads the outcome and destroys it.
  struct FinalAwaiter {
    bool await_ready() noexcept {
      if (self.driven) return false;
      self.deliver();
      return true;
    }
    void await_suspend(std::coroutine_handle<>) noexcept {}
    void await_resume() noexcept {}
    Promise& self;
  };
  FinalAwaiter final_suspend() noexcept { return {*this}; }

  // What co_await and co_yield accept: Tornado's convert_yielded.
  template <class U>
  FutureAwaiter<T, U> await_transform(const Future<U>& future) {
    return {&future, std::nullopt, *this};
  }
  template <class U>
  FutureAwaiter<T, U> await_transform(Future<U>&& future) {
    return {nullptr, std::move(future), *this};
  }
  template <class U>
  FutureAwaiter<T, std::vector<Stored<U>>> await_transform(const std::vector<Future<U>>& children) {
    return {nullptr, multi(children), *this};
  }
  template <class K, class U>
  FutureAwaiter<T, std::map<K, Stored<U>>> await_transform(const std::map<K, Future<U>>& children) {
    return {nullptr, multi(children), *this};
  }
  MomentAwaiter<T> await_transform(Moment) { return {*this}; }
  template <class X>
  auto yield_value(X&& yielded) {
    return await_transform(std::forward<X>(yielded));
  }

 private:
  void deliver() noexcept {
    if (escaped) {
      fail_or_cancel(result, escaped);
    } else if constexpr (std::is_void_v<T>) {
      result.set_result();
    } else {
      result.set_result(std::move(*this->value));
    }
  }
};

}  // namespace detail

/// A C++20 coroutine in Tornado's sense: `@gen.coroutine` becomes this return type. Calling
/// one runs its body up to the first Future that is not done yet, then returns; the result is
/// this Coroutine, which is a Future<T> of what it co_returns (or of the exception that left
/// it). Inside, `T x = co_yield fetch();` is Tornado's `x = yield fetch()`, and
/// `co_await fetch()` is the same wait in the modern spelling (`await`, which Tornado
/// accepts since 4.3, with Python 3.5's native coroutines).
template <class T>
class Coroutine : public Future<T> {
 public:
  using promise_type = detail::Promise<T>;
  explicit Coroutine(Future<T> future) : Future<T>(std::move(future)) {}

  // Only the coroutine resolves its Future, as asyncio's Task refuses set_result and
  // set_exception: a caller that resolved it would race the coroutine's own outcome.
  template <class... Args>
  void set_result(Args&&...) const = delete;
  void set_exception(std::exception_ptr) const = delete;
  // Its Runner answers cancel(); nobody else may take that over.
  void on_cancel(std::function<bool()>) const = delete;
};

namespace detail {
template <class T>
Coroutine<T> Promise<T>::get_return_object() {
  return Coroutine<T>(result);
}
}  // namespace detail

// A Coroutine<T> is a Future<T> wherever one is expected (run_sync, add_future, co_await).
template <class T>
struct is_future<Coroutine<T>> : std::true_type {};
template <class T>
struct awaited<Coroutine<T>> {
  using type = T;
};

}  // namespace ch08
