// Chapter 6's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <functional>
#include <memory>

#include "06_coroutines/gen.hpp"
#include "06_coroutines/ioloop.hpp"
#include "coroutines_spec.hpp"
#include "loop_harness.hpp"

namespace ch06_tests {

struct Chapter06 {
  using Loop = ch06::IOLoop;
  using Tracer = ch06::Tracer;
  using TraceEvent = ch06::TraceEvent;
  using Poller = ch06::Poller;
  using Clock = ch06::Clock;
  using SteadyClock = ch06::SteadyClock;
  using VirtualClock = ch06::VirtualClock;
  using PeriodicCallback = ch06::PeriodicCallback;
  template <class T>
  using Future = ch06::Future<T>;
  using InvalidStateError = ch06::InvalidStateError;
  using TimeoutError = ch06::TimeoutError;
  using CancelledError = ch06::CancelledError;
  using ThreadPoolExecutor = ch06::ThreadPoolExecutor;
  template <class T>
  using Coroutine = ch06::Coroutine<T>;
  template <class T>
  using CoroutineGenerator = ch06::CoroutineGenerator<T>;
  using AnyFuture = ch06::AnyFuture;
  using GenTimeoutError = ch06::GenTimeoutError;
  static constexpr ch06::Moment moment() { return ch06::moment; }
  static constexpr int max_steps_without_a_turn = ch06::max_steps_without_a_turn;
  static ch06::Future<void> sleep(ch06::IOLoop::duration delay) { return ch06::sleep(delay); }
  using StackContext = ch06::stack_context::StackContext;
  using ExceptionStackContext = ch06::stack_context::ExceptionStackContext;
  using NullContext = ch06::stack_context::NullContext;
  using StackContextInconsistentError = ch06::stack_context::StackContextInconsistentError;
  template <class... Args>
  static std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    return ch06::stack_context::wrap(std::move(fn));
  }
  template <class... Args>
  static std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
    return ch06::stack_context::wrap_if_open(std::move(fn));
  }
  static bool context_active() { return ch06::stack_context::active(); }
  template <class T, class Key = std::size_t>
  using WaitIterator = ch06::WaitIterator<T, Key>;
  template <class... E>
  static constexpr ch06::QuietExceptions quiet_exceptions() {
    return ch06::quiet_exceptions<E...>;
  }
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch06::make_poller(name); }
};

using Environments = spec::Environments<Chapter06>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;
/// The Runner's rules, once for each kind of generator (the backend does not matter).
using CoroutineStyles = ::testing::Types<spec::Styled<Environments::EpollVirtual, spec::HandWrittenStyle>,
                                         spec::Styled<Environments::EpollVirtual, spec::Cpp20Style>>;

}  // namespace ch06_tests
