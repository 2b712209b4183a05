// Chapter 7's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <functional>
#include <memory>

#include "07_coroutines/gen.hpp"
#include "07_coroutines/ioloop.hpp"
#include "coroutines_spec.hpp"
#include "loop_harness.hpp"

namespace ch07_tests {

struct Chapter07 {
  using Loop = ch07::IOLoop;
  using Tracer = ch07::Tracer;
  using TraceEvent = ch07::TraceEvent;
  using Poller = ch07::Poller;
  using Clock = ch07::Clock;
  using SteadyClock = ch07::SteadyClock;
  using VirtualClock = ch07::VirtualClock;
  using PeriodicCallback = ch07::PeriodicCallback;
  template <class T>
  using Future = ch07::Future<T>;
  using InvalidStateError = ch07::InvalidStateError;
  using TimeoutError = ch07::TimeoutError;
  using CancelledError = ch07::CancelledError;
  using ThreadPoolExecutor = ch07::ThreadPoolExecutor;
  template <class T>
  using Coroutine = ch07::Coroutine<T>;
  template <class T>
  using CoroutineGenerator = ch07::CoroutineGenerator<T>;
  using AnyFuture = ch07::AnyFuture;
  using GenTimeoutError = ch07::GenTimeoutError;
  static constexpr ch07::Moment moment() { return ch07::moment; }
  static constexpr int max_steps_without_a_turn = ch07::max_steps_without_a_turn;
  static ch07::Future<void> sleep(ch07::IOLoop::duration delay) { return ch07::sleep(delay); }
  using StackContext = ch07::stack_context::StackContext;
  using ExceptionStackContext = ch07::stack_context::ExceptionStackContext;
  using NullContext = ch07::stack_context::NullContext;
  using StackContextInconsistentError = ch07::stack_context::StackContextInconsistentError;
  template <class... Args>
  static std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    return ch07::stack_context::wrap(std::move(fn));
  }
  template <class... Args>
  static std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
    return ch07::stack_context::wrap_if_open(std::move(fn));
  }
  static bool context_active() { return ch07::stack_context::active(); }
  template <class T, class Key = std::size_t>
  using WaitIterator = ch07::WaitIterator<T, Key>;
  template <class... E>
  static constexpr ch07::QuietExceptions quiet_exceptions() {
    return ch07::quiet_exceptions<E...>;
  }
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch07::make_poller(name); }
};

using Environments = spec::Environments<Chapter07>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;
/// The Runner's rules, once for each kind of generator (the backend does not matter).
using CoroutineStyles = ::testing::Types<spec::Styled<Environments::EpollVirtual, spec::HandWrittenStyle>,
                                         spec::Styled<Environments::EpollVirtual, spec::Cpp20Style>>;

}  // namespace ch07_tests
