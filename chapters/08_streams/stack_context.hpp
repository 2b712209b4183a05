// The context a callback carries. Tornado 4.5: stack_context.py (StackContext,
// ExceptionStackContext, NullContext, wrap); deprecated in 5.0, removed in 6.0.
//
// A try block protects the code inside it, but not the callbacks that code schedules: they
// run turns later, from the loop, long after the block has closed. A stack context is a try
// block (or any set-up and tear-down) that follows the work instead: while it is open, every
// callback, timeout, handler and done-callback scheduled is wrap()ped, capturing the stack
// of open contexts; when the loop runs it, the wrapper re-enters exactly that stack around
// it, and puts back the one it found afterwards. So the handler an author installed hears of
// an exception raised three callbacks later, as Tornado's ExceptionStackContext did.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "common/log.hpp"

namespace ch08::stack_context {

/// A scope left in the wrong order: code ran to its end with a context still open that it
/// had opened itself, the mark of a co_await (or a yield) inside a context's scope.
class StackContextInconsistentError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

// One open context. The stack is a linked list from the innermost context outwards, shared
// by every callback that captured it: wrap() copies a pointer, never the stack.
struct Node {
  // A StackContext sets up and tears down (exit always runs, as __exit__ does); an
  // ExceptionStackContext only listens for failures.
  std::function<void()> enter;
  std::function<void()> exit;
  std::function<bool(std::exception_ptr)> handler;
  std::shared_ptr<const Node> parent;  // the context it was opened inside; null: outermost
  // Set from any thread by a deactivator; read when a wrapped callback re-enters the stack.
  mutable std::atomic<bool> active{true};

  // Runs `body` inside this one context.
  void around(const std::function<void()>& body) const {
    if (!active.load(std::memory_order_relaxed)) return body();
    if (handler) {
      try {
        body();
      } catch (...) {
        if (!handler(std::current_exception())) throw;  // true: handled, here it stops
      }
      return;
    }
    if (enter) enter();
    try {
      body();
    } catch (...) {
      if (exit) exit();
      throw;
    }
    if (exit) exit();
  }
};

// This thread's open contexts (innermost first); null when none is open, the common case.
// Per thread: a callback added from another thread carries that thread's stack.
inline thread_local std::shared_ptr<const Node> current;

// Runs `body` inside every context from the outermost to `node`: the outermost is entered
// first, and the innermost hears of an exception first.
inline void run_inside(const Node* node, const std::function<void()>& body) {
  if (node == nullptr) return body();
  // Two references: small enough for std::function to hold without allocating.
  run_inside(node->parent.get(), [node, &body] { node->around(body); });
}

// Makes `top` the thread's stack for as long as it lives, then puts back the one it found.
class Installed {
 public:
  explicit Installed(std::shared_ptr<const Node> top) : previous_(std::exchange(current, std::move(top))) {}
  ~Installed() { current = std::move(previous_); }
  Installed(const Installed&) = delete;
  Installed& operator=(const Installed&) = delete;

 private:
  std::shared_ptr<const Node> previous_;
};

// Runs `body` with `captured` as the thread's stack, re-entering each of its contexts.
inline void run_with(const std::shared_ptr<const Node>& captured, const std::function<void()>& body) {
  const Installed installed(captured);
  run_inside(captured.get(), [&] {
    body();
    // A scope the body opened and left open: its author suspended inside it. Putting the
    // stack back would hide that, so we say so (Tornado raised here too).
    if (current != captured) {
      current = captured;
      throw StackContextInconsistentError(
          "stack_context inconsistency: a callback ended with a context still open that it "
          "opened itself (a co_await inside a StackContext scope?)");
    }
  });
}

// An RAII scope's shared part: pushes its node, and pops it at the end of the scope.
class Scope {
 protected:
  explicit Scope(std::shared_ptr<Node> node) : node_(std::move(node)) {
    node_->parent = std::exchange(current, node_);
    previous_ = node_->parent;
  }
  ~Scope() {
    if (current == node_) {
      current = std::move(previous_);
      return;
    }
    // Closed out of order. A destructor may not throw (Tornado raised here), so we say it,
    // and repair what we can: contexts opened inside ours and left open close with ours; if
    // ours is not open at all (the stack was put back without it), the stack is left alone.
    common::log(common::LogLevel::error,
                "stack_context inconsistency: a context scope ended while it was not the "
                "innermost one (a co_await inside a StackContext scope?)");
    for (const Node* node = current.get(); node != nullptr; node = node->parent.get()) {
      if (node == node_.get()) {
        current = std::move(previous_);
        return;
      }
    }
  }

