// Chapter 8's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <functional>
#include <memory>

#include "08_streams/gen.hpp"
#include "08_streams/tcpserver.hpp"
#include "08_streams/ioloop.hpp"
#include "08_streams/iostream.hpp"
#include "coroutines_spec.hpp"
#include "loop_harness.hpp"

namespace ch08_tests {

struct Chapter08 {
  using Loop = ch08::IOLoop;
  using Tracer = ch08::Tracer;
  using TraceEvent = ch08::TraceEvent;
  using Poller = ch08::Poller;
  using Clock = ch08::Clock;
  using SteadyClock = ch08::SteadyClock;
  using VirtualClock = ch08::VirtualClock;
  using PeriodicCallback = ch08::PeriodicCallback;
  template <class T>
  using Future = ch08::Future<T>;
  using InvalidStateError = ch08::InvalidStateError;
  using TimeoutError = ch08::TimeoutError;
  using CancelledError = ch08::CancelledError;
  using ThreadPoolExecutor = ch08::ThreadPoolExecutor;
  template <class T>
  using Coroutine = ch08::Coroutine<T>;
  template <class T>
  using CoroutineGenerator = ch08::CoroutineGenerator<T>;
  using AnyFuture = ch08::AnyFuture;
  using GenTimeoutError = ch08::GenTimeoutError;
  static constexpr ch08::Moment moment() { return ch08::moment; }
  static constexpr int max_steps_without_a_turn = ch08::max_steps_without_a_turn;
  static ch08::Future<void> sleep(ch08::IOLoop::duration delay) { return ch08::sleep(delay); }
  template <class T, class Key = std::size_t>
  using WaitIterator = ch08::WaitIterator<T, Key>;
  template <class... E>
  static constexpr ch08::QuietExceptions quiet_exceptions() {
    return ch08::quiet_exceptions<E...>;
  }
  using IOStream = ch08::IOStream;
  using StreamClosedError = ch08::StreamClosedError;
  using UnsatisfiableReadError = ch08::UnsatisfiableReadError;
  using StreamBufferFullError = ch08::StreamBufferFullError;
  // The server, for the TCPServer specs (tests/spec/server_spec.hpp).
  using TCPServer = ch08::TCPServer;
  using StackContext = ch08::stack_context::StackContext;
  using ExceptionStackContext = ch08::stack_context::ExceptionStackContext;
  using NullContext = ch08::stack_context::NullContext;
  using StackContextInconsistentError = ch08::stack_context::StackContextInconsistentError;
  template <class... Args>
  static std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    return ch08::stack_context::wrap(std::move(fn));
  }
  template <class... Args>
  static std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
    return ch08::stack_context::wrap_if_open(std::move(fn));
  }
  static bool context_active() { return ch08::stack_context::active(); }
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch08::make_poller(name); }
};

using Environments = spec::Environments<Chapter08>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;
/// The Runner's rules, once for each kind of generator (the backend does not matter).
using CoroutineStyles = ::testing::Types<spec::Styled<Environments::EpollVirtual, spec::HandWrittenStyle>,
                                         spec::Styled<Environments::EpollVirtual, spec::Cpp20Style>>;

}  // namespace ch08_tests
