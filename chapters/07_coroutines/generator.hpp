// Chapter 1: Generators.
// Adds: generators written by hand as state machines: next, send, throw_, close, a final
//   return value; the producer/executor ping-pong driven by a tiny scheduler.
// Not yet: an event loop (chapter 2); the Runner that drives generators from it (chapter 7).
// Tornado: none of it; this is the Python generator protocol Tornado's gen.coroutine runs on.
#pragma once

#include <concepts>
#include <exception>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace ch07 {

/// The four states Python's inspect.getgeneratorstate() reports (GEN_CREATED, ...).
enum class GeneratorState { Created, Running, Suspended, Closed };

inline std::string_view to_string(GeneratorState state) {
  switch (state) {
    case GeneratorState::Created: return "Created";
    case GeneratorState::Running: return "Running";
    case GeneratorState::Suspended: return "Suspended";
    case GeneratorState::Closed: return "Closed";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& out, GeneratorState state) {
  return out << to_string(state);
}

/// A generator was used against its protocol: sent a value before it started, resumed while
/// it was already running, or it yielded again when close() asked it to finish. In Python
/// these are a TypeError, a ValueError and a RuntimeError; here one type, and what() says
/// which mistake it was.
class GeneratorStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// What close() raises inside a suspended generator. Python's GeneratorExit derives from
/// BaseException, not Exception, so a body's `except Exception:` does not swallow it by
/// accident; likewise ours is no std::runtime_error or std::logic_error.
class GeneratorExit : public std::exception {
 public:
  const char* what() const noexcept override {
    return "GeneratorExit: close() asks the generator to finish at its yield";
  }
};

/// The outcome of one resume: the generator either yielded a Y (and is suspended), or
/// returned. The first return carries the body's return value, as Python's StopIteration.value
/// does; every later next() or send() on the finished generator answers a Returned with an
/// empty optional, as Python raises a bare StopIteration.
template <class Y, class R>
class GeneratorResult {
 public:
  static GeneratorResult of_yield(Y value) {
    return GeneratorResult(std::in_place_index<0>, std::move(value));
  }
  static GeneratorResult of_return(std::optional<R> value) {
    return GeneratorResult(std::in_place_index<1>, std::move(value));
  }

  bool yielded() const noexcept { return outcome_.index() == 0; }
  bool returned() const noexcept { return outcome_.index() == 1; }

  /// The yielded value; asking a Returned for it is a mistake.
  Y& value() & { return std::get<0>(checked(0)); }
  const Y& value() const& { return std::get<0>(checked(0)); }
  Y&& value() && { return std::get<0>(std::move(checked(0))); }

  /// The return value: set on the first completion only, empty on every later one.
  std::optional<R>& return_value() & { return std::get<1>(checked(1)); }
  const std::optional<R>& return_value() const& { return std::get<1>(checked(1)); }
  std::optional<R>&& return_value() && { return std::get<1>(std::move(checked(1))); }

 private:
  template <std::size_t I, class T>
  GeneratorResult(std::in_place_index_t<I> index, T&& value)
      : outcome_(index, std::forward<T>(value)) {}

  // Two alternatives by position, not by type: a generator may yield and return the same type.
  using Outcome = std::variant<Y, std::optional<R>>;

  Outcome& checked(std::size_t wanted) {
    if (outcome_.index() != wanted) throw_wrong_side(wanted);
    return outcome_;
  }
  const Outcome& checked(std::size_t wanted) const {
    if (outcome_.index() != wanted) throw_wrong_side(wanted);
    return outcome_;
  }
  [[noreturn]] static void throw_wrong_side(std::size_t wanted) {
    throw std::logic_error(wanted == 0
                               ? "GeneratorResult::value(): the generator returned, it did not "
                                 "yield; read return_value()"
                               : "GeneratorResult::return_value(): the generator yielded, it did "
                                 "not return; read value()");
  }

  Outcome outcome_;
};

/// What a resume brings into the body, at the point where it is suspended: nothing (next()),
/// a sent S (send()), or an exception to raise there (throw_(), and close()'s GeneratorExit).
template <class S>
class GeneratorInput {
 public:
  static GeneratorInput of_next() noexcept { return GeneratorInput(); }
  static GeneratorInput of_send(S value) {
    GeneratorInput in;
    in.sent_.emplace(std::move(value));
    return in;
  }
  static GeneratorInput of_throw(std::exception_ptr e) noexcept {
    GeneratorInput in;
    in.exception_ = std::move(e);
    return in;
  }

  bool is_next() const noexcept { return !is_send() && !is_throw(); }
  bool is_send() const noexcept { return sent_.has_value(); }
  bool is_throw() const noexcept { return exception_ != nullptr; }
  const std::exception_ptr& exception() const noexcept { return exception_; }

  /// Raises a thrown exception here, as Python raises it at the paused `yield`.
  void raise_if_thrown() const {
    if (exception_) std::rethrow_exception(exception_);
  }

  /// What the paused `yield` expression evaluates to in Python (`x = yield ...`): a thrown
  /// exception is raised here; otherwise the sent value, or nullopt for next() (Python's None).
  std::optional<S> received() {
    raise_if_thrown();
    return std::move(sent_);
  }

  /// received(), for a yield whose value the body cannot do without: resuming it with next()
  /// is the caller's mistake (in Python, None would fail a few lines later with a TypeError).
  S sent_value() {
    raise_if_thrown();
    if (!sent_) {
      throw std::invalid_argument(
          "generator resumed with next() at a yield that needs a value: use send()");
    }
    return std::move(*sent_);
  }

 private:
  GeneratorInput() = default;

  std::optional<S> sent_;
  std::exception_ptr exception_;
};

/// The Python generator protocol. A derived class writes only the body, resume(), as a state
/// machine: its locals become fields, its yield points become states. This base keeps the
/// rules every generator shares: which calls are legal in which state, the running flag,
/// close() and its GeneratorExit.
///   Y: what the generator yields; S: what send() brings in; R: what it finally returns.
/// Stepping allocates nothing, and the yield and return paths throw nothing.
template <class Y, class S = std::monostate, class R = std::monostate>
class Generator {
 public:
  using yield_type = Y;
  using send_type = S;
  using return_type = R;
  using Result = GeneratorResult<Y, R>;
  using Input = GeneratorInput<S>;

  Generator() = default;
  // A generator is a suspended frame with an identity, as in Python: never copied or moved
  // (hold it by reference, or by unique_ptr when its owner must move).
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  // Differs from Python: destroying a suspended generator does not close() it. This
  // destructor runs after the derived frame is gone, so it could not run the body anyway;
  // a body with clean-up to do wants close() called before it is destroyed.
  virtual ~Generator() = default;

  /// Python's next(g), i.e. g.send(None): runs the body to its next yield or return.
  Result next() { return step(Input::of_next()); }

  /// Python's g.send(value): resumes the body with `value` as the result of its paused yield.
  /// Refused on a just-created generator, which has no paused yield to receive it.
  Result send(S value) {
    if (state_ == GeneratorState::Created) {
      throw GeneratorStateError(
          "can't send a value to a just-started generator; call next() first");
    }
    return step(Input::of_send(std::move(value)));
  }

  /// Python's g.throw(e): raises `e` inside the body at its paused yield. What comes out is
  /// what the body does next: it yields, returns, or lets an exception escape. A just-created
  /// generator has run none of its body: it closes, and `e` comes straight back out; so does
  /// a closed one.
  Result throw_(std::exception_ptr e) {
    if (!e) {
      throw std::invalid_argument("throw_() needs an exception; it got an empty exception_ptr");
    }
    return step(Input::of_throw(std::move(e)));
  }
  template <class E>
    requires(!std::same_as<std::decay_t<E>, std::exception_ptr>)
  Result throw_(E&& e) {
    return throw_(std::make_exception_ptr(std::forward<E>(e)));
  }

  /// Python's g.close(): raises GeneratorExit at the paused yield and expects the body to
  /// finish. Returning, or letting GeneratorExit escape, closes it quietly; yielding again is
  /// an error (the generator stays suspended, as in Python); any other exception escapes.
  /// A generator that never started, or already finished, just becomes Closed.
  void close() {
    if (state_ == GeneratorState::Created || state_ == GeneratorState::Closed) {
      state_ = GeneratorState::Closed;
      return;
    }
    try {
      if (step(Input::of_throw(std::make_exception_ptr(GeneratorExit()))).yielded()) {
        throw GeneratorStateError("generator ignored GeneratorExit: it yielded again in close()");
      }
    } catch (const GeneratorExit&) {
      // The body let it escape: that is how a generator agrees to close.
    }
  }

  /// Python's inspect.getgeneratorstate(g).
  GeneratorState state() const noexcept { return state_; }

 protected:
  /// The body: resume where the last call left off (a state the derived class saved), with
  /// `in` as the value of the paused yield. Answer yield(v) to suspend, or return_(r) to finish.
  virtual Result resume(Input in) = 0;

  static Result yield(Y value) { return Result::of_yield(std::move(value)); }
  static Result yield()
    requires std::same_as<Y, std::monostate>
  {
    return Result::of_yield(std::monostate{});
  }
  static Result return_(R value) { return Result::of_return(std::move(value)); }
  static Result return_()
    requires std::same_as<R, std::monostate>
  {
    return Result::of_return(std::monostate{});
  }

 private:
  // Every public call comes through here: refuse what the state forbids, then run the body
  // once with the running flag up, and record where it left the generator.
  Result step(Input in) {
    switch (state_) {
      case GeneratorState::Running:
        throw GeneratorStateError(
            "generator already executing: it cannot be resumed until its body yields or returns");
      case GeneratorState::Closed:
        in.raise_if_thrown();
        return Result::of_return(std::nullopt);
      case GeneratorState::Created:
        if (in.is_throw()) {
          state_ = GeneratorState::Closed;
          in.raise_if_thrown();
        }
        break;
      case GeneratorState::Suspended:
        break;
    }
    state_ = GeneratorState::Running;
    try {
      Result result = resume(std::move(in));
      state_ = result.yielded() ? GeneratorState::Suspended : GeneratorState::Closed;
      return result;
    } catch (...) {
      // An exception escaping the body ends the generator, as in Python.
      state_ = GeneratorState::Closed;
      throw;
    }
  }

  GeneratorState state_ = GeneratorState::Created;
};

}  // namespace ch07
