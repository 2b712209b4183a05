// Chapter 9's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <functional>
#include <memory>

#include "09_http/gen.hpp"
#include "09_http/httpclient.hpp"
#include "09_http/httpserver.hpp"
#include "09_http/ioloop.hpp"
#include "09_http/iostream.hpp"
#include "coroutines_spec.hpp"
#include "loop_harness.hpp"

namespace ch09_tests {

struct Chapter09 {
  using Loop = ch09::IOLoop;
  using Tracer = ch09::Tracer;
  using TraceEvent = ch09::TraceEvent;
  using Poller = ch09::Poller;
  using Clock = ch09::Clock;
  using SteadyClock = ch09::SteadyClock;
  using VirtualClock = ch09::VirtualClock;
  using PeriodicCallback = ch09::PeriodicCallback;
  template <class T>
  using Future = ch09::Future<T>;
  using InvalidStateError = ch09::InvalidStateError;
  using TimeoutError = ch09::TimeoutError;
  using CancelledError = ch09::CancelledError;
  using ThreadPoolExecutor = ch09::ThreadPoolExecutor;
  template <class T>
  using Coroutine = ch09::Coroutine<T>;
  template <class T>
  using CoroutineGenerator = ch09::CoroutineGenerator<T>;
  using AnyFuture = ch09::AnyFuture;
  using GenTimeoutError = ch09::GenTimeoutError;
  static constexpr ch09::Moment moment() { return ch09::moment; }
  static constexpr int max_steps_without_a_turn = ch09::max_steps_without_a_turn;
  static ch09::Future<void> sleep(ch09::IOLoop::duration delay) { return ch09::sleep(delay); }
  template <class T, class Key = std::size_t>
  using WaitIterator = ch09::WaitIterator<T, Key>;
  template <class... E>
  static constexpr ch09::QuietExceptions quiet_exceptions() {
    return ch09::quiet_exceptions<E...>;
  }
  using IOStream = ch09::IOStream;
  using StreamClosedError = ch09::StreamClosedError;
  using UnsatisfiableReadError = ch09::UnsatisfiableReadError;
  using StreamBufferFullError = ch09::StreamBufferFullError;
  // The servers and the client, for the hostile-client specs (tests/spec/server_spec.hpp).
  using TCPServer = ch09::TCPServer;
  using HTTPServer = ch09::HTTPServer;
  using HTTPRequest = ch09::HTTPRequest;
  using HTTPResponse = ch09::HTTPResponse;
  using FetchError = ch09::FetchError;
  using FetchOptions = ch09::FetchOptions;
  using HTTPInputError = ch09::HTTPInputError;
  static ch09::Coroutine<ch09::HTTPResponse> fetch(std::string url, ch09::FetchOptions options) {
    return ch09::fetch(std::move(url), options);
  }
  static ch09::Coroutine<ch09::HTTPResponse> read_response(std::shared_ptr<ch09::IOStream> stream,
                                                           ch09::FetchOptions options) {
    return ch09::read_response(std::move(stream), options);
  }
  static ch09::Coroutine<ch09::HTTPResponse> fetch(std::string url, ch09::IOLoop::duration timeout) {
    return ch09::fetch(std::move(url), timeout);
  }
  using StackContext = ch09::stack_context::StackContext;
  using ExceptionStackContext = ch09::stack_context::ExceptionStackContext;
  using NullContext = ch09::stack_context::NullContext;
  using StackContextInconsistentError = ch09::stack_context::StackContextInconsistentError;
  template <class... Args>
  static std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    return ch09::stack_context::wrap(std::move(fn));
  }
  template <class... Args>
  static std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
    return ch09::stack_context::wrap_if_open(std::move(fn));
  }
  static bool context_active() { return ch09::stack_context::active(); }
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch09::make_poller(name); }
};

using Environments = spec::Environments<Chapter09>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;
/// The Runner's rules, once for each kind of generator (the backend does not matter).
using CoroutineStyles = ::testing::Types<spec::Styled<Environments::EpollVirtual, spec::HandWrittenStyle>,
                                         spec::Styled<Environments::EpollVirtual, spec::Cpp20Style>>;

}  // namespace ch09_tests