 public:
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  /// Tornado's `with StackContext(...) as deactivate`: a function that, called at any time
  /// (even after the scope ended, from any thread), stops this context from being entered
  /// again. Callbacks that already run inside it are not affected.
  std::function<void()> deactivator() const {
    return [node = std::weak_ptr<const Node>(node_)] {
      if (auto alive = node.lock()) alive->active.store(false, std::memory_order_relaxed);
    };
  }

 protected:
  const Node& node() const noexcept { return *node_; }

 private:
  std::shared_ptr<Node> node_;
  std::shared_ptr<const Node> previous_;
};

}  // namespace detail

/// Opens a context for the rest of the enclosing scope: `enter` runs now and `exit` at the
/// end of the scope, and both again around every callback scheduled inside it, wherever and
/// whenever that runs (`exit` even when it throws). Tornado: StackContext(context_factory).
/// Never keep one open across a co_await: the coroutine would leave it open behind it.
class StackContext : public detail::Scope {
 public:
  StackContext(std::function<void()> enter, std::function<void()> exit)
      : Scope(make(std::move(enter), std::move(exit))) {
    // Entered once pushed, as Tornado enters it: what `enter` schedules carries it too. If
    // it throws, ~Scope pops the node again and `exit` does not run, as for a failed __enter__.
    if (node().enter) node().enter();
  }
  ~StackContext() {
    if (!node().exit) return;
    try {
      node().exit();
    } catch (...) {  // a destructor must not throw: said, not thrown
      common::log(common::LogLevel::error,
                  "StackContext: exit threw at the end of its scope: " +
                      common::describe(std::current_exception()));
    }
  }

 private:
  static std::shared_ptr<detail::Node> make(std::function<void()> enter, std::function<void()> exit) {
    auto node = std::make_shared<detail::Node>();
    node->enter = std::move(enter);
    node->exit = std::move(exit);
    return node;
  }
};

/// Opens an error handler for the rest of the enclosing scope: an exception that escapes any
/// callback scheduled inside it (or scheduled by those, turns later) is given to `handler`.
/// It returns true if it handled it; false lets it go on outwards, to an enclosing context or
/// at last to the loop's handle_callback_exception. Tornado: ExceptionStackContext. An
/// exception thrown by the scope's own code, not by a callback, is the scope's own business:
/// a C++ destructor cannot catch it (a try block around the scope can).
class ExceptionStackContext : public detail::Scope {
 public:
  using Handler = std::function<bool(std::exception_ptr)>;
  explicit ExceptionStackContext(Handler handler) : Scope(make(std::move(handler))) {}

 private:
  static std::shared_ptr<detail::Node> make(Handler handler) {
    if (!handler) throw std::invalid_argument("ExceptionStackContext: the handler is empty");
    auto node = std::make_shared<detail::Node>();
    node->handler = std::move(handler);
    return node;
  }
};

/// Clears the stack for the rest of the enclosing scope: callbacks scheduled inside carry no
/// context. For work that belongs to nobody in particular (a shared connection pool, a
/// spawned task). Tornado: NullContext.
class NullContext {
 public:
  NullContext() : previous_(std::exchange(detail::current, nullptr)) {}
  ~NullContext() { detail::current = std::move(previous_); }
  NullContext(const NullContext&) = delete;
  NullContext& operator=(const NullContext&) = delete;

 private:
  std::shared_ptr<const detail::Node> previous_;
};

/// True if some context is open on this thread.
inline bool active() noexcept { return detail::current != nullptr; }

/// A wrapped callable: captured stack and callable, for the loop's error messages to see
/// through (they name the callable, not the wrapper).
template <class... Args>
class Wrapped {
 public:
  Wrapped(std::shared_ptr<const detail::Node> captured, std::function<void(Args...)> inner)
      : captured_(std::move(captured)), inner_(std::move(inner)) {}

  void operator()(Args... args) const {
    detail::run_with(captured_, [&] { inner_(std::forward<Args>(args)...); });
  }
  const std::function<void(Args...)>& inner() const noexcept { return inner_; }

 private:
  std::shared_ptr<const detail::Node> captured_;
  std::function<void(Args...)> inner_;
};

/// Tornado's stack_context.wrap: a callable that, when it runs, re-enters the contexts open
/// now, and puts back whatever was open at that time afterwards. Also with none open: the
/// callable then runs with none, wherever it is called from (Tornado's null_wrapper).
template <class... Args>
std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
  if (!fn || fn.template target<Wrapped<Args...>>() != nullptr) return fn;  // already carries one
  return Wrapped<Args...>(detail::current, std::move(fn));
}

/// wrap() as the loop and Future use it, for free when no context is open: then `fn` comes
/// back as it is, no wrapper, no allocation. That is enough for them, because they run every
/// callback with a clear stack (IOLoop::start, Future's done callbacks), which is all that a
/// wrapper around an empty stack would do.
template <class... Args>
std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
  if (!detail::current) return fn;
  return wrap(std::move(fn));
}

}  // namespace ch08::stack_context
