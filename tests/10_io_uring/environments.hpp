// Chapter 10's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <memory>

#include "10_io_uring/gen.hpp"
#include "10_io_uring/httpclient.hpp"
#include "10_io_uring/httpserver.hpp"
#include "10_io_uring/ioloop.hpp"
#include "10_io_uring/iostream.hpp"
#include "coroutines_spec.hpp"
#include "loop_harness.hpp"

namespace ch10_tests {

struct Chapter10 {
  using Loop = ch10::IOLoop;
  using Tracer = ch10::Tracer;
  using TraceEvent = ch10::TraceEvent;
  using Poller = ch10::Poller;
  using Clock = ch10::Clock;
  using SteadyClock = ch10::SteadyClock;
  using VirtualClock = ch10::VirtualClock;
  using PeriodicCallback = ch10::PeriodicCallback;
  template <class T>
  using Future = ch10::Future<T>;
  using InvalidStateError = ch10::InvalidStateError;
  using TimeoutError = ch10::TimeoutError;
  using CancelledError = ch10::CancelledError;
  using ThreadPoolExecutor = ch10::ThreadPoolExecutor;
  template <class T>
  using Coroutine = ch10::Coroutine<T>;
  template <class T>
  using CoroutineGenerator = ch10::CoroutineGenerator<T>;
  using AnyFuture = ch10::AnyFuture;
  using GenTimeoutError = ch10::GenTimeoutError;
  static constexpr ch10::Moment moment() { return ch10::moment; }
  static constexpr int max_steps_without_a_turn = ch10::max_steps_without_a_turn;
  static ch10::Future<void> sleep(ch10::IOLoop::duration delay) { return ch10::sleep(delay); }
  template <class T, class Key = std::size_t>
  using WaitIterator = ch10::WaitIterator<T, Key>;
  template <class... E>
  static constexpr ch10::QuietExceptions quiet_exceptions() {
    return ch10::quiet_exceptions<E...>;
  }
  using IOStream = ch10::IOStream;
  using StreamClosedError = ch10::StreamClosedError;
  using UnsatisfiableReadError = ch10::UnsatisfiableReadError;
  using StreamBufferFullError = ch10::StreamBufferFullError;
  // The servers and the client, for the hostile-client specs (tests/spec/server_spec.hpp).
  using TCPServer = ch10::TCPServer;
  using HTTPServer = ch10::HTTPServer;
  using HTTPRequest = ch10::HTTPRequest;
  using HTTPResponse = ch10::HTTPResponse;
  using FetchError = ch10::FetchError;
  using FetchOptions = ch10::FetchOptions;
  using HTTPInputError = ch10::HTTPInputError;
  static ch10::Coroutine<ch10::HTTPResponse> fetch(std::string url, ch10::FetchOptions options) {
    return ch10::fetch(std::move(url), options);
  }
  static ch10::Coroutine<ch10::HTTPResponse> read_response(std::shared_ptr<ch10::IOStream> stream,
                                                           ch10::FetchOptions options) {
    return ch10::read_response(std::move(stream), options);
  }
  static ch10::Coroutine<ch10::HTTPResponse> fetch(std::string url, ch10::IOLoop::duration timeout) {
    return ch10::fetch(std::move(url), timeout);
  }
  using StackContext = ch10::stack_context::StackContext;
  using ExceptionStackContext = ch10::stack_context::ExceptionStackContext;
  using NullContext = ch10::stack_context::NullContext;
  using StackContextInconsistentError = ch10::stack_context::StackContextInconsistentError;
  template <class... Args>
  static std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    return ch10::stack_context::wrap(std::move(fn));
  }
  template <class... Args>
  static std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
    return ch10::stack_context::wrap_if_open(std::move(fn));
  }
  static bool context_active() { return ch10::stack_context::active(); }
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch10::make_poller(name); }
  /// Chapter 10's fourth backend: every spec of chapters 2 to 9 runs on io_uring too.
  static constexpr std::array<std::string_view, 4> backends{"select", "poll", "epoll", "uring"};
  /// Why a backend cannot run here (empty: it can). Only io_uring may be refused, by the
  /// kernel or a sandbox; its specs are then skipped with this reason, not failed.
  static std::string refusal(const std::string& backend) {
    if (backend != "uring") return {};
    static const std::string reason = ch10::uring_refusal();
    return reason;
  }
};

using Environments = spec::Environments<Chapter10>;
inline constexpr char uring_name[] = "uring";
inline constexpr char uring_virtual[] = "uring_virtual_clock";
/// The completion model's own specs run on the ring alone (tests/spec/completion_spec.hpp).
using Uring = spec::LoopOn<Chapter10, uring_name, uring_name, false>;
using UringVirtual = spec::LoopOn<Chapter10, uring_name, uring_virtual, true>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;
/// Rules about streams that hold on both models: epoll's readiness and the ring's completions.
using OneLoopAndRing = ::testing::Types<Environments::EpollVirtual, UringVirtual>;
/// The Runner's rules, once for each kind of generator (the backend does not matter).
using CoroutineStyles = ::testing::Types<spec::Styled<Environments::EpollVirtual, spec::HandWrittenStyle>,
                                         spec::Styled<Environments::EpollVirtual, spec::Cpp20Style>>;

}  // namespace ch10_tests
